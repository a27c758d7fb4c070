/**
 * Login abuse limits (docs/api.md: login is rate limited; 429 with Retry-After):
 * a per-account limit on failed logins in the users service, and
 * moleculer-web's per-address limit on the auth routes.
 */
import { parseTrustProxy } from "../../platform/client-address";
import { registerUser, startUsersPlatform, uniqueEmail, type Session, type UsersPlatform } from "./helpers";

type ErrorBody = { code: number; type: string; data?: { retryAfter?: number } };

const MAX_FAILURES = 10;
const WINDOW_SEC = 15 * 60;

describe("per-account limit on failed logins", () => {
  let platform: UsersPlatform;
  beforeAll(async () => {
    platform = await startUsersPlatform();
  });
  afterAll(() => platform.stop());

  const login = (email: string, password: string) => platform.http.post<ErrorBody>("/auth/login", { email, password });
  const failTimes = async (email: string, times: number) => {
    for (let i = 0; i < times; i++) expect((await login(email, `wrong-${i}-password`)).status).toBe(401);
  };

  it(`locks an account for the rest of its window after ${MAX_FAILURES} failures: 429 with Retry-After, even with the right password`, async () => {
    const { user, password } = await registerUser(platform.http);
    await failTimes(user.email, MAX_FAILURES);

    const locked = await login(user.email, password);
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ code: 429, type: "RATE_LIMITED" });
    const retryAfter = Number(locked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_SEC);
    expect(locked.body.data?.retryAfter).toBe(retryAfter);
  });

  it("locks only that account", async () => {
    const victim = await registerUser(platform.http);
    const bystander = await registerUser(platform.http);
    await failTimes(victim.user.email, MAX_FAILURES);
    expect((await login(bystander.user.email, bystander.password)).status).toBe(200);
  });

  it("counts the same account whatever the case or spacing of the email", async () => {
    const { user, password } = await registerUser(platform.http);
    for (let i = 0; i < MAX_FAILURES; i++) {
      const variant = i % 2 ? ` ${user.email.toUpperCase()} ` : user.email;
      expect((await login(variant, "wrong-password")).status).toBe(401);
    }
    expect((await login(user.email, password)).status).toBe(429);
  });

  it("limits unknown emails alike, so a 429 does not tell that an account exists", async () => {
    const nobody = uniqueEmail("nobody");
    await failTimes(nobody, MAX_FAILURES);
    expect((await login(nobody, "any-password")).status).toBe(429);
  });

  it("forgets the failures after a successful login", async () => {
    const { user, password } = await registerUser(platform.http);
    await failTimes(user.email, MAX_FAILURES - 1);
    expect((await login(user.email, password)).status).toBe(200);
    await failTimes(user.email, MAX_FAILURES - 1);
    expect((await login(user.email, password)).status).toBe(200);
  });

  it("counts a wrong currentPassword on a password change as a failure, so a stolen token cannot guess the password", async () => {
    const session: Session = await registerUser(platform.http);
    for (let i = 0; i < MAX_FAILURES; i++) {
      const res = await platform.http.patch("/users/me", { password: "new-password-123", currentPassword: `guess-${i}` }, { token: session.token });
      expect(res.status).toBe(422);
    }
    const locked = await platform.http.patch<ErrorBody>("/users/me", { password: "new-password-123", currentPassword: session.password }, { token: session.token });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await login(session.user.email, session.password)).status).toBe(429);
  });
});

describe("per-address limit on the auth routes (moleculer-web)", () => {
  let platform: UsersPlatform;
  beforeAll(async () => {
    platform = await startUsersPlatform({ authRateLimit: { window: 60_000, limit: 3 } });
  });
  afterAll(() => platform.stop());

  it("answers 429 with Retry-After once an address exceeds the limit, and leaves other routes alone", async () => {
    const { user, password, token } = await registerUser(platform.http); // 1
    expect((await platform.http.post("/auth/login", { email: user.email, password })).status).toBe(200); // 2
    expect((await platform.http.post("/auth/login", { email: user.email, password: "wrong-password" })).status).toBe(401); // 3

    const limited = await platform.http.post<ErrorBody>("/auth/login", { email: user.email, password });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect((await platform.http.post("/auth/register", { email: uniqueEmail(), password: "s3cret-pass", name: "Late" })).status).toBe(429);

    expect((await platform.http.get("/users/me", { token })).status).toBe(200);
  });
});

describe("the per-address limit takes the address from the socket, not from what the client sends", () => {
  it("limits a client that sends a new X-Forwarded-For value with each request", async () => {
    const platform = await startUsersPlatform({ authRateLimit: { window: 60_000, limit: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await platform.http.post("/auth/login", { email: uniqueEmail(), password: "wrong-password" }, { headers: { "x-forwarded-for": `198.51.100.${i + 1}` } });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    } finally {
      await platform.stop();
    }
  });

  it("believes the entry the trusted proxy appended (TRUST_PROXY=1): two clients behind one ingress are limited apart", async () => {
    const platform = await startUsersPlatform({ authRateLimit: { window: 60_000, limit: 2 }, trustProxy: parseTrustProxy("1") });
    try {
      const from = (client: string, forged = "1.2.3.4") =>
        platform.http.post("/auth/login", { email: uniqueEmail(), password: "wrong-password" }, { headers: { "x-forwarded-for": `${forged}, ${client}` } });
      expect((await from("203.0.113.1", "1.1.1.1")).status).toBe(401);
      expect((await from("203.0.113.1", "2.2.2.2")).status).toBe(401);
      expect((await from("203.0.113.1", "3.3.3.3")).status).toBe(429);
      expect((await from("203.0.113.2")).status).toBe(401);
    } finally {
      await platform.stop();
    }
  });
});

describe("guesses at one account, tried concurrently and from many addresses", () => {
  let platform: UsersPlatform;
  beforeAll(async () => {
    // One proxy hop: X-Forwarded-For's last entry plays the client's address.
    platform = await startUsersPlatform({ trustProxy: parseTrustProxy("1") });
  });
  afterAll(() => platform.stop());

  const loginFrom = (address: string, email: string, password: string) =>
    platform.http.post<ErrorBody>("/auth/login", { email, password }, { headers: { "x-forwarded-for": address } });

  it(`checks at most ${MAX_FAILURES} of 100 concurrent wrong passwords; the others get 429`, async () => {
    const { user } = await registerUser(platform.http);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => loginFrom(`198.51.100.${i + 1}`, user.email, `wrong-${i}-password`)));
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(MAX_FAILURES);
    expect(statuses.filter((status) => status !== 401).every((status) => status === 429)).toBe(true);
  });

  it("keeps strangers' guesses from locking the owner out of an address they logged in from", async () => {
    const owner = "203.0.113.10";
    const { user, password } = await registerUser(platform.http, {}, { "x-forwarded-for": owner });
    for (let i = 0; i < 2 * MAX_FAILURES; i++) await loginFrom(`198.51.100.${i + 1}`, user.email, `wrong-${i}-password`);
    // The limit still holds for everyone else, even with the right password...
    expect((await loginFrom("198.51.100.250", user.email, password)).status).toBe(429);
    // ...but not for the owner where they registered and log in.
    expect((await loginFrom(owner, user.email, password)).status).toBe(200);
  });
});

