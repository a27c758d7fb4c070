/**
 * How the gateway serves: the storefront's files at / (cached by kind, the
 * page for its own routes, never for /api), security headers on every answer,
 * compressed JSON over 1 KB, and catalog reads answered 304 when unchanged.
 * A stand-in catalog and a built-page fixture; raw HTTP, so nothing decodes
 * or follows for us.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import type { ServiceSchema } from "moleculer";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { makeTempDir, removeTempDir } from "../support/temp-dirs";
import { storefrontAssets } from "../../services/api/storefront";

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function raw(baseUrl: string, urlPath: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    http
      .get(`${baseUrl}${urlPath}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on("error", reject);
  });
}

const HTML = { accept: "text/html,application/xhtml+xml" };
const INDEX = '<!doctype html><html lang="en"><head><title>Shop</title><script type="module" src="/assets/index-Ab12Cd34.js"></script></head><body></body></html>';
const PRODUCTS = Array.from({ length: 40 }, (_, i) => ({ id: `p${i}`, name: `Product number ${i}`, description: "A product of the stand-in catalog.", price: 1000 + i, currency: "USD" }));

const Catalog: ServiceSchema = {
  name: "products",
  settings: { rest: "/" },
  actions: {
    list: { rest: "GET /products", auth: false, params: {}, handler: () => ({ rows: PRODUCTS, total: PRODUCTS.length, page: 1, pageSize: 40, totalPages: 1 }) },
    get: { rest: "GET /products/:id", auth: false, params: { id: "string" }, handler: () => PRODUCTS[0] },
    categories: { rest: "GET /categories", auth: false, params: {}, handler: () => [{ name: "things", count: 40 }] },
  },
};

const Other: ServiceSchema = {
  name: "other",
  settings: { rest: "/" },
  actions: {
    big: { rest: "GET /other/big", auth: false, params: {}, handler: () => ({ rows: PRODUCTS }) },
    small: { rest: "GET /other/small", auth: false, params: {}, handler: () => ({ ok: true }) },
  },
};

let platform: LocalPlatform;
let webDir: string;

beforeAll(async () => {
  webDir = makeTempDir("web-dist");
  fs.mkdirSync(path.join(webDir, "assets"));
  fs.writeFileSync(path.join(webDir, "index.html"), INDEX);
  fs.writeFileSync(path.join(webDir, "assets", "index-Ab12Cd34.js"), `console.log(${JSON.stringify("x".repeat(4000))});\n`);
  fs.writeFileSync(path.join(webDir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  platform = await startLocalPlatform({ services: [Catalog, Other], gateway: true, gatewaySettings: { assets: storefrontAssets(webDir), hstsMaxAgeSec: 0 } });
});

afterAll(async () => {
  await platform?.stop();
  if (webDir) await removeTempDir(webDir);
});

describe("the storefront at /", () => {
  it("serves the page, asked for again each time, with a policy that allows only its own files", async () => {
    const res = await raw(platform.baseUrl, "/", HTML);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body.toString()).toBe(INDEX);
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(res.headers["content-security-policy"]).not.toContain("unsafe-inline");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["referrer-policy"]).toBe("same-origin");
  });

  it("keeps hashed files for a year, and compresses them for a client that accepts it", async () => {
    const res = await raw(platform.baseUrl, "/assets/index-Ab12Cd34.js", { "accept-encoding": "gzip" });
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(zlib.gunzipSync(res.body).toString()).toContain("console.log");
  });

  it("answers the page's own routes with the page", async () => {
    for (const route of ["/cart", "/orders/abc123", "/products/p1"]) {
      const res = await raw(platform.baseUrl, route, HTML);
      expect([route, res.status, res.body.toString()]).toEqual([route, 200, INDEX]);
      expect(res.headers["cache-control"]).toBe("no-cache");
    }
  });

  it("never answers /api with the page: an unknown API route stays a JSON 404", async () => {
    for (const route of ["/api/nothing-here", "/api", "/api/products/p1/nothing"]) {
      const res = await raw(platform.baseUrl, route, HTML);
      expect([route, res.status, res.headers["content-type"]]).toEqual([route, 404, "application/json; charset=utf-8"]);
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
    }
  });

  it("answers a missing file with a 404, not the page", async () => {
    const res = await raw(platform.baseUrl, "/assets/index-Gone0000.js", HTML);
    expect(res.status).toBe(404);
    expect(res.body.toString()).not.toContain("<!doctype html>");
  });
});

describe("API answers", () => {
  it("carry the security headers too", async () => {
    const res = await raw(platform.baseUrl, "/api/other/small");
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ "x-content-type-options": "nosniff", "referrer-policy": "same-origin" });
    expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(res.headers).not.toHaveProperty("strict-transport-security");
  });

  it("keep the connection open longer than a load balancer's idle timeout, so that the balancer closes it first", async () => {
    const res = await raw(platform.baseUrl, "/api/other/small");
    expect(res.headers["keep-alive"]).toBe("timeout=65");
  });

  it("are compressed over 1 KB when the client accepts it, gzip or brotli", async () => {
    const gzip = await raw(platform.baseUrl, "/api/other/big", { "accept-encoding": "gzip" });
    expect(gzip.headers["content-encoding"]).toBe("gzip");
    expect(gzip.headers.vary).toMatch(/Accept-Encoding/i);
    expect(JSON.parse(zlib.gunzipSync(gzip.body).toString())).toEqual({ rows: PRODUCTS });

    const brotli = await raw(platform.baseUrl, "/api/other/big", { "accept-encoding": "br" });
    expect(brotli.headers["content-encoding"]).toBe("br");
    expect(JSON.parse(zlib.brotliDecompressSync(brotli.body).toString())).toEqual({ rows: PRODUCTS });
  });

  it("are sent as they are to a client that accepts no encoding, and when small", async () => {
    const plain = await raw(platform.baseUrl, "/api/other/big");
    expect(plain.headers).not.toHaveProperty("content-encoding");
    expect(JSON.parse(plain.body.toString())).toEqual({ rows: PRODUCTS });

    const small = await raw(platform.baseUrl, "/api/other/small", { "accept-encoding": "gzip" });
    expect(small.headers).not.toHaveProperty("content-encoding");
    expect(JSON.parse(small.body.toString())).toEqual({ ok: true });
  });
});

describe("catalog reads", () => {
  it.each(["/api/products", "/api/products/p0", "/api/categories"])("%s carries an ETag and answers 304 to a matching If-None-Match", async (route) => {
    const first = await raw(platform.baseUrl, route);
    expect(first.status).toBe(200);
    const etag = first.headers.etag;
    expect(etag).toMatch(/^W\/"/);

    const again = await raw(platform.baseUrl, route, { "if-none-match": etag! });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);

    const stale = await raw(platform.baseUrl, route, { "if-none-match": 'W/"something-else"' });
    expect(stale.status).toBe(200);
  });

  it("are the only API answers with an ETag", async () => {
    const res = await raw(platform.baseUrl, "/api/other/big");
    expect(res.headers).not.toHaveProperty("etag");
  });
});

describe("HSTS", () => {
  let tls: LocalPlatform;
  afterAll(async () => {
    await tls?.stop();
  });

  it("is sent on every answer when the shop is said to run behind TLS", async () => {
    tls = await startLocalPlatform({ services: [Other], gateway: true, gatewaySettings: { assets: storefrontAssets(webDir), hstsMaxAgeSec: 31_536_000 } });
    for (const route of ["/", "/api/other/small"]) {
      const res = await raw(tls.baseUrl, route, HTML);
      expect(res.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    }
  });
});
