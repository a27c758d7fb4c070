/**
 * The catalog rows of docs/api.md's "Catalog and inventory" table, through the
 * gateway: who may call what, the answers, and the 4xx for bad input.
 */
import type { ServiceBroker } from "moleculer";
import { api, type ApiClient } from "../support/http";
import type { LocalPlatform } from "../support/local-platform";
import { ADMIN_TOKEN, CUSTOMER_TOKEN, productBody, startCatalog } from "./catalog-platform";

interface Product {
  id: string;
  sku: string;
  name: string;
  price: number;
  stock: number;
  reserved?: number;
  archived?: boolean;
  category: string;
  createdAt: string;
  updatedAt: string;
}
interface Page {
  rows: Product[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}
interface ErrorBody {
  code: number;
  type: string;
  data?: { field?: string }[] | Record<string, unknown>;
}

const PUBLIC_FIELDS = ["id", "sku", "name", "description", "category", "price", "currency", "stock", "images", "weightGrams", "createdAt", "updatedAt"];
const admin = { token: ADMIN_TOKEN };
const customer = { token: CUSTOMER_TOKEN };

const fieldsOf = (body: unknown) => ((body as ErrorBody).data as { field?: string }[]).map((d) => d.field);
const names = (page: unknown) => (page as Page).rows.map((p) => p.name);

let platform: LocalPlatform;
let client: ApiClient;
let broker: ServiceBroker;

async function create(overrides: Record<string, unknown> = {}): Promise<Product> {
  const res = await client.post<Product>("/api/products", productBody(overrides), admin);
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  return res.body;
}

beforeAll(async () => {
  platform = await startCatalog({ gateway: true });
  client = api(platform.baseUrl);
  broker = platform.broker;
});

afterAll(async () => {
  await platform?.stop();
});

describe("GET /api/products", () => {
  // Three products of their own category, created a few ms apart so createdAt orders them.
  const fixtures: Product[] = [];
  let archived: Product;

  beforeAll(async () => {
    const specs = [
      { sku: "FX-ALPHA", name: "Alpha Lamp", description: "A desk lamp (brass) with a warm light.", price: 1000, stock: 5 },
      { sku: "FX-BETA", name: "Beta Kettle", description: "Boils water.* fast", price: 3000, stock: 0 },
      { sku: "FX-GAMMA", name: "Gamma Mug", description: "Stoneware mug for tea.", price: 2000, stock: 10 },
    ];
    for (const spec of specs) {
      fixtures.push(await create({ ...spec, category: "fixtures" }));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    archived = await create({ sku: "FX-DELTA", name: "Delta Archived Lamp", category: "fixtures", price: 1500 });
    expect((await client.delete(`/api/products/${archived.id}`, undefined, admin)).status).toBe(200);
  });

  it("answers anyone with a page of the seeded catalog, public fields only", async () => {
    const res = await client.get<Page>("/api/products");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ page: 1, pageSize: 20 });
    expect(res.body.rows).toHaveLength(20);
    expect(res.body.total).toBeGreaterThanOrEqual(56);
    expect(res.body.totalPages).toBe(Math.ceil(res.body.total / 20));
    for (const row of res.body.rows) expect(Object.keys(row).sort()).toEqual([...PUBLIC_FIELDS].sort());
  });

  it("never lists archived products", async () => {
    const res = await client.get<Page>("/api/products?category=fixtures&pageSize=100");
    expect(res.body.rows.map((p) => p.id)).not.toContain(archived.id);
    expect(res.body.total).toBe(3);
  });

  it("filters by category, given in any case", async () => {
    const res = await client.get<Page>("/api/products?category=FIXTURES&sort=name");
    expect(names(res.body)).toEqual(["Alpha Lamp", "Beta Kettle", "Gamma Mug"]);
  });

  it("finds q in the name or the description, case-insensitively", async () => {
    expect(names((await client.get("/api/products?q=LAMP&category=fixtures")).body)).toEqual(["Alpha Lamp"]);
    expect(names((await client.get("/api/products?q=BOILS%20water")).body)).toEqual(["Beta Kettle"]);
  });

  it("takes regex metacharacters in q literally", async () => {
    expect(names((await client.get(`/api/products?q=${encodeURIComponent(".*")}`)).body)).toEqual(["Beta Kettle"]);
    expect(names((await client.get(`/api/products?category=fixtures&q=${encodeURIComponent("(brass)")}`)).body)).toEqual(["Alpha Lamp"]);
    expect(names((await client.get(`/api/products?category=fixtures&q=${encodeURIComponent("(")}`)).body)).toEqual(["Alpha Lamp"]);
    // Not valid as a regex: a raw one would throw.
    const broken = await client.get<Page>(`/api/products?q=${encodeURIComponent("[a-")}`);
    expect(broken.status).toBe(200);
    expect(broken.body.total).toBe(0);
  });

  it("filters by price range and stock", async () => {
    expect(names((await client.get("/api/products?category=fixtures&minPrice=1500&maxPrice=2500")).body)).toEqual(["Gamma Mug"]);
    expect(names((await client.get("/api/products?category=fixtures&minPrice=2000&sort=price")).body)).toEqual(["Gamma Mug", "Beta Kettle"]);
    expect(names((await client.get("/api/products?category=fixtures&inStock=true&sort=name")).body)).toEqual(["Alpha Lamp", "Gamma Mug"]);
    expect((await client.get<Page>("/api/products?category=fixtures&inStock=false")).body.total).toBe(3);
  });

  it("rejects a price range that can match nothing, naming maxPrice", async () => {
    const res = await client.get("/api/products?minPrice=3000&maxPrice=1000");
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body)).toEqual(["maxPrice"]);
  });

  it.each([
    ["price", ["Alpha Lamp", "Gamma Mug", "Beta Kettle"]],
    ["-price", ["Beta Kettle", "Gamma Mug", "Alpha Lamp"]],
    ["name", ["Alpha Lamp", "Beta Kettle", "Gamma Mug"]],
    ["-name", ["Gamma Mug", "Beta Kettle", "Alpha Lamp"]],
    ["createdAt", ["Alpha Lamp", "Beta Kettle", "Gamma Mug"]],
    ["-createdAt", ["Gamma Mug", "Beta Kettle", "Alpha Lamp"]],
  ])("sorts by %s", async (sort, expected) => {
    expect(names((await client.get(`/api/products?category=fixtures&sort=${encodeURIComponent(sort)}`)).body)).toEqual(expected);
  });

  it("sorts newest first by default", async () => {
    expect(names((await client.get("/api/products?category=fixtures")).body)).toEqual(["Gamma Mug", "Beta Kettle", "Alpha Lamp"]);
  });

  it.each(["-_id", "reserved", "-reserved", "price,name"])("rejects sort=%s, naming sort", async (sort) => {
    const res = await client.get(`/api/products?sort=${encodeURIComponent(sort)}`);
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body)).toEqual(["sort"]);
  });

  it("pages with page and pageSize from the query string", async () => {
    const second = await client.get<Page>("/api/products?category=fixtures&sort=name&page=2&pageSize=2");
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ total: 3, page: 2, pageSize: 2, totalPages: 2 });
    expect(names(second.body)).toEqual(["Gamma Mug"]);
    const beyond = await client.get<Page>("/api/products?category=fixtures&page=9&pageSize=2");
    expect(beyond.body).toMatchObject({ rows: [], total: 3, page: 9, totalPages: 2 });
    expect((await client.get<Page>("/api/products?pageSize=100")).body.pageSize).toBe(100);
  });

  it.each([
    ["pageSize=101", "pageSize"],
    ["pageSize=0", "pageSize"],
    ["pageSize=2.5", "pageSize"],
    ["page=0", "page"],
    ["page=abc", "page"],
    ["minPrice=-1", "minPrice"],
    ["minPrice[$gt]=0", "minPrice"],
    ["category=no%20spaces!", "category"],
  ])("rejects %s with a 422 naming %s", async (query, field) => {
    const res = await client.get<ErrorBody>(`/api/products?${query}`);
    expect(res.status).toBe(422);
    expect(res.body.type).toBe("VALIDATION_ERROR");
    expect(fieldsOf(res.body)).toContain(field);
  });

  it("ignores a query object sent by the client", async () => {
    const asJson = await client.get<Page>(`/api/products?category=fixtures&query=${encodeURIComponent(JSON.stringify({ price: { $gt: 2500 } }))}`);
    expect(asJson.body.total).toBe(3);
    const asBrackets = await client.get<Page>("/api/products?category=fixtures&query[archived]=true&query[price][$gt]=2500");
    expect(asBrackets.body.total).toBe(3);
  });
});

