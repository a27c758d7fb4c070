/**
 * What the bad-input fuzzer (chaos scenario 7, test/chaos/bad-input.fuzz.test.ts)
 * found at the gateway, each now a 4xx in docs/api.md's error shape with an
 * X-Request-ID: a body that does not inflate as its Content-Encoding says
 * (was a 500), a value nested thousands of levels deep (was a 500), a URL or
 * headers over Node's limit and requests Node cannot parse (were a bare
 * status line, or nothing at all), and fields sent under "__proto__" (were
 * taken as if sent).
 */
import http from "node:http";
import net from "node:net";
import zlib from "node:zlib";
import type { ServiceSchema } from "moleculer";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { rawRequest } from "../support/http";
import type { ShopContext } from "../../types/moleculer";

const Probe: ServiceSchema = {
  name: "probe",
  settings: { rest: "/" },
  actions: {
    create: {
      rest: "POST /probe/things",
      auth: false,
      params: { name: { type: "string", min: 1 }, qty: { type: "number", integer: true, min: 1 }, $$strict: "remove" },
      handler(ctx: ShopContext<{ name: string; qty: number; admin?: unknown }>) {
        ctx.meta.$statusCode = 201;
        return { name: ctx.params.name, qty: ctx.params.qty, admin: ctx.params.admin ?? null, plainParams: Object.getPrototypeOf(ctx.params) === Object.prototype };
      },
    },
    open: { rest: "GET /probe/open", auth: false, params: {}, handler: () => ({ ok: true }) },
  },
};

const errorShape = (code: number, type?: string) => ({ name: expect.any(String), message: expect.any(String), code, type: type ?? expect.any(String) });

/** A request over a plain socket, half-closed; the whole answer as text. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let out = "";
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(text.slice(0, 60))}`)));
    socket.on("data", (d: Buffer) => (out += d.toString("latin1")));
    socket.on("close", () => resolve(out));
    socket.on("error", reject);
    socket.end(Buffer.from(text, "latin1"));
  });
}

function parseAnswer(text: string) {
  const [head, body] = text.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), head, body: JSON.parse(body) as Record<string, unknown> };
}

describe("the gateway and bad input", () => {
  let platform: LocalPlatform;
  let port: number;

  beforeAll(async () => {
    platform = await startLocalPlatform({ services: [Probe], gateway: true, gatewaySettings: { expectedServices: ["probe"] } });
    port = Number(new URL(platform.baseUrl).port);
  });
  afterAll(() => platform.stop());

  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    rawRequest(platform.baseUrl, "POST", "/api/probe/things", body, { "content-type": "application/json", ...headers });

  describe("bodies", () => {
    it("answers a body that does not inflate as its Content-Encoding says with 400", async () => {
      for (const encoding of ["gzip", "deflate", "br"]) {
        const res = await post('{"name":"lamp","qty":1}', { "content-encoding": encoding });
        expect({ encoding, status: res.status }).toEqual({ encoding, status: 400 });
        expect(res.body).toEqual(errorShape(400, "INVALID_BODY"));
        expect(res.headers.get("x-request-id")).toBeTruthy();
      }
    });

    it("answers an unknown Content-Encoding with 415, and still reads a real gzip body", async () => {
      const unknown = await post('{"name":"lamp","qty":1}', { "content-encoding": "bogus" });
      expect(unknown.status).toBe(415);
      expect(unknown.body).toEqual(errorShape(415, "INVALID_BODY"));
      const gzipped = await post(zlib.gzipSync('{"name":"lamp","qty":1}'), { "content-encoding": "gzip" });
      expect(gzipped.status).toBe(201);
    });

    it("answers a value nested thousands of levels deep with 422 naming the field", async () => {
      for (const deep of [`${"[".repeat(5000)}${"]".repeat(5000)}`, `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`]) {
        const res = await post(`{"name":"lamp","qty":${deep}}`);
        expect(res.status).toBe(422);
        expect(res.body).toMatchObject({ code: 422, type: "VALIDATION_ERROR", data: [{ field: "qty", type: "depth" }] });
      }
    });

    it("does not take fields sent under __proto__ as sent, nor let the key change the params' prototype", async () => {
      const hidden = await post('{"__proto__":{"name":"lamp","qty":1}}');
      expect(hidden.status).toBe(422);
      expect((hidden.body as { data: { field: string }[] }).data.map((d) => d.field).sort()).toEqual(["name", "qty"]);
      const beside = await post('{"name":"lamp","qty":1,"__proto__":{"admin":true}}');
      expect(beside.status).toBe(201);
      expect(beside.body).toEqual({ name: "lamp", qty: 1, admin: null, plainParams: true });
    });
  });

  describe("requests over Node's limits or outside HTTP", () => {
    it("answers a URL over the header limit with 431 in the error shape, also on a kept-alive connection", async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const get = (path: string) =>
        new Promise<{ status: number; type: string; body: string; requestId?: string }>((resolve, reject) => {
          http
            .get({ host: "127.0.0.1", port, path, agent }, (res) => {
              let body = "";
              res.on("data", (d: Buffer) => (body += d.toString()));
              res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body, requestId: res.headers["x-request-id"] as string }));
            })
            .on("error", reject);
        });
      try {
        expect((await get("/api/probe/open")).status).toBe(200);
        const res = await get(`/api/probe/open?q=${"x".repeat(20_000)}`);
        expect(res.status).toBe(431);
        expect(res.type).toContain("application/json");
        expect(JSON.parse(res.body)).toEqual(errorShape(431, "HEADERS_TOO_LARGE"));
        expect(res.requestId).toMatch(/^[0-9a-f-]{36}$/);
      } finally {
        agent.destroy();
      }
    });

    it("answers headers over the limit with 431 even while the client is still sending its body", async () => {
      const res = await post(JSON.stringify({ name: "x".repeat(100_000), qty: 1 }), { authorization: `Bearer ${"a".repeat(20_000)}` });
      expect(res.status).toBe(431);
      expect(res.body).toEqual(errorShape(431, "HEADERS_TOO_LARGE"));
    });

    it("answers requests Node cannot parse with 400 in the error shape", async () => {
      const requests = [
        "GET /api/probe/open HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n",
        "GET /api/probe/open HTTP/1.1\r\nHost: x\r\nBad Name: b\r\n\r\n",
        "G@T /api/probe/open HTTP/1.1\r\nHost: x\r\n\r\n",
        'POST /api/probe/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
        'POST /api/probe/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
        "\u0001\u0002 garbage\r\n\r\n",
      ];
      for (const text of requests) {
        const answer = parseAnswer(await raw(port, text));
        expect({ text, status: answer.status }).toEqual({ text, status: 400 });
        expect(answer.body).toEqual(errorShape(400, "BAD_REQUEST"));
        expect(answer.head).toMatch(/\r\nX-Request-ID: [0-9a-f-]{36}\r\n/);
      }
    });

    it("still serves normal requests afterwards", async () => {
      const res = await post('{"name":"lamp","qty":2}');
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ name: "lamp", qty: 2 });
    });
  });
});
