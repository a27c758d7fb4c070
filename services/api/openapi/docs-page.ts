/**
 * /api/docs: Swagger UI (from the swagger-ui-dist package) reading
 * /api/openapi.json. Only the few files the page needs are served.
 */
import fs from "node:fs";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Moleculer Shop API</title>
<link rel="icon" href="/api/docs/favicon-32x32.png"><link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script><script src="/api/docs/init.js"></script></body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true });\n`;

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { "Content-Type": type, "Cache-Control": "public, max-age=3600" });
  res.end(body);
}

export function docsPage(_req: IncomingMessage, res: ServerResponse): void {
  send(res, 200, "text/html; charset=utf-8", PAGE);
}

export function docsAsset(req: IncomingMessage & { $params?: Record<string, string> }, res: ServerResponse): void {
  const file = req.$params?.file ?? "";
  if (file === "init.js") return send(res, 200, "application/javascript; charset=utf-8", INIT);
  // Own keys only: "constructor" or "__proto__" would find Object's and read a file that is not there (a 500).
  const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
  if (!type) {
    res.writeHead(404, { "Content-Type": "application/json; charset=utf-8" });
    res.end(JSON.stringify({ name: "NotFoundError", message: "Not found", code: 404, type: "NOT_FOUND" }));
    return;
  }
  const dir = path.dirname(require.resolve("swagger-ui-dist/package.json"));
  send(res, 200, type, fs.readFileSync(path.join(dir, file)));
}
