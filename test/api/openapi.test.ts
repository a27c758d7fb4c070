/**
 * GET /api/openapi.json: generated from the running routes and the actions'
 * rest/params/auth/roles, valid OpenAPI 3.1, and exactly what is served.
 */
import path from "node:path";
import type { ServiceSchema } from "moleculer";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { api } from "../support/http";
import { platformServiceNames } from "../../services/api/platform-services";
import { documentFromCode } from "../../scripts/openapi-document";

// The validator is an ES module; jest's own loader cannot require it, Node's can.
const nodeRequire = process.getBuiltinModule("node:module").createRequire(__filename);
const { Validator } = nodeRequire("@seriousme/openapi-schema-validator") as {
  Validator: new () => { validate(doc: object): Promise<{ valid: boolean; errors?: unknown }> };
};

const servicesDir = path.join(__dirname, "..", "..", "services");
const allServices = platformServiceNames(servicesDir)
  .filter((name) => name !== "api")
  .map((name) => (require(path.join(servicesDir, name, `${name}.service`)) as { default: ServiceSchema }).default);

type Doc = { openapi: string; paths: Record<string, Record<string, { operationId: string; security: unknown[]; parameters?: { name: string; in: string }[]; requestBody?: unknown; responses: Record<string, unknown>; "x-roles"?: string[] }>> };

describe("the OpenAPI document", () => {
  let platform: LocalPlatform;
  let doc: Doc;

  beforeAll(async () => {
    platform = await startLocalPlatform({ services: allServices, gateway: true });
    const res = await api(`${platform.baseUrl}/api`).get<Doc>("/openapi.json");
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(() => platform?.stop());

  it("is valid OpenAPI 3.1", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("is the document built from the code alone, as committed in docs/openapi.json", () => {
    expect(doc).toEqual(JSON.parse(JSON.stringify(documentFromCode())));
  });

  it("lists every REST route the gateway serves, and nothing else", () => {
    const gateway = platform.broker.getLocalService("api") as unknown as { aliases: { method: string; fullPath: string; action?: string }[] };
    const served = gateway.aliases.filter((a) => a.action).map((a) => `${a.method.toUpperCase()} ${a.fullPath.replace(/:(\w+)/g, "{$1}")}`);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented.sort()).toEqual([...new Set(served)].sort());
    expect(documented).toEqual(expect.arrayContaining(["POST /api/auth/register", "GET /api/products/{id}", "GET /api/health/ready", "GET /api/openapi.json"]));
  });

  it("says which routes need a token and which role", () => {
    expect(doc.paths["/api/products"].get.security).toEqual([]);
    expect(doc.paths["/api/users/me"].get.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/api/users"].get["x-roles"]).toEqual(["admin"]);
    expect(doc.paths["/api/users"].get.responses).toHaveProperty("403");
    expect(doc.paths["/api/auth/login"].post.responses).toHaveProperty("429");
  });

  it("describes parameters from the actions' validation rules, with examples", () => {
    const list = doc.paths["/api/products"].get;
    expect(list.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(["q", "category", "page", "pageSize", "sort"]));
    const register = doc.paths["/api/auth/register"].post.requestBody as { content: { "application/json": { schema: { required: string[]; properties: Record<string, { minLength?: number }> }; example: object } } };
    const body = register.content["application/json"];
    expect(body.schema.required).toEqual(expect.arrayContaining(["email", "password", "name"]));
    expect(body.schema.properties.password.minLength).toBe(8);
    // Defaulted by the server, so not required of the client.
    const create = doc.paths["/api/products"].post.requestBody as { content: { "application/json": { schema: { required: string[] } } } };
    expect(create.content["application/json"].schema.required).toEqual(["sku", "name", "category", "price"]);
    expect(body.example).toHaveProperty("email");
    expect(doc.paths["/api/products/{id}"].get.parameters).toEqual([
      expect.objectContaining({ name: "id", in: "path" }),
      { $ref: "#/components/parameters/RequestId" },
      expect.objectContaining({ name: "currency", in: "query", required: false }),
    ]);
  });

  it("is browsable at /api/docs", async () => {
    const http = api(`${platform.baseUrl}/api`);
    const page = await http.get("/docs");
    expect(page.status).toBe(200);
    expect(page.text).toContain("swagger-ui-bundle.js");
    const bundle = await http.get("/docs/swagger-ui-bundle.js");
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toContain("javascript");
    expect((await http.get("/docs/init.js")).text).toContain("/api/openapi.json");
    expect((await http.get("/docs/package.json")).status).toBe(404);
    expect((await http.get("/docs/..%2Fpackage.json")).status).toBe(404);
  });
});