describe("GET /api/products/:id", () => {
  it("answers anyone with the public product, stock being what can be bought", async () => {
    const product = await create({ stock: 7 });
    await broker.call("products.reserve", { orderId: "order-get-1", items: [{ productId: product.id, quantity: 2 }] });
    const res = await client.get<Product>(`/api/products/${product.id}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual([...PUBLIC_FIELDS].sort());
    expect(res.body).toMatchObject({ id: product.id, sku: product.sku, stock: 5 });
  });

  it("is 404 for an unknown id", async () => {
    const res = await client.get<ErrorBody>("/api/products/no-such-product");
    expect(res.status).toBe(404);
    expect(res.body.type).toBe("NOT_FOUND");
  });

  it("is 404 for an archived product", async () => {
    const product = await create();
    await client.delete(`/api/products/${product.id}`, undefined, admin);
    expect((await client.get(`/api/products/${product.id}`)).status).toBe(404);
  });
});

describe("GET /api/categories", () => {
  it("answers anyone with every category and how many listed products it has", async () => {
    await create({ category: "counted" });
    await create({ category: "counted" });
    const gone = await create({ category: "counted" });
    await client.delete(`/api/products/${gone.id}`, undefined, admin);
    const res = await client.get<{ name: string; count: number }[]>("/api/categories");
    expect(res.status).toBe(200);
    expect(res.body).toContainEqual({ name: "counted", count: 2 });
    expect(res.body).toContainEqual({ name: "electronics", count: 7 });
    const order = res.body.map((c) => c.name);
    expect(order).toEqual([...order].sort());
  });
});

describe("POST /api/products", () => {
  it("is 401 without a token and 403 for a customer", async () => {
    const anonymous = await client.post<ErrorBody>("/api/products", productBody());
    expect(anonymous.status).toBe(401);
    const asCustomer = await client.post<ErrorBody>("/api/products", productBody(), customer);
    expect(asCustomer.status).toBe(403);
    expect(asCustomer.body.type).toBe("FORBIDDEN");
  });

  it("creates for an admin: 201 with the product, defaults filled in", async () => {
    const res = await client.post<Product>("/api/products", { sku: "new-1", name: "  Plain Thing ", category: "Plain", price: 0 }, admin);
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/api/products/${res.body.id}`);
    expect(res.body).toMatchObject({
      sku: "NEW-1",
      name: "Plain Thing",
      category: "plain",
      price: 0,
      currency: "USD",
      description: "",
      images: [],
      stock: 0,
      weightGrams: 0,
      reserved: 0,
      archived: false,
    });
    expect((await client.get(`/api/products/${res.body.id}`)).status).toBe(200);
  });

  it("drops fields a client may not set", async () => {
    const res = await client.post<Product>("/api/products", productBody({ id: "chosen", _id: "chosen", reserved: 99, archived: true, createdAt: "2001-01-01" }), admin);
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe("chosen");
    expect(res.body).toMatchObject({ reserved: 0, archived: false });
    expect(res.body.createdAt).not.toMatch(/^2001/);
  });

  it("is 409 on a duplicate sku, in any case", async () => {
    await create({ sku: "DUP-1" });
    const res = await client.post<ErrorBody>("/api/products", productBody({ sku: "dup-1" }), admin);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ type: "CONFLICT", data: { field: "sku" } });
  });

  it.each([
    ["negative", -1],
    ["a float", 19.99],
    ["a string", "1999"],
    ["missing", undefined],
  ])("is 422 naming price when the price is %s", async (_what, price) => {
    const res = await client.post<ErrorBody>("/api/products", productBody({ price }), admin);
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body)).toEqual(["price"]);
  });

  it.each([
    ["currency", "usd"],
    ["currency", "DOLLARS"],
    ["images", ["not a url"]],
    ["images", "https://images.example.com/a.jpg"],
    ["sku", "has spaces"],
    ["name", "   "],
    ["weightGrams", 1.5],
    ["stock", -3],
  ])("is 422 naming %s when it is %j", async (field, value) => {
    const res = await client.post<ErrorBody>("/api/products", productBody({ [field]: value }), admin);
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body)[0]).toMatch(new RegExp(`^${field}`));
  });
});

