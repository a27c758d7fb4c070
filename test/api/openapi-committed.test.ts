/**
 * The committed API description and client are the code's: docs/openapi.json
 * is what `npm run openapi` makes of the actions now, and
 * clients/typescript/schema.d.ts is what `npm run client` makes of that
 * document. Either one out of date fails here, with the command that fixes it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { documentFromCode, documentText, DOCUMENT_FILE } from "../../scripts/openapi-document";

const root = path.join(__dirname, "..", "..");
const SCHEMA_FILE = path.join(root, "clients", "typescript", "schema.d.ts");

describe("the committed API description", () => {
  it("docs/openapi.json is the document of the code (else: npm run openapi)", () => {
    expect(fs.readFileSync(DOCUMENT_FILE, "utf8")).toBe(documentText(documentFromCode()));
  });

  it("clients/typescript/schema.d.ts is generated from docs/openapi.json (else: npm run client)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-client-"));
    try {
      const out = path.join(dir, "schema.d.ts");
      const cli = path.join(root, "node_modules", "openapi-typescript", "bin", "cli.js");
      execFileSync(process.execPath, [cli, DOCUMENT_FILE, "--output", out], { cwd: root, stdio: "pipe" });
      expect(fs.readFileSync(SCHEMA_FILE, "utf8")).toBe(fs.readFileSync(out, "utf8"));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("requires the same fields when the gateway learns the actions from another node", () => {
    const requiredFields = (doc: any) =>
      Object.entries(doc.paths).flatMap(([route, ops]: [string, any]) =>
        Object.entries(ops).map(([method, op]: [string, any]) => ({
          op: `${method} ${route}`,
          body: op.requestBody?.content["application/json"].schema.required ?? [],
          query: (op.parameters ?? []).filter((p: any) => p.required).map((p: any) => p.name),
        })),
      );
    expect(requiredFields(documentFromCode({ asRemote: true }))).toEqual(requiredFields(documentFromCode()));
  });

  it("documents every answer: a success schema on every operation, checkout's key, 402 and 409", () => {
    const doc = documentFromCode() as { paths: Record<string, Record<string, { summary: string; operationId: string; responses: Record<string, any>; parameters?: { name?: string; in?: string; required?: boolean }[] }>> };
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) {
        const success = Object.entries(op.responses).filter(([status]) => status.startsWith("2"));
        expect(success.length).toBeGreaterThan(0);
        for (const [status, answer] of success) if (status !== "204") expect(Object.keys(answer.content["application/json"].schema)).not.toHaveLength(0);
        expect(op.summary).not.toBe(op.operationId);
      }
    }
    const checkout = doc.paths["/api/orders"].post;
    expect(checkout.parameters).toContainEqual(expect.objectContaining({ name: "Idempotency-Key", in: "header", required: true }));
    expect(Object.keys(checkout.responses)).toEqual(expect.arrayContaining(["201", "402", "409", "422", "503"]));
    expect(checkout.responses["409"].content["application/json"].schema.allOf[1].properties.type.enum).toEqual(expect.arrayContaining(["OUT_OF_STOCK", "IDEMPOTENCY_KEY_REUSED"]));
  });
});
