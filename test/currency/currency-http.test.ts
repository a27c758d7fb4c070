/**
 * GET /api/currencies, PUT /api/admin/currencies/:code and `currency=XYZ` on
 * catalog, product and cart reads (docs/api.md, "Currencies").
 */
import CurrencyService from "../../services/currency/currency.service";
import { MemoryCartStore } from "../../services/cart/cart-store";
import { api, type ApiClient } from "../support/http";
import type { LocalPlatform } from "../support/local-platform";
import { ADMIN_TOKEN, CUSTOMER_TOKEN, productBody, startCatalog } from "../products/catalog-platform";
import { cartService } from "../cart/cart-platform";

interface Money {
  amount: number;
  currency: string;
}
interface Product {
  id: string;
  price: number;
  currency: string;
  display?: Money;
}
interface Currency {
  code: string;
  name: string;
  decimals: number;
  rate: string;
}
interface ErrorBody {
  code: number;
  data: { field: string }[];
}

const admin = { token: ADMIN_TOKEN };
const customer = { token: CUSTOMER_TOKEN };
let platform: LocalPlatform;
let client: ApiClient;
let product: Product;

beforeAll(async () => {
  platform = await startCatalog({
    gateway: true,
    extra: [CurrencyService, cartService({ store: new MemoryCartStore({ ttlSec: 3600 }) })],
  });
  client = api(platform.baseUrl);
  const res = await client.post<Product>("/api/products", productBody({ sku: "CUR-1", category: "currency-tests", price: 12999 }), admin);
  product = res.body;
});

afterAll(async () => {
  await platform?.stop();
});

const fieldsOf = (body: unknown) => (body as ErrorBody).data.map((d) => d.field);

describe("currencies", () => {
  it("lists every supported currency with its rate to the base currency, to anyone", async () => {
    const res = await client.get<{ base: string; currencies: Currency[] }>("/api/currencies");
    expect(res.status).toBe(200);
    expect(res.body.base).toBe("USD");
    expect(res.body.currencies.map((c) => c.code)).toEqual(["AUD", "CAD", "CHF", "EUR", "GBP", "JPY", "KWD", "SEK", "USD"]);
    expect(res.body.currencies.find((c) => c.code === "EUR")).toMatchObject({ name: "Euro", decimals: 2, rate: "0.9215" });
  });

  it("shows a product's price in the asked currency next to the real one", async () => {
    const res = await client.get<Product>(`/api/products/${product.id}?currency=EUR`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ price: 12999, currency: "USD", display: { amount: 11979, currency: "EUR" } });
    const yen = await client.get<Product>(`/api/products/${product.id}?currency=jpy`);
    expect(yen.body.display).toEqual({ amount: 19683, currency: "JPY" });
    expect((await client.get<Product>(`/api/products/${product.id}`)).body.display).toBeUndefined();
  });

  it("shows every row of a catalog page, searched or not, in the asked currency", async () => {
    for (const path of ["/api/products?category=currency-tests&currency=GBP", "/api/products?q=CUR-1&currency=GBP"]) {
      const res = await client.get<{ rows: Product[] }>(path);
      expect(res.status).toBe(200);
      expect(res.body.rows.map((row) => row.display)).toEqual([{ amount: 10260, currency: "GBP" }]);
    }
  });

  it("shows the cart's lines and subtotal in the asked currency", async () => {
    expect((await client.post("/api/cart/items", { productId: product.id, quantity: 2 }, customer)).status).toBe(201);
    const res = await client.get<{ subtotal: number; currency: string; display: Money; items: { lineTotal: number; display: Money }[] }>("/api/cart?currency=KWD", customer);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ subtotal: 25998, currency: "USD", display: { amount: 79931, currency: "KWD" } });
    expect(res.body.items[0]).toMatchObject({ lineTotal: 25998, display: { amount: 79931, currency: "KWD" } });
  });

  it("answers 422 naming `currency` for a currency it does not support", async () => {
    for (const path of [`/api/products/${product.id}?currency=XYZ`, "/api/products?currency=XYZ", "/api/products?currency=euro"]) {
      const res = await client.get(path);
      expect(res.status).toBe(422);
      expect(fieldsOf(res.body)).toEqual(["currency"]);
    }
    const cart = await client.get("/api/cart?currency=XYZ", customer);
    expect(cart.status).toBe(422);
    expect(fieldsOf(cart.body)).toEqual(["currency"]);
  });

  it("lets an admin, and only an admin, change a rate; prices shown follow at once", async () => {
    expect((await client.put("/api/admin/currencies/EUR", { rate: "0.5" }, customer)).status).toBe(403);
    const bad = await client.put("/api/admin/currencies/EUR", { rate: "-1" }, admin);
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad.body)).toEqual(["rate"]);
    const base = await client.put("/api/admin/currencies/USD", { rate: "2" }, admin);
    expect(base.status).toBe(422);
    expect(fieldsOf(base.body)).toEqual(["code"]);
    expect((await client.put("/api/admin/currencies/XYZ", { rate: "2" }, admin)).status).toBe(404);

    // Cached at the old rate first.
    expect((await client.get<Product>(`/api/products/${product.id}?currency=EUR`)).body.display?.amount).toBe(11979);
    const res = await client.put<Currency>("/api/admin/currencies/EUR", { rate: "0.5" }, admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: "EUR", rate: "0.5" });
    // 12999 * 0.5 = 6499.5 -> 6500 (half to even)
    expect((await client.get<Product>(`/api/products/${product.id}?currency=EUR`)).body.display).toEqual({ amount: 6500, currency: "EUR" });
    expect((await client.get<{ currencies: Currency[] }>("/api/currencies")).body.currencies.find((c) => c.code === "EUR")?.rate).toBe("0.5");
  });
});
