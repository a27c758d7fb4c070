/**
 * /api/docs/:file with the name of an Object.prototype member (found by the
 * bad-input fuzzer, chaos scenario 7): the asset table's lookup found
 * Object's own `constructor`, `toString`... and the read of a file that is
 * not there was a 500. Only the listed assets are files; the rest is a 404.
 * And a body the route cannot read (it reads none) was a 500 too.
 */
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import http from "node:http";
import { api } from "../support/http";

describe("Swagger UI's asset route and bad file names", () => {
  let platform: LocalPlatform;

  beforeAll(async () => {
    platform = await startLocalPlatform({ services: [], gateway: true, gatewaySettings: { expectedServices: [] } });
  });
  afterAll(() => platform?.stop());

  it("answers the names of Object's own members with a 404 in the error shape", async () => {
    const http = api(`${platform.baseUrl}/api`);
    for (const file of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "__defineGetter__", "isPrototypeOf"]) {
      const res = await http.get(`/docs/${file}`);
      expect({ file, status: res.status }).toEqual({ file, status: 404 });
      expect(res.body).toEqual({ name: "NotFoundError", message: "Not found", code: 404, type: "NOT_FOUND" });
    }
    expect((await http.get("/docs/swagger-ui.css")).status).toBe(200);
  });

  it("does not read a body it has no use for (a gzip body that is not gzip was a 500)", async () => {
    const { port } = new URL(platform.baseUrl);
    // fetch sends no body with a GET: node:http does.
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path, method: "GET", headers: { "content-type": "application/json", "content-encoding": "gzip", "content-length": "8" } }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end("not gzip");
      });
    for (const path of ["/api/docs", "/api/docs/init.js", "/api/docs/nothing"]) {
      expect({ path, status: await get(path) }).toEqual({ path, status: path.endsWith("nothing") ? 404 : 200 });
    }
  });
});
