/**
 * Bearer tokens as the gateway sees them: only a valid, unexpired HS256
 * token of an existing, enabled user gets through (docs/api.md: 401 missing,
 * invalid or expired token).
 */
import { config } from "../../platform/config";
import { waitUntil } from "../support/wait-until";
import { claims, decodePayload, handMadeToken, registerUser, startUsersPlatform, withPayload, type Session, type UsersPlatform } from "./helpers";

type ErrorBody = { code: number; type: string };

describe("bearer tokens through the gateway", () => {
  let platform: UsersPlatform;
  let alice: Session;
  let bob: Session;

  beforeAll(async () => {
    platform = await startUsersPlatform();
    alice = await registerUser(platform.http, { name: "Alice" });
    bob = await registerUser(platform.http, { name: "Bob" });
  });
  afterAll(() => platform.stop());

  const me = (token?: string, headers?: Record<string, string>) => platform.http.get<ErrorBody & { id: string }>("/users/me", { token, headers });

  it("lets a valid token through", async () => {
    const res = await me(alice.token);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(alice.user.id);
  });

  it("answers 401 without a token", async () => {
    const res = await me();
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 401, type: "NO_TOKEN" });
  });

  it("answers 401 for an Authorization header that is not a Bearer token", async () => {
    expect((await me(undefined, { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` })).status).toBe(401);
    expect((await me(undefined, { authorization: "Bearer " })).status).toBe(401);
  });

  it("answers 401 for a token whose payload was changed (another user's id, same signature)", async () => {
    const forged = withPayload(alice.token, { ...decodePayload(alice.token), sub: bob.user.id });
    const res = await me(forged);
    expect(res.status).toBe(401);
    expect(res.body.type).toBe("INVALID_TOKEN");
  });

  it("answers 401 for a token with a flipped signature byte", async () => {
    const [header, payload, signature] = alice.token.split(".");
    const flipped = `${header}.${payload}.${signature[0] === "A" ? "B" : "A"}${signature.slice(1)}`;
    expect((await me(flipped)).status).toBe(401);
  });

  it("answers 401 for an expired token signed with the right key", async () => {
    const expired = handMadeToken({ alg: "HS256", typ: "JWT" }, claims(alice.user.id, { iat: 1_700_000_000, exp: 1_700_000_060 }), platform.users.jwtKey);
    const res = await me(expired);
    expect(res.status).toBe(401);
    expect(res.body.type).toBe("TOKEN_EXPIRED");
  });

  it("answers 401 for an unsigned token (alg: none)", async () => {
    expect((await me(handMadeToken({ alg: "none", typ: "JWT" }, claims(alice.user.id)))).status).toBe(401);
  });

  it("answers 401 for a token signed with another algorithm (HS512) and the right key", async () => {
    expect((await me(handMadeToken({ alg: "HS512", typ: "JWT" }, claims(alice.user.id), platform.users.jwtKey))).status).toBe(401);
  });

  it("answers 401 for a token meant for another audience", async () => {
    expect((await me(handMadeToken({ alg: "HS256" }, claims(alice.user.id, { aud: "another-api" }), platform.users.jwtKey))).status).toBe(401);
  });

  it("accepts a token built by hand with the right key and claims (the checks above are not blanket refusals)", async () => {
    expect((await me(handMadeToken({ alg: "HS256", typ: "JWT" }, claims(alice.user.id), platform.users.jwtKey))).status).toBe(200);
  });

  it("stops a deleted user's token at the next resolve, and at the gateway once its cache entry expires", async () => {
    const doomed = await registerUser(platform.http);
    expect((await me(doomed.token)).status).toBe(200);
    await platform.users.adapter.removeMany({ _id: doomed.user.id });

    await expect(platform.broker.call("users.resolveToken", { token: doomed.token })).rejects.toMatchObject({ code: 401 });
    // The gateway keeps a resolved token for AUTH_CACHE_TTL: wait that out, no longer.
    await waitUntil(async () => (await me(doomed.token)).status === 401, {
      description: "the deleted user's token to be refused",
      timeoutMs: config.authCacheTtlMs + 3000,
      intervalMs: 250,
    });
  });

  it("stops a disabled user's token the same way", async () => {
    const disabled = await registerUser(platform.http);
    expect((await me(disabled.token)).status).toBe(200);
    await platform.users.updateWhere({ _id: disabled.user.id }, { $set: { disabled: true } });

    await expect(platform.broker.call("users.resolveToken", { token: disabled.token })).rejects.toMatchObject({ code: 401 });
    await waitUntil(async () => (await me(disabled.token)).status === 401, {
      description: "the disabled user's token to be refused",
      timeoutMs: config.authCacheTtlMs + 3000,
      intervalMs: 250,
    });
  });

  const refusedWithinCacheTtl = (token: string, what: string) =>
    waitUntil(async () => (await me(token)).status === 401, { description: what, timeoutMs: config.authCacheTtlMs + 3000, intervalMs: 250 });
  const login = async (session: Session) => {
    const res = await platform.http.post<{ token: string }>("/auth/login", { email: session.user.email, password: session.password });
    expect(res.status).toBe(200);
    return res.body.token;
  };

  it("stops every token issued before a password change; a login with the new password works", async () => {
    const session = await registerUser(platform.http);
    const otherDevice = await login(session);
    const changed = await platform.http.patch("/users/me", { password: "brand-new-password", currentPassword: session.password }, { token: session.token });
    expect(changed.status).toBe(200);

    await refusedWithinCacheTtl(session.token, "the token used for the change to be refused");
    await refusedWithinCacheTtl(otherDevice, "the other device's token to be refused");
    const fresh = await platform.http.post<{ token: string }>("/auth/login", { email: session.user.email, password: "brand-new-password" });
    expect((await me(fresh.body.token)).status).toBe(200);
  });

  it("logs out the token it is called with (204), and only that one", async () => {
    const session = await registerUser(platform.http);
    const otherDevice = await login(session);
    const out = await platform.http.post("/auth/logout", undefined, { token: session.token });
    expect(out.status).toBe(204);

    await refusedWithinCacheTtl(session.token, "the logged-out token to be refused");
    expect((await platform.http.post("/auth/logout", undefined, { token: session.token })).status).toBe(401);
    expect((await me(otherDevice)).status).toBe(200);
  });

  it("logs out every session with ?all=true", async () => {
    const session = await registerUser(platform.http);
    const otherDevice = await login(session);
    expect((await platform.http.post("/auth/logout?all=true", undefined, { token: session.token })).status).toBe(204);

    await refusedWithinCacheTtl(session.token, "the calling token to be refused");
    await refusedWithinCacheTtl(otherDevice, "the other device's token to be refused");
    expect((await me(await login(session))).status).toBe(200);
  });

  it("answers 401 to a logout without a token", async () => {
    expect((await platform.http.post("/auth/logout")).status).toBe(401);
  });

  it("keeps a user's list of logged-out tokens bounded: past it, one more logout ends every session", async () => {
    const session = await registerUser(platform.http);
    const keeper = await login(session);
    for (let i = 0; i < 50; i++) expect((await platform.http.post("/auth/logout", undefined, { token: await login(session) })).status).toBe(204);
    expect((await me(keeper)).status).toBe(200);
    expect((await platform.http.post("/auth/logout", undefined, { token: await login(session) })).status).toBe(204);
    await refusedWithinCacheTtl(keeper, "every older token to be refused");
    const doc = await platform.users.findEntityById(session.user.id);
    expect(doc?.revokedTokens).toEqual([]);
  });
});
