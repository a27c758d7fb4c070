/**
 * A page number the database could never skip to (page=1e300 is an integer
 * to the validator; a real MongoDB refuses a skip that large) is a 422 naming
 * `page`, on every paged list.
 */
import { startCatalog } from "./catalog-platform";
import type { LocalPlatform } from "../support/local-platform";
import { api } from "../support/http";
import { PAGE_PARAMS } from "../../contracts/paging";

describe("paged lists", () => {
  let platform: LocalPlatform;

  beforeAll(async () => {
    platform = await startCatalog({ gateway: true });
  });

  afterAll(async () => {
    await platform.stop();
  });

  it("refuse a page number no store can skip to, naming the field", async () => {
    const res = await api(`${platform.baseUrl}/api`).get<{ code: number; data: { field: string }[] }>("/products?page=1e300");
    expect(res.status).toBe(422);
    expect(res.body.data.map((d) => d.field)).toContain("page");
    expect((await api(`${platform.baseUrl}/api`).get("/products?page=100000")).status).toBe(200);
  });

  it("have the same bound for orders (and the other paged lists share the rule)", () => {
    expect(PAGE_PARAMS.page).toMatchObject({ min: 1, max: 100_000 });
  });
});
