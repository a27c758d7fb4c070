import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { ConfigError } from "../../platform/config";
import { loadJwtKey, signToken, verifyToken, JWT_AUDIENCE, JWT_ISSUER } from "../../services/users/jwt";
import { makeTempDir, removeTempDir } from "../support/temp-dirs";
import { claims, decodePayload, handMadeToken, withPayload } from "./helpers";

const key = new TextEncoder().encode(randomBytes(32).toString("hex"));
const otherKey = new TextEncoder().encode(randomBytes(32).toString("hex"));

async function rejection(token: string, k = key) {
  const err = await verifyToken(token, k).then(
    () => null,
    (e: unknown) => e as { code: number; type: string; message: string },
  );
  if (!err) throw new Error("the token was accepted");
  return err;
}

describe("access tokens (services/users/jwt)", () => {
  it("signs HS256 tokens for a user with issuer, audience and expiry", async () => {
    const token = await signToken("user-1", key, 3600, 4);
    const [header] = token.split(".");
    expect(JSON.parse(Buffer.from(header, "base64url").toString())).toEqual({ alg: "HS256", typ: "JWT" });
    const payload = decodePayload(token);
    expect(payload).toMatchObject({ sub: "user-1", iss: JWT_ISSUER, aud: JWT_AUDIENCE, ver: 4 });
    expect(payload.exp).toBe((payload.iat as number) + 3600);
    expect(payload.jti).toEqual(expect.any(String));
    await expect(verifyToken(token, key)).resolves.toEqual({ userId: "user-1", tokenId: payload.jti, version: 4, expiresAt: payload.exp });
  });

  it("accepts a token built elsewhere with the same key and claims", async () => {
    await expect(verifyToken(handMadeToken({ alg: "HS256", typ: "JWT" }, claims("u9"), key), key)).resolves.toMatchObject({ userId: "u9", version: 0 });
  });

  it("refuses a token without a token id or version: it could not be revoked", async () => {
    expect(await rejection(handMadeToken({ alg: "HS256", typ: "JWT" }, claims("u9", { jti: undefined }), key))).toMatchObject({ code: 401 });
    expect(await rejection(handMadeToken({ alg: "HS256", typ: "JWT" }, claims("u9", { ver: "1" }), key))).toMatchObject({ code: 401 });
  });

  it("refuses a token whose payload was changed after signing", async () => {
    const token = await signToken("user-1", key, 3600, 0);
    const err = await rejection(withPayload(token, { ...decodePayload(token), sub: "admin-id" }));
    expect(err).toMatchObject({ code: 401, type: "INVALID_TOKEN" });
  });

  it("refuses a token signed with another key", async () => {
    expect(await rejection(await signToken("user-1", otherKey, 3600, 0))).toMatchObject({ code: 401, type: "INVALID_TOKEN" });
  });

  it("refuses an expired token, saying so", async () => {
    const expired = handMadeToken({ alg: "HS256" }, claims("user-1", { iat: 1_000, exp: 2_000 }), key);
    expect(await rejection(expired)).toMatchObject({ code: 401, type: "TOKEN_EXPIRED" });
  });

  it("refuses an unsigned token (alg: none)", async () => {
    expect(await rejection(handMadeToken({ alg: "none", typ: "JWT" }, claims("user-1")))).toMatchObject({ code: 401, type: "INVALID_TOKEN" });
  });

  it("refuses another algorithm even with the right key (HS512)", async () => {
    expect(await rejection(handMadeToken({ alg: "HS512" }, claims("user-1"), key))).toMatchObject({ code: 401, type: "INVALID_TOKEN" });
  });

  it("refuses a token for another audience or from another issuer", async () => {
    expect(await rejection(handMadeToken({ alg: "HS256" }, claims("user-1", { aud: "another-api" }), key))).toMatchObject({ code: 401 });
    expect(await rejection(handMadeToken({ alg: "HS256" }, claims("user-1", { iss: "someone-else" }), key))).toMatchObject({ code: 401 });
  });

  it("refuses a token without expiry or without subject", async () => {
    const { exp: _exp, ...noExp } = claims("user-1");
    expect(await rejection(handMadeToken({ alg: "HS256" }, noExp, key))).toMatchObject({ code: 401 });
    const { sub: _sub, ...noSub } = claims("user-1");
    expect(await rejection(handMadeToken({ alg: "HS256" }, noSub, key))).toMatchObject({ code: 401 });
  });

  it("refuses garbage", async () => {
    for (const token of ["", "a.b.c", "not-a-jwt", `${"x".repeat(100)}.${"y".repeat(100)}.`]) {
      expect(await rejection(token)).toMatchObject({ code: 401, type: "INVALID_TOKEN" });
    }
  });
});

describe("the JWT secret (loadJwtKey)", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = path.join(makeTempDir("jwt"), "data");
  });
  afterEach(() => removeTempDir(path.dirname(dataDir)));

  it("is JWT_SECRET when set", () => {
    const secret = "s".repeat(40);
    expect(Buffer.from(loadJwtKey({ jwtSecret: secret, production: true, dataDir })).toString()).toBe(secret);
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it("is required in production: the service refuses to start without it", () => {
    expect(() => loadJwtKey({ jwtSecret: undefined, production: true, dataDir })).toThrow(ConfigError);
    expect(() => loadJwtKey({ jwtSecret: undefined, production: true, dataDir })).toThrow(/JWT_SECRET is required/);
  });

  it("must be long enough for HS256", () => {
    expect(() => loadJwtKey({ jwtSecret: "short", production: false, dataDir })).toThrow(/at least 32 characters/);
  });

  it("is generated once outside production and kept in <dataDir>/jwt-secret, readable by the owner only", () => {
    const first = loadJwtKey({ jwtSecret: undefined, production: false, dataDir });
    const file = path.join(dataDir, "jwt-secret");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(first).toString()).toBe(fs.readFileSync(file, "utf8"));
    // A restart reads the same secret, so tokens issued before it stay valid.
    expect(Buffer.from(loadJwtKey({ jwtSecret: undefined, production: false, dataDir }))).toEqual(Buffer.from(first));
    expect(fs.readdirSync(dataDir)).toEqual(["jwt-secret"]);
  });
});
