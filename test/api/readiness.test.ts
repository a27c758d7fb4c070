import { readiness, servicesWithoutRoutes } from "../../services/api/readiness";
import { splitStorageNodes } from "../../platform/split-storage";

const item = (name: string, nodeID: string, storage?: string) => ({ name, nodeID, metadata: storage ? { storage } : {} });

describe("readiness", () => {
  it("is ready when connected and every expected service has a node", () => {
    const report = readiness({ connected: true, expected: ["users", "products"], registry: [item("users", "a"), item("products", "b")] });
    expect(report).toMatchObject({ ready: true, status: "ready", missing: [], transporter: "connected" });
  });

  it("lists the services that have no node", () => {
    const report = readiness({ connected: true, expected: ["users", "products"], registry: [item("users", "a")] });
    expect(report).toMatchObject({ ready: false, missing: ["products"], services: { users: "available", products: "missing" } });
  });

  it("is not ready while the transporter is disconnected", () => {
    const report = readiness({ connected: false, expected: [], registry: [] });
    expect(report).toMatchObject({ ready: false, transporter: "disconnected" });
  });

  it("is not ready when a NeDB-backed service runs on two nodes", () => {
    const registry = [item("products", "a", "nedb"), item("products", "b", "nedb"), item("users", "c", "nedb")];
    const report = readiness({ connected: true, expected: ["products", "users"], registry });
    expect(report).toMatchObject({ ready: false, splitStorage: ["products"], missing: [] });
    expect(JSON.stringify(report)).not.toMatch(/"a"|"b"/);
  });

  it("lets a Mongo-backed service scale out", () => {
    expect(splitStorageNodes([item("products", "a", "mongo"), item("products", "b", "mongo")], "products")).toEqual([]);
    expect(splitStorageNodes([item("products", "a", "nedb"), item("products", "b", "nedb")], "products")).toEqual(["a", "b"]);
  });
});

describe("routes the gateway has not built yet", () => {
  const users = { name: "users", nodeID: "a", actions: { "users.me": { name: "users.me", rest: "GET /users/me" }, "users.resolveToken": { name: "users.resolveToken", visibility: "public", rest: "GET /x" } } };
  const payments = { name: "payments", nodeID: "b", actions: { "payments.authorize": { name: "payments.authorize" } } };

  it("are the published REST actions without an alias", () => {
    expect(servicesWithoutRoutes([users, payments], new Set())).toEqual(["users"]);
    expect(servicesWithoutRoutes([users, payments], new Set(["users.me"]))).toEqual([]);
  });

  it("keep the gateway unready", () => {
    expect(readiness({ connected: true, expected: [], registry: [], routesPending: ["users"] })).toMatchObject({ ready: false, routesPending: ["users"] });
  });
});
