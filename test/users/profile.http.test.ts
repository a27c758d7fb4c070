/**
 * GET/PATCH /api/users/me and the admin's GET /api/users (docs/api.md "Auth and users").
 */
import type { PublicUser } from "../../services/users/users";
import { loginAdmin, registerUser, startUsersPlatform, type Session, type UsersPlatform } from "./helpers";

type ErrorBody = { code: number; type: string; message: string; data?: { field: string; message: string; type: string }[] };
type Page = { rows: PublicUser[]; total: number; page: number; pageSize: number; totalPages: number };

const fields = (body: ErrorBody) => (body.data ?? []).map((d) => d.field);

describe("profile and user list over HTTP", () => {
  let platform: UsersPlatform;
  beforeAll(async () => {
    platform = await startUsersPlatform();
  });
  afterAll(() => platform.stop());

  describe("GET /api/users/me", () => {
    it("answers the caller's own profile", async () => {
      const { user, token } = await registerUser(platform.http, { name: "Grace Hopper" });
      const res = await platform.http.get<PublicUser>("/users/me", { token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(user);
    });

    it("answers 401 without a token", async () => {
      expect((await platform.http.get("/users/me")).status).toBe(401);
    });
  });

  describe("PATCH /api/users/me", () => {
    let session: Session;
    beforeEach(async () => {
      session = await registerUser(platform.http);
    });
    const patch = (body: unknown, token = session.token) => platform.http.patch<PublicUser & ErrorBody>("/users/me", body, { token });

    it("changes the name and keeps everything else", async () => {
      const res = await patch({ name: "  New Name  " });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: session.user.id, email: session.user.email, name: "New Name", role: "customer" });
      expect(res.body.updatedAt >= session.user.updatedAt).toBe(true);
      expect((await platform.http.get<PublicUser>("/users/me", { token: session.token })).body.name).toBe("New Name");
    });

    it("stores an address, upper-casing the country and dropping unknown keys", async () => {
      const address = { line1: "1 Main Street", line2: "Flat 2", city: "Berlin", postalCode: "10115", country: "de", doorCode: "1234" };
      const res = await patch({ address });
      expect(res.status).toBe(200);
      expect(res.body.address).toEqual({ line1: "1 Main Street", line2: "Flat 2", city: "Berlin", postalCode: "10115", country: "DE" });
    });

    it("answers 422 naming the address field that is missing or wrong", async () => {
      const noCity = await patch({ address: { line1: "1 Main Street", postalCode: "10115", country: "DE" } });
      expect(noCity.status).toBe(422);
      expect(fields(noCity.body)).toEqual(["address.city"]);
      const badCountry = await patch({ address: { line1: "1 Main Street", city: "Nowhere", postalCode: "0", country: "XX" } });
      expect(badCountry.status).toBe(422);
      expect(fields(badCountry.body)).toEqual(["address.country"]);
    });

    it("ignores an attempt to change the role or the email", async () => {
      const res = await patch({ role: "admin", email: "someone-else@example.com", name: "Still Me" });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ role: "customer", email: session.user.email, name: "Still Me" });
    });

    it("changes the password when the current one is given: the new one logs in, the old one no longer", async () => {
      const res = await patch({ password: "brand-new-password", currentPassword: session.password });
      expect(res.status).toBe(200);
      const oldLogin = await platform.http.post("/auth/login", { email: session.user.email, password: session.password });
      expect(oldLogin.status).toBe(401);
      const newLogin = await platform.http.post("/auth/login", { email: session.user.email, password: "brand-new-password" });
      expect(newLogin.status).toBe(200);
    });

    it("answers 422 on `currentPassword` when it is wrong, and keeps the old password", async () => {
      const res = await patch({ password: "brand-new-password", currentPassword: "not-my-password" });
      expect(res.status).toBe(422);
      expect(fields(res.body)).toEqual(["currentPassword"]);
      expect((await platform.http.post("/auth/login", { email: session.user.email, password: session.password })).status).toBe(200);
      expect((await platform.http.get("/users/me", { token: session.token })).status).toBe(200);
    });

    it("answers 422 on `currentPassword` when it is missing", async () => {
      const res = await patch({ password: "brand-new-password" });
      expect(res.status).toBe(422);
      expect(fields(res.body)).toEqual(["currentPassword"]);
    });

    it("answers 422 on `password` when the new one is too short", async () => {
      const res = await patch({ password: "short", currentPassword: session.password });
      expect(res.status).toBe(422);
      expect(fields(res.body)).toEqual(["password"]);
    });

    it("answers 401 without a token", async () => {
      expect((await platform.http.patch("/users/me", { name: "Nobody" })).status).toBe(401);
    });
  });

  describe("GET /api/users", () => {
    let adminToken: string;
    beforeAll(async () => {
      adminToken = await loginAdmin(platform.http);
      for (let i = 0; i < 5; i++) await registerUser(platform.http, { name: `Listed ${i}` });
    });

    it("answers 403 to a customer", async () => {
      const { token } = await registerUser(platform.http);
      const res = await platform.http.get<ErrorBody>("/users", { token });
      expect(res.status).toBe(403);
      expect(res.body.type).toBe("FORBIDDEN");
    });

    it("answers 401 without a token", async () => {
      expect((await platform.http.get("/users")).status).toBe(401);
    });

    it("pages through every user for an admin, without password hashes", async () => {
      const total = await platform.users.adapter.count();
      const first = await platform.http.get<Page>("/users?page=1&pageSize=2", { token: adminToken });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ total, page: 1, pageSize: 2, totalPages: Math.ceil(total / 2) });
      expect(first.body.rows).toHaveLength(2);

      const seen = new Map<string, PublicUser>();
      for (let page = 1; page <= first.body.totalPages; page++) {
        const res = await platform.http.get<Page>(`/users?page=${page}&pageSize=2`, { token: adminToken });
        for (const row of res.body.rows) seen.set(row.id, row);
      }
      expect(seen.size).toBe(total);
      for (const row of seen.values()) expect(Object.keys(row).sort()).toEqual(expect.arrayContaining(["createdAt", "email", "id", "name", "role", "updatedAt"]));
      expect(JSON.stringify([...seen.values()])).not.toMatch(/passwordHash|scrypt\$/);
      expect([...seen.values()].some((u) => u.role === "admin")).toBe(true);
    });

    it("defaults to page 1 of 20", async () => {
      const res = await platform.http.get<Page>("/users", { token: adminToken });
      expect(res.body).toMatchObject({ page: 1, pageSize: 20 });
    });

    it("answers an empty page past the end", async () => {
      const res = await platform.http.get<Page>("/users?page=999&pageSize=100", { token: adminToken });
      expect(res.status).toBe(200);
      expect(res.body.rows).toEqual([]);
    });

    it.each([
      ["pageSize", "pageSize=101"],
      ["pageSize", "pageSize=0"],
      ["page", "page=0"],
      ["page", "page=abc"],
      ["page", "page=1.5"],
    ])("answers 422 naming `%s` for ?%s", async (field, query) => {
      const res = await platform.http.get<ErrorBody>(`/users?${query}`, { token: adminToken });
      expect(res.status).toBe(422);
      expect(fields(res.body)).toEqual([field]);
    });
  });
});
