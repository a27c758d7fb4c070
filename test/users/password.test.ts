import crypto from "node:crypto";
import { CONFIGURED_PARAMS, DEFAULT_PARAMS, dummyHash, hashPassword, needsRehash, verifyPassword } from "../../services/users/password";
import { loadConfig } from "../../platform/config";
import { registerUser, startUsersPlatform } from "./helpers";

describe("password hashing (services/users/password)", () => {
  it("stores scrypt, its parameters, a salt and the hash in one string", async () => {
    const stored = await hashPassword("correct horse battery");
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{86}$/);
    expect(stored).not.toContain("correct horse battery");
  });

  it("verifies the right password and refuses a wrong one", async () => {
    const stored = await hashPassword("correct horse battery");
    await expect(verifyPassword("correct horse battery", stored)).resolves.toBe(true);
    await expect(verifyPassword("correct horse batterY", stored)).resolves.toBe(false);
    await expect(verifyPassword("", stored)).resolves.toBe(false);
  });

  it("salts every hash: the same password hashes differently each time", async () => {
    const [a, b] = await Promise.all([hashPassword("same password"), hashPassword("same password")]);
    expect(a).not.toBe(b);
    await expect(verifyPassword("same password", b)).resolves.toBe(true);
  });

  it("verifies a hash made with other parameters, and says it needs a rehash", async () => {
    const cheap = await hashPassword("old account", { N: 1024, r: 8, p: 1 });
    expect(cheap.startsWith("scrypt$1024$8$1$")).toBe(true);
    await expect(verifyPassword("old account", cheap)).resolves.toBe(true);
    expect(needsRehash(cheap)).toBe(true);
    expect(needsRehash(await hashPassword("new account"))).toBe(false);
  });

  it("treats the same password typed with composed or decomposed accents as one", async () => {
    const stored = await hashPassword("caf\u00e9-au-lait");
    await expect(verifyPassword("cafe\u0301-au-lait", stored)).resolves.toBe(true);
  });

  it("never matches a malformed or hostile stored hash", async () => {
    const good = await hashPassword("whatever123");
    const parts = good.split("$");
    for (const stored of ["", "plain-text", good.replace("scrypt", "bcrypt"), parts.slice(0, 5).join("$"), ["scrypt", 2 ** 30, 8, 1, parts[4], parts[5]].join("$"), ["scrypt", 1000, 8, 1, parts[4], parts[5]].join("$")]) {
      await expect(verifyPassword("whatever123", stored)).resolves.toBe(false);
    }
  });

  it("refuses to hash with parameters scrypt cannot use", async () => {
    await expect(hashPassword("x", { N: 1000, r: 8, p: 1 })).rejects.toThrow(RangeError);
  });

  it("keeps one dummy hash with the current parameters for logins of unknown emails", async () => {
    const dummy = await dummyHash();
    expect(await dummyHash()).toBe(dummy);
    expect(needsRehash(dummy, CONFIGURED_PARAMS)).toBe(false);
    await expect(verifyPassword("anything", dummy)).resolves.toBe(false);
  });
});

describe("the cost of password hashes", () => {
  it("is OWASP's scrypt recommendation by default (N=2^17, r=8, p=1), and production takes no less", async () => {
    expect(DEFAULT_PARAMS).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(loadConfig({}).passwordScryptN).toBe(2 ** 17);
    expect(() => loadConfig({ NODE_ENV: "production", PASSWORD_SCRYPT_N: "16384" })).toThrow(/PASSWORD_SCRYPT_N/);
    expect(() => loadConfig({ PASSWORD_SCRYPT_N: "100000" })).toThrow(/PASSWORD_SCRYPT_N/);
    const stored = await hashPassword("correct horse battery", DEFAULT_PARAMS);
    expect(stored.startsWith("scrypt$131072$8$1$")).toBe(true);
    await expect(verifyPassword("correct horse battery", stored)).resolves.toBe(true);
  });

  it("refuses a stored hash whose parameters would take more memory than twice the default, without running scrypt", async () => {
    const good = (await hashPassword("whatever123", { N: 1024, r: 8, p: 1 })).split("$");
    const scrypt = jest.spyOn(crypto, "scrypt").mockImplementation(((...args: unknown[]) => (args[args.length - 1] as (err: Error) => void)(new Error("scrypt was run"))) as never);
    try {
      for (const [N, r, p] of [[2 ** 20, 8, 1], [2 ** 18, 16, 1], [2 ** 17, 8, 16]]) {
        await expect(verifyPassword("whatever123", ["scrypt", N, r, p, good[4], good[5]].join("$"))).resolves.toBe(false);
      }
      expect(scrypt).not.toHaveBeenCalled();
    } finally {
      scrypt.mockRestore();
    }
  });

  it("upgrades a hash made at an older cost at the account's next successful login", async () => {
    const platform = await startUsersPlatform();
    try {
      const { user, password } = await registerUser(platform.http);
      await platform.users.updateWhere({ _id: user.id }, { $set: { passwordHash: await hashPassword(password, { N: 1024, r: 8, p: 1 }) } });
      expect((await platform.http.post("/auth/login", { email: user.email, password })).status).toBe(200);
      const doc = await platform.users.findEntityById(user.id);
      expect(doc?.passwordHash.startsWith(`scrypt$${CONFIGURED_PARAMS.N}$8$1$`)).toBe(true);
      expect((await platform.http.post("/auth/login", { email: user.email, password })).status).toBe(200);
    } finally {
      await platform.stop();
    }
  });
});

