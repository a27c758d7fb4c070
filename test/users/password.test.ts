import { DEFAULT_PARAMS, dummyHash, hashPassword, needsRehash, verifyPassword } from "../../services/users/password";

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
    expect(needsRehash(dummy, DEFAULT_PARAMS)).toBe(false);
    await expect(verifyPassword("anything", dummy)).resolves.toBe(false);
  });
});
