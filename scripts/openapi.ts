/**
 * npm run openapi: writes docs/openapi.json, the OpenAPI document of the
 * code as it is (scripts/openapi-document.ts). Fault-injection routes exist
 * only where an operator turns them on: they are left out of the committed
 * document, whatever this shell's environment says.
 */
import fs from "node:fs";

delete process.env.FAULT_INJECTION;
delete process.env.FAULT_RULES;

async function main() {
  const { documentFromCode, documentText, DOCUMENT_FILE } = await import("./openapi-document");
  fs.writeFileSync(DOCUMENT_FILE, documentText(documentFromCode()));
  console.log(`wrote ${DOCUMENT_FILE}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
