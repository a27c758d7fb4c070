/**
 * POST /api/orders with `displayCurrency`: the checkout charges the real
 * price in the base currency and the order records the rate the shopper was
 * shown and the total at it (docs/api.md, "Currencies").
 */
import CurrencyService from "../../services/currency/currency.service";
import { checkoutBody, startOrdersPlatform, type OrdersPlatform } from "./orders-platform";

let shop: OrdersPlatform;

beforeAll(async () => {
  shop = await startOrdersPlatform({ extra: [CurrencyService] });
});

afterAll(async () => {
  await shop?.stop();
});

interface DisplayedOrder {
  id: string;
  total: number;
  currency: string;
  payment: { transactionId: string };
  display?: { currency: string; rate: string; total: { amount: number; currency: string } };
}

describe("checkout with a display currency", () => {
  it("charges the base currency and records the rate shown", async () => {
    const { shopper } = await shop.shopperWithCart(10, 2);
    const res = await shop.checkout<DisplayedOrder>(shopper, { ...checkoutBody(), displayCurrency: "eur" });
    expect(res.status).toBe(201);
    const order = res.body;
    expect(order.currency).toBe("USD");
    const [tx] = await shop.transactions(order.id);
    expect(tx).toMatchObject({ amount: order.total, currency: "USD" });
    // 0.9215 EUR per USD, half to even.
    const expected = Math.round((order.total * 9215) / 10000);
    expect(order.display).toEqual({ currency: "EUR", rate: "0.9215", total: { amount: expected, currency: "EUR" } });
    const again = await shop.http.get<DisplayedOrder>(`/orders/${order.id}`, { token: shopper.token });
    expect(again.body.display).toEqual(order.display);
  });

  it("records nothing without one", async () => {
    const { shopper } = await shop.shopperWithCart(10, 1);
    const res = await shop.checkout<DisplayedOrder>(shopper);
    expect(res.status).toBe(201);
    expect(res.body.display).toBeUndefined();
  });

  it("refuses a currency it does not support with 422 naming displayCurrency, holding nothing", async () => {
    const { shopper, product } = await shop.shopperWithCart(10, 1);
    const res = await shop.checkout<{ data: { field: string }[] }>(shopper, { ...checkoutBody(), displayCurrency: "XYZ" });
    expect(res.status).toBe(422);
    expect(res.body.data.map((d) => d.field)).toEqual(["displayCurrency"]);
    expect(await shop.levels(product.id)).toEqual({ stock: 10, reserved: 0 });
  });
});

