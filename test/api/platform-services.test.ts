import path from "node:path";
import { awaitedServiceNames, platformServiceNames } from "../../services/api/platform-services";

const servicesDir = path.join(__dirname, "..", "..", "services");

describe("the services of the build", () => {
  it("are the folders holding <name>/<name>.service.ts", () => {
    expect(platformServiceNames(servicesDir)).toEqual(expect.arrayContaining(["api", "cart", "notifications", "ops", "orders", "payments", "products", "shipping", "users"]));
  });

  it("are all awaited by readiness but the gateway itself and the operator tooling", () => {
    const awaited = awaitedServiceNames(servicesDir);
    expect(awaited).toEqual(expect.arrayContaining(["cart", "notifications", "orders", "payments", "products", "shipping", "users"]));
    expect(awaited).not.toContain("api");
    expect(awaited).not.toContain("ops");
  });
});
