/**
 * The admin of ADMIN_EMAIL / ADMIN_PASSWORD is created at start if missing,
 * once, however often or however many nodes start.
 */
import { ConfigError } from "../../platform/config";
import { adminCredentials } from "../../services/users/users";
import { ADMIN, loginAdmin, startUsersPlatform, type UsersPlatform } from "./helpers";

describe("admin credentials from the configuration", () => {
  const explicit = { production: true, adminFromEnv: true, adminEmail: " Boss@Shop.Example ", adminPassword: "a-long-admin-password" };

  it("are ADMIN_EMAIL (normalised) and ADMIN_PASSWORD", () => {
    expect(adminCredentials(explicit)).toEqual({ email: "boss@shop.example", password: "a-long-admin-password" });
  });

  it("refuse production without ADMIN_EMAIL and ADMIN_PASSWORD set explicitly: the service does not start", () => {
    expect(() => adminCredentials({ ...explicit, adminFromEnv: false })).toThrow(ConfigError);
    expect(() => adminCredentials({ ...explicit, adminFromEnv: false })).toThrow(/ADMIN_EMAIL and ADMIN_PASSWORD are required/);
  });

  it("may be the development defaults outside production", () => {
    expect(adminCredentials({ ...explicit, production: false, adminFromEnv: false, adminEmail: "admin@shop.local" }).email).toBe("admin@shop.local");
  });

  it("refuse a password shorter than any user's, or an email that is not one", () => {
    expect(() => adminCredentials({ ...explicit, adminPassword: "short" })).toThrow(/ADMIN_PASSWORD/);
    expect(() => adminCredentials({ ...explicit, adminEmail: "boss" })).toThrow(/ADMIN_EMAIL/);
  });
});

describe("the bootstrapped admin", () => {
  let platform: UsersPlatform;
  beforeAll(async () => {
    platform = await startUsersPlatform();
  });
  afterAll(() => platform.stop());

  const admins = () => platform.users.adapter.find({ query: { role: "admin" } });

  it("exists after the start and logs in as an admin", async () => {
    const res = await platform.http.post<{ user: { role: string; email: string } }>("/auth/login", ADMIN);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ role: "admin", email: ADMIN.email });
  });

  it("is created once however often the bootstrap runs, one after the other or at the same time", async () => {
    const before = await admins();
    expect(before).toHaveLength(1);
    await platform.users.bootstrapAdmin();
    await Promise.all([platform.users.bootstrapAdmin(), platform.users.bootstrapAdmin(), platform.users.bootstrapAdmin()]);
    const after = await admins();
    expect(after).toHaveLength(1);
    expect(after[0]._id).toBe(before[0]._id);
  });

  // Three bootstraps on one service and store race as nodes sharing one database do: each reads
  // "missing", hashes, then inserts. A second node process would add nothing the store decides.
  it("is created once when the account is missing and three bootstraps race on one store (the unique index decides)", async () => {
    await platform.users.adapter.removeMany({ role: "admin" });
    await Promise.all([platform.users.bootstrapAdmin(), platform.users.bootstrapAdmin(), platform.users.bootstrapAdmin()]);
    expect(await admins()).toHaveLength(1);
    expect((await platform.http.post("/auth/login", ADMIN)).status).toBe(200);
  });

  it("keeps a password the admin changed: a restart does not reset it", async () => {
    const token = await loginAdmin(platform.http);
    const changed = await platform.http.patch("/users/me", { password: "changed-admin-password", currentPassword: ADMIN.password }, { token });
    expect(changed.status).toBe(200);
    await platform.users.bootstrapAdmin();
    expect((await platform.http.post("/auth/login", ADMIN)).status).toBe(401);
    expect((await platform.http.post("/auth/login", { ...ADMIN, password: "changed-admin-password" })).status).toBe(200);
  });

  it("does not turn an existing customer of that email into an admin", async () => {
    await platform.users.adapter.removeMany({ email: ADMIN.email });
    const res = await platform.http.post<{ user: { role: string } }>("/auth/register", { email: ADMIN.email, password: "squatter-password", name: "Squatter" });
    expect(res.status).toBe(201);
    await platform.users.bootstrapAdmin();
    const doc = await platform.users.adapter.findOne({ email: ADMIN.email });
    expect(doc?.role).toBe("customer");
  });
});
