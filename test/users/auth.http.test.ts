/**
 * POST /api/auth/register and POST /api/auth/login through the gateway (docs/api.md "Auth and users").
 */
import { durableEventRecorder, type RecordedEvent } from "../support/durable-events";
import type { ServiceSchema } from "moleculer";
import { rawRequest } from "../support/http";
import type { PublicUser } from "../../services/users/users";
import { decodePayload, registerUser, startUsersPlatform, uniqueEmail, type UsersPlatform } from "./helpers";

type Session = { user: PublicUser; token: string };
type ErrorBody = { name: string; message: string; code: number; type: string; data?: { field?: string; message?: string }[] & { field?: string } };

const recorded: RecordedEvent[] = [];
const EventSpy: ServiceSchema = durableEventRecorder("registration-spy", ["user.registered"], recorded);
const registered = () => recorded.map((r) => r.payload);

describe("registration and login over HTTP", () => {
  let platform: UsersPlatform;
  beforeAll(async () => {
    platform = await startUsersPlatform();
    platform.broker.createService(EventSpy);
    await platform.broker.waitForServices("registration-spy");
  });
  afterAll(() => platform.stop());

  describe("POST /api/auth/register", () => {
    it("creates a customer and answers 201 with the user and a token", async () => {
      const email = uniqueEmail();
      const res = await platform.http.post<Session>("/auth/register", { email, password: "s3cret-pass", name: "Ada Lovelace" });
      expect(res.status).toBe(201);
      expect(res.headers.get("location")).toBe("/api/users/me");
      expect(res.body.user).toEqual({
        id: expect.any(String),
        email,
        name: "Ada Lovelace",
        role: "customer",
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(decodePayload(res.body.token).sub).toBe(res.body.user.id);
      const me = await platform.http.get<PublicUser>("/users/me", { token: res.body.token });
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(res.body.user.id);
    });

    it("trims and lower-cases the email, so the same address in other case is the same account", async () => {
      const local = uniqueEmail().split("@")[0];
      const res = await platform.http.post<Session>("/auth/register", { email: `  ${local.toUpperCase()}@Example.COM `, password: "s3cret-pass", name: "Mixed Case" });
      expect(res.status).toBe(201);
      expect(res.body.user.email).toBe(`${local}@example.com`);
      const login = await platform.http.post<Session>("/auth/login", { email: `${local.toUpperCase()}@EXAMPLE.com`, password: "s3cret-pass" });
      expect(login.status).toBe(200);
      const again = await platform.http.post<ErrorBody>("/auth/register", { email: `${local}@EXAMPLE.COM`, password: "s3cret-pass", name: "Again" });
      expect(again.status).toBe(409);
    });

    it("answers 409 naming the field when the email is taken", async () => {
      const { user } = await registerUser(platform.http);
      const res = await platform.http.post<ErrorBody>("/auth/register", { email: user.email, password: "another-pass", name: "Impostor" });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 409, type: "CONFLICT", data: { field: "email" } });
    });

    it("lets exactly one of two simultaneous registrations of one email through", async () => {
      const email = uniqueEmail("race");
      const answers = await Promise.all(
        ["first", "second"].map((name) => platform.http.post("/auth/register", { email, password: "s3cret-pass", name })),
      );
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(await platform.users.adapter.count({ query: { email } })).toBe(1);
    });

    it("answers 422 naming `password` when it is shorter than 8 characters", async () => {
      const res = await platform.http.post<ErrorBody>("/auth/register", { email: uniqueEmail(), password: "short7!", name: "Shorty" });
      expect(res.status).toBe(422);
      expect(res.body.type).toBe("VALIDATION_ERROR");
      expect(res.body.data?.map((d) => d.field)).toEqual(["password"]);
      expect(res.text).not.toContain("short7!");
    });

    it.each([
      ["email", { email: "not-an-email", password: "s3cret-pass", name: "N" }],
      ["email", { password: "s3cret-pass", name: "N" }],
      ["name", { email: "a@example.com", password: "s3cret-pass", name: "   " }],
      ["password", { email: "a@example.com", password: "x".repeat(201), name: "N" }],
      ["password", { email: "a@example.com", password: 12345678, name: "N" }],
    ])("answers 422 naming `%s` for a bad field", async (field, body) => {
      const res = await platform.http.post<ErrorBody>("/auth/register", body);
      expect(res.status).toBe(422);
      expect(res.body.data?.map((d) => d.field)).toContain(field);
    });

    it("ignores fields it does not know, such as a role", async () => {
      const res = await platform.http.post<Session>("/auth/register", { email: uniqueEmail(), password: "s3cret-pass", name: "Mallory", role: "admin", passwordHash: "x" });
      expect(res.status).toBe(201);
      expect(res.body.user.role).toBe("customer");
    });

    it("answers 400 for a malformed JSON body", async () => {
      const res = await rawRequest<ErrorBody>(`${platform.baseUrl}/api`, "POST", "/auth/register", '{"email": "a@example.com", "password": ', { "content-type": "application/json" });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 400, type: "INVALID_JSON" });
    });

    it("emits user.registered with the id, email and name only", async () => {
      const { user } = await registerUser(platform.http, { password: "event-secret-pass" });
      await waitFor(() => registered().some((e) => (e as { id?: string }).id === user.id));
      const event = registered().find((e) => (e as { id?: string }).id === user.id);
      expect(event).toEqual({ id: user.id, email: user.email, name: user.name });
    });
  });

  describe("POST /api/auth/login", () => {
    it("answers 200 with the user and a fresh token", async () => {
      const { user, password } = await registerUser(platform.http);
      const res = await platform.http.post<Session>("/auth/login", { email: user.email, password });
      expect(res.status).toBe(200);
      expect(res.body.user).toEqual(user);
      expect(decodePayload(res.body.token).sub).toBe(user.id);
      expect((await platform.http.get("/users/me", { token: res.body.token })).status).toBe(200);
    });

    it("answers the same 401 for a wrong password and for an unknown email", async () => {
      const { user } = await registerUser(platform.http);
      const wrongPassword = await platform.http.post<ErrorBody>("/auth/login", { email: user.email, password: "not-the-password" });
      const unknownEmail = await platform.http.post<ErrorBody>("/auth/login", { email: uniqueEmail("nobody"), password: "not-the-password" });
      expect(wrongPassword.status).toBe(401);
      expect(unknownEmail.status).toBe(401);
      expect(wrongPassword.body).toEqual({ name: "UnauthorizedError", message: "Invalid email or password", code: 401, type: "INVALID_CREDENTIALS" });
      expect(unknownEmail.body).toEqual(wrongPassword.body);
    });

    it("refuses a disabled account with the same 401", async () => {
      const { user, password } = await registerUser(platform.http);
      await platform.users.updateWhere({ _id: user.id }, { $set: { disabled: true } });
      const res = await platform.http.post<ErrorBody>("/auth/login", { email: user.email, password });
      expect(res.status).toBe(401);
      expect(res.body.type).toBe("INVALID_CREDENTIALS");
    });

    it("answers 422 when the email or password is missing", async () => {
      const res = await platform.http.post<ErrorBody>("/auth/login", { email: uniqueEmail() });
      expect(res.status).toBe(422);
      expect(res.body.data?.map((d) => d.field)).toEqual(["password"]);
    });

    it("answers 400 for a malformed JSON body", async () => {
      const res = await rawRequest<ErrorBody>(`${platform.baseUrl}/api`, "POST", "/auth/login", "{not json", { "content-type": "application/json" });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe("INVALID_JSON");
    });
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
