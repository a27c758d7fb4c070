import { adminOrderQuery } from "../../services/orders/orders.service";

const base = { page: 1, pageSize: 20 };

describe("the admin's order filters as a store query", () => {
  it("matches the buyer's email whole, lower-cased, as stored with the order", () => {
    expect(adminOrderQuery({ ...base, email: "Ada@Example.com" })).toEqual({ "customer.email": "ada@example.com" });
  });

  it("takes orders placed from `from` (included) to `to` (excluded), with the status", () => {
    const from = new Date("2026-12-01T00:00:00Z");
    const to = new Date("2026-12-08T00:00:00Z");
    expect(adminOrderQuery({ ...base, status: "paid", from, to })).toEqual({ status: "paid", createdAt: { $gte: "2026-12-01T00:00:00.000Z", $lt: "2026-12-08T00:00:00.000Z" } });
  });

  it("refuses a range that ends before it starts, naming `to`", () => {
    const at = new Date("2026-12-01T00:00:00Z");
    expect(() => adminOrderQuery({ ...base, from: at, to: at })).toThrow(expect.objectContaining({ code: 422, data: [expect.objectContaining({ field: "to" })] }));
  });

  it("is empty without filters", () => {
    expect(adminOrderQuery(base)).toEqual({});
  });
});
