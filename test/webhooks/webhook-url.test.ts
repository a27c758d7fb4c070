/**
 * Where webhooks may go: the URL rules, the address rules applied after DNS
 * resolution by the connection's own lookup, and redirects, which are not
 * followed. A production-mode node refuses http://127.0.0.1 outright.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type dns from "node:dns";
import type { ServiceSchema } from "moleculer";
import { endpointUrlProblem, forbiddenAddress, guardedLookup } from "../../services/webhooks/webhook-url";
import { sendWebhook } from "../../services/webhooks/webhook-sender";
import { loadWithEnv } from "../support/load-with-env";
import { makeTempDir, removeTempDir } from "../support/temp-dirs";
import { startWebhooks } from "./support/webhooks-platform";

const PRODUCTION = { requireHttps: true, allowPrivate: false };
const DEVELOPMENT = { requireHttps: false, allowPrivate: true };

describe("endpoint URLs", () => {
  it("must be https in production, http is fine in development", () => {
    expect(endpointUrlProblem("http://erp.example.com/hooks", PRODUCTION)).toBe("must use https");
    expect(endpointUrlProblem("https://erp.example.com/hooks", PRODUCTION)).toBeNull();
    expect(endpointUrlProblem("http://127.0.0.1:8080/hooks", DEVELOPMENT)).toBeNull();
  });

  it("may not name loopback, private, link-local or metadata addresses in production", () => {
    for (const url of ["https://127.0.0.1/", "https://10.1.2.3/", "https://192.168.0.10/", "https://172.20.0.1/", "https://169.254.10.10/", "https://[::1]/", "https://[fd12::1]/", "https://[fe80::1]/", "https://[::ffff:127.0.0.1]/", "https://0.0.0.0/", "https://localhost/"]) {
      expect([url, endpointUrlProblem(url, PRODUCTION)]).toEqual([url, expect.stringMatching(/^must not point at/)]);
    }
    expect(endpointUrlProblem("https://8.8.8.8/", PRODUCTION)).toBeNull();
  });

  it("never reaches a cloud metadata address, even where private addresses are allowed", () => {
    expect(endpointUrlProblem("http://169.254.169.254/latest/meta-data", DEVELOPMENT)).toMatch(/metadata/);
    expect(forbiddenAddress("fd00:ec2::254", true)).toMatch(/metadata/);
  });

  it("refuses malformed URLs, other schemes and embedded credentials", () => {
    expect(endpointUrlProblem("not a url", DEVELOPMENT)).toBe("must be an absolute URL");
    expect(endpointUrlProblem("ftp://example.com/", DEVELOPMENT)).toBe("must be an http(s) URL");
    expect(endpointUrlProblem("https://user:pw@example.com/", DEVELOPMENT)).toBe("must not contain credentials");
  });
});

describe("the connection's lookup", () => {
  const resolvingTo = (address: string, family: number) =>
    ((_host: string, _opts: unknown, cb: (err: null, addresses: dns.LookupAddress[]) => void) => cb(null, [{ address, family }])) as unknown as typeof dns.lookup;

  it("refuses a public-looking name that resolves to a private address", async () => {
    const lookup = guardedLookup(false, resolvingTo("10.0.0.5", 4));
    const err = await new Promise<Error | null>((resolve) => lookup("erp.example.com", {}, (e) => resolve(e)));
    expect(err?.message).toBe("erp.example.com resolves to a loopback, private, link-local or reserved address (10.0.0.5)");
  });

  it("hands back a public address in the shape the caller asked for", async () => {
    const lookup = guardedLookup(false, resolvingTo("93.184.216.34", 4));
    const single = await new Promise<unknown[]>((resolve) => lookup("example.com", {}, (...args) => resolve(args)));
    expect(single).toEqual([null, "93.184.216.34", 4]);
    const all = await new Promise<unknown[]>((resolve) => lookup("example.com", { all: true }, (...args) => resolve(args)));
    expect(all).toEqual([null, [{ address: "93.184.216.34", family: 4 }]]);
  });
});

describe("an attempt", () => {
  let server: http.Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits++;
      if (req.url === "/moved") res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data" }).end();
      else res.writeHead(200).end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const attempt = (url: string, allowPrivate: boolean) => sendWebhook({ url, headers: {}, body: "{}", timeoutMs: 2_000, allowPrivate });

  it("to a name that resolves to loopback is refused before connecting when private addresses are not allowed", async () => {
    const before = hits;
    const result = await attempt(`http://localhost:${port}/hooks`, false);
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^refused: localhost resolves to a loopback/) });
    expect(hits).toBe(before);
  });

  it("does not follow a redirect", async () => {
    const result = await attempt(`http://127.0.0.1:${port}/moved`, true);
    expect(result).toMatchObject({ ok: false, statusCode: 302, error: "redirect to http://169.254.169.254/latest/meta-data not followed" });
  });
});

describe("a production-mode node", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await makeTempDir("webhooks-production");
  });
  afterAll(async () => {
    await removeTempDir(dataDir);
  });

  it("refuses http://127.0.0.1 as an endpoint", async () => {
    const service = loadWithEnv({ NODE_ENV: "production", DATA_DIR: dataDir, PASSWORD_SCRYPT_N: String(2 ** 17), JWT_SECRET: "a-production-secret-of-this-test-only-9f3b2c7d1e", ADMIN_PASSWORD: "a-production-admin-password-7c1d", SIMULATED_PAYMENTS_MOVE_NO_MONEY: "true" }, () => require("../../services/webhooks/webhooks.service").default as ServiceSchema);
    const platform = await startWebhooks({ webhooks: service, settings: {} });
    try {
      const res = await platform.http.post<{ data: { field: string; message: string }[] }>("/admin/webhooks", { url: "http://127.0.0.1:8080/hooks", events: ["order.paid"] }, { token: "token-admin" });
      expect(res.status).toBe(422);
      expect(res.body.data).toEqual([{ field: "url", message: "The 'url' field must use https.", type: "webhookUrl" }]);
      const https = await platform.http.post<{ data: { message: string }[] }>("/admin/webhooks", { url: "https://127.0.0.1:8443/hooks", events: ["order.paid"] }, { token: "token-admin" });
      expect(https.status).toBe(422);
      expect(https.body.data[0].message).toBe("The 'url' field must not point at a loopback, private, link-local or reserved address.");
    } finally {
      await platform.stop();
    }
  });
});