describe("PATCH /api/products/:id", () => {
  it("is 401 without a token and 403 for a customer", async () => {
    const product = await create();
    expect((await client.patch(`/api/products/${product.id}`, { price: 1 })).status).toBe(401);
    expect((await client.patch(`/api/products/${product.id}`, { price: 1 }, customer)).status).toBe(403);
  });

  it("changes the given fields for an admin and keeps the others", async () => {
    const product = await create({ name: "Before", price: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const res = await client.patch<Product>(`/api/products/${product.id}`, { name: "After", price: 1250 }, admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: product.id, sku: product.sku, name: "After", price: 1250, stock: product.stock });
    expect(res.body.updatedAt > product.updatedAt).toBe(true);
    expect((await client.get<Product>(`/api/products/${product.id}`)).body).toMatchObject({ name: "After", price: 1250 });
  });

  it("is 404 for unknown and archived products", async () => {
    expect((await client.patch("/api/products/no-such-product", { price: 1 }, admin)).status).toBe(404);
    const product = await create();
    await client.delete(`/api/products/${product.id}`, undefined, admin);
    expect((await client.patch(`/api/products/${product.id}`, { price: 1 }, admin)).status).toBe(404);
  });

  it("is 409 when the new sku belongs to another product", async () => {
    await create({ sku: "TAKEN-1" });
    const product = await create();
    const res = await client.patch<ErrorBody>(`/api/products/${product.id}`, { sku: "TAKEN-1" }, admin);
    expect(res.status).toBe(409);
    expect(res.body.data).toEqual({ field: "sku" });
  });

  it("is 422 naming the field for a bad price, for stock (it has its own route), for null and for an empty change", async () => {
    const product = await create();
    for (const price of [-5, 2.5, "10"]) {
      const res = await client.patch(`/api/products/${product.id}`, { price }, admin);
      expect(res.status).toBe(422);
      expect(fieldsOf(res.body)).toEqual(["price"]);
    }
    const stock = await client.patch(`/api/products/${product.id}`, { stock: 1000 }, admin);
    expect(stock.status).toBe(422);
    expect(fieldsOf(stock.body)).toEqual(["stock"]);
    for (const field of ["price", "name", "stock"]) {
      const erased = await client.patch(`/api/products/${product.id}`, { [field]: null }, admin);
      expect(erased.status).toBe(422);
      expect(fieldsOf(erased.body)).toEqual([field]);
    }
    expect((await client.get<Product>(`/api/products/${product.id}`)).body).toMatchObject({ price: product.price, name: product.name });
    const empty = await client.patch(`/api/products/${product.id}`, { unknown: 1 }, admin);
    expect(empty.status).toBe(422);
    expect(fieldsOf(empty.body)).toEqual(["body"]);
  });
});

describe("DELETE /api/products/:id", () => {
  it("is 401 without a token and 403 for a customer", async () => {
    const product = await create();
    expect((await client.delete(`/api/products/${product.id}`)).status).toBe(401);
    expect((await client.delete(`/api/products/${product.id}`, undefined, customer)).status).toBe(403);
    expect((await client.get(`/api/products/${product.id}`)).status).toBe(200);
  });

  it("archives for an admin: gone from get and list, and a second delete is 404", async () => {
    const product = await create({ category: "to-archive" });
    const res = await client.delete<Product>(`/api/products/${product.id}`, undefined, admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: product.id, archived: true });
    expect((await client.get(`/api/products/${product.id}`)).status).toBe(404);
    expect((await client.get<Page>("/api/products?category=to-archive")).body.total).toBe(0);
    expect((await client.delete(`/api/products/${product.id}`, undefined, admin)).status).toBe(404);
  });
});

