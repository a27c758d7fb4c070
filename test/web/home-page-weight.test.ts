/**
 * The home page stays light: the JavaScript and CSS it loads (index.html's
 * scripts, stylesheets and module preloads of the built storefront) come to
 * under 100 KB gzipped. Reads web/dist, so it runs after `npm run build`.
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const DIST = path.resolve(__dirname, "../../web/dist");
const BUDGET_BYTES = 100 * 1024;

/** The local files index.html makes the browser fetch as script or style. */
export function homePageAssets(html: string): string[] {
  const refs = [
    ...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g),
    ...html.matchAll(/<link\b[^>]*\brel="(?:stylesheet|modulepreload)"[^>]*\bhref="([^"]+)"/g),
    ...html.matchAll(/<link\b[^>]*\bhref="([^"]+)"[^>]*\brel="(?:stylesheet|modulepreload)"/g),
  ].map((m) => m[1]!);
  return [...new Set(refs)].filter((ref) => ref.startsWith("/"));
}

describe("the built home page", () => {
  const indexFile = path.join(DIST, "index.html");

  it("is built (npm run build)", () => {
    expect(fs.existsSync(indexFile)).toBe(true);
  });

  it("loads under 100 KB of JavaScript and CSS, gzipped", () => {
    const assets = homePageAssets(fs.readFileSync(indexFile, "utf8"));
    expect(assets.some((a) => a.endsWith(".js"))).toBe(true);
    expect(assets.some((a) => a.endsWith(".css"))).toBe(true);
    const sizes = assets.map((asset) => ({ asset, gzipped: zlib.gzipSync(fs.readFileSync(path.join(DIST, asset)), { level: 9 }).length }));
    const total = sizes.reduce((sum, s) => sum + s.gzipped, 0);
    expect(total).toBeLessThan(BUDGET_BYTES);
  });
});

describe("homePageAssets", () => {
  it("finds scripts, stylesheets and preloads in either attribute order, local files only", () => {
    const html = `<script type="module" crossorigin src="/assets/a.js"></script>
      <link rel="modulepreload" crossorigin href="/assets/b.js"><link href="/assets/c.css" rel="stylesheet">
      <link rel="stylesheet" crossorigin href="/assets/d.css"><link rel="icon" href="/favicon.svg">
      <script src="https://cdn.example.com/x.js"></script>`;
    expect(homePageAssets(html).sort()).toEqual(["/assets/a.js", "/assets/b.js", "/assets/c.css", "/assets/d.css"]);
  });
});
