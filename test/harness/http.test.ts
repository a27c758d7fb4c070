import http from "node:http";
import type { AddressInfo } from "node:net";
import { api, rawRequest } from "../support/http";
import { freePort } from "../support/ports";

interface Echo {
  method: string;
  url: string;
  authorization: string | null;
  contentType: string | null;
  body: string;
}

// Echoes the request as JSON, except for .../text, which answers plain text.
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    if (req.url?.endsWith("/text")) {
      res.writeHead(418, { "content-type": "text/plain" }).end("short and stout");
      return;
    }
    const echo: Echo = {
      method: req.method ?? "",
      url: req.url ?? "",
      authorization: req.headers.authorization ?? null,
      contentType: req.headers["content-type"] ?? null,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    res.writeHead(201, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(echo));
  });
});

let baseUrl: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("api()", () => {
  it("sends JSON with a bearer token under the base path and parses a JSON reply", async () => {
    const res = await api(baseUrl).post<Echo>("/orders?x=1", { sku: "A" }, { token: "t0k" });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toMatch(/json/);
    expect(res.body).toEqual({
      method: "POST",
      url: "/api/orders?x=1",
      authorization: "Bearer t0k",
      contentType: "application/json",
      body: '{"sku":"A"}',
    });
  });

  it("sends no body and no content type when there is no body", async () => {
    const res = await api(baseUrl).delete<Echo>("items/1");
    expect(res.body).toMatchObject({ method: "DELETE", url: "/api/items/1", contentType: null, body: "" });
  });

  it("returns text as text, and does not throw on an error status", async () => {
    const res = await api(baseUrl).get("/text");
    expect(res).toMatchObject({ status: 418, body: "short and stout", text: "short and stout" });
  });

  it("names the URL when the server cannot be reached", async () => {
    const closed = await freePort();
    await expect(api(`http://127.0.0.1:${closed}`).get("/x")).rejects.toThrow(`GET http://127.0.0.1:${closed}/x failed: connect ECONNREFUSED`);
  });
});

describe("rawRequest()", () => {
  it("sends the body bytes and headers exactly as given", async () => {
    const res = await rawRequest<Echo>(baseUrl, "PATCH", "/orders/1", Buffer.from('{"broken":'), { "content-type": "application/json" });
    expect(res.body).toMatchObject({ method: "PATCH", contentType: "application/json", body: '{"broken":' });
  });
});