describe("POST /api/products/:id/stock", () => {
  it("is 401 without a token and 403 for a customer", async () => {
    const product = await create();
    expect((await client.post(`/api/products/${product.id}/stock`, { delta: 5 })).status).toBe(401);
    expect((await client.post(`/api/products/${product.id}/stock`, { delta: 5 }, customer)).status).toBe(403);
  });

  it("restocks and writes off with delta", async () => {
    const product = await create({ stock: 10 });
    const restocked = await client.post<Product>(`/api/products/${product.id}/stock`, { delta: 15 }, admin);
    expect(restocked.status).toBe(200);
    expect(restocked.body).toMatchObject({ stock: 25, reserved: 0 });
    const writtenOff = await client.post<Product>(`/api/products/${product.id}/stock`, { delta: -5 }, admin);
    expect(writtenOff.body.stock).toBe(20);
  });

  it("sets what is on hand with set, keeping what is reserved", async () => {
    const product = await create({ stock: 10 });
    await broker.call("products.reserve", { orderId: "order-set-1", items: [{ productId: product.id, quantity: 4 }] });
    const res = await client.post<Product>(`/api/products/${product.id}/stock`, { set: 30 }, admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stock: 26, reserved: 4 });
  });

  it("is 409 when it would go below what is reserved", async () => {
    const product = await create({ stock: 10 });
    await broker.call("products.reserve", { orderId: "order-below-1", items: [{ productId: product.id, quantity: 4 }] });
    const set = await client.post<ErrorBody>(`/api/products/${product.id}/stock`, { set: 3 }, admin);
    expect(set.status).toBe(409);
    expect(set.body).toMatchObject({ type: "BELOW_RESERVED", data: { field: "set", stock: 6, reserved: 4 } });
    const delta = await client.post<ErrorBody>(`/api/products/${product.id}/stock`, { delta: -7 }, admin);
    expect(delta.status).toBe(409);
    expect((await client.get<Product>(`/api/products/${product.id}`)).body.stock).toBe(6);
  });

  it("is 422 unless exactly one of delta and set is a whole number", async () => {
    const product = await create();
    for (const body of [{}, { delta: 1, set: 5 }, { delta: 1.5 }, { delta: "3" }, { delta: 0 }, { set: -1 }, { delta: null }]) {
      const res = await client.post(`/api/products/${product.id}/stock`, body, admin);
      expect(res.status).toBe(422);
      expect(fieldsOf(res.body).some((f) => f === "delta" || f === "set")).toBe(true);
    }
  });

  it("takes an optional reason of up to 200 characters, and names it when it is longer", async () => {
    const product = await create({ stock: 10 });
    const counted = await client.post<Product>(`/api/products/${product.id}/stock`, { set: 8, reason: "counted on the shelf" }, admin);
    expect(counted.status).toBe(200);
    expect(counted.body.stock).toBe(8);
    const long = await client.post(`/api/products/${product.id}/stock`, { delta: 1, reason: "x".repeat(201) }, admin);
    expect(long.status).toBe(422);
    expect(fieldsOf(long.body)).toContain("reason");
    expect((await client.get<Product>(`/api/products/${product.id}`)).body.stock).toBe(8);
  });

  it("is 404 for unknown and archived products", async () => {
    expect((await client.post("/api/products/no-such-product/stock", { delta: 1 }, admin)).status).toBe(404);
    const product = await create();
    await client.delete(`/api/products/${product.id}`, undefined, admin);
    expect((await client.post(`/api/products/${product.id}/stock`, { delta: 1 }, admin)).status).toBe(404);
  });
});

describe("what is not reachable", () => {
  it("has no REST route for moleculer-db's generated actions or for reservations", async () => {
    const product = await create();
    expect((await client.put(`/api/products/${product.id}`, { price: 1 }, admin)).status).toBe(404);
    for (const path of ["/api/products/find", "/api/products/count", "/api/reserve", "/api/products/reserve"]) {
      const res = await client.post(path, { orderId: "x", items: [] }, admin);
      expect([404, 405]).toContain(res.status);
    }
    expect((await client.get(`/api/products/${product.id}`)).body).toMatchObject({ price: product.price });
  });

  it("has no generated find, count or insert action at all", async () => {
    for (const action of ["products.find", "products.count", "products.insert"]) {
      await expect(broker.call(action, { entity: productBody() })).rejects.toMatchObject({ name: "ServiceNotFoundError" });
    }
  });

  it("drops a query object even from an internal list call", async () => {
    const res = await broker.call<Page, Record<string, unknown>>("products.list", { category: "fixtures", query: { price: { $gt: 2500 } } });
    expect(res.total).toBe(3);
  });
});
