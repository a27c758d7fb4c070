import { readiness } from "../../lib/readiness";
import { splitStorageNodes } from "../../lib/split-storage";

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
