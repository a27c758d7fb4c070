import { authDecision, parseBearer } from "../../services/api/access";
import type { AuthUser } from "../../types/moleculer";

const customer: AuthUser = { id: "1", email: "c@x.io", name: "C", role: "customer" };
const admin: AuthUser = { ...customer, id: "2", role: "admin" };

describe("the gateway's access rules", () => {
  it("read a Bearer token and nothing else", () => {
    expect(parseBearer(undefined)).toBeNull();
    expect(parseBearer("Bearer abc.def.ghi")).toBe("abc.def.ghi");
    for (const bad of ["Basic abc", "Bearer", "Bearer a b", "bearer abc", `Bearer ${"a".repeat(5000)}`]) {
      expect(() => parseBearer(bad)).toThrow(expect.objectContaining({ code: 401 }));
    }
  });

  it("require a user when an action says nothing", () => {
    expect(authDecision({}, undefined)).toMatchObject({ code: 401, type: "NO_TOKEN" });
    expect(authDecision({}, customer)).toBeNull();
  });

  it("let anyone through public and optional actions", () => {
    expect(authDecision({ auth: false }, undefined)).toBeNull();
    expect(authDecision({ auth: "optional" }, undefined)).toBeNull();
  });

  it("admit only the listed roles", () => {
    expect(authDecision({ roles: ["admin"] }, customer)).toMatchObject({ code: 403, type: "FORBIDDEN" });
    expect(authDecision({ roles: ["admin"] }, admin)).toBeNull();
    expect(authDecision({ roles: ["admin"] }, undefined)).toMatchObject({ code: 401 });
  });
});
