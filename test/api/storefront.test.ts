/**
 * Which answers the storefront's files get: how long a browser may keep each,
 * and which addresses are the page's own routes (index.html) rather than 404s.
 */
import path from "node:path";
import { CACHE_FOREVER, CACHE_REVALIDATE, cacheControlFor, isClientRoute } from "../../services/api/storefront";

const DIST = path.join("/srv", "web", "dist");
const page = (url: string, overrides: { method?: string; accept?: string; originalUrl?: string } = {}) => ({
  method: overrides.method ?? "GET",
  url,
  originalUrl: overrides.originalUrl,
  headers: { accept: overrides.accept ?? "text/html,application/xhtml+xml,*/*;q=0.8" },
});

describe("cacheControlFor", () => {
  it("keeps the build's hashed files for a year, unchanged", () => {
    expect(cacheControlFor(path.join(DIST, "assets", "index-BqOC3k_h.js"))).toBe(CACHE_FOREVER);
    expect(CACHE_FOREVER).toBe("public, max-age=31536000, immutable");
  });

  it("has the page asked for again every time: it names the current hashed files", () => {
    expect(cacheControlFor(path.join(DIST, "index.html"))).toBe(CACHE_REVALIDATE);
    expect(CACHE_REVALIDATE).toBe("no-cache");
  });

  it("keeps other files (the icon) for an hour, not forever: their names do not change with them", () => {
    expect(cacheControlFor(path.join(DIST, "favicon.svg"))).toBe("public, max-age=3600");
  });
});

describe("isClientRoute", () => {
  it("is true for a browser navigation to one of the page's addresses", () => {
    expect(isClientRoute(page("/cart"))).toBe(true);
    expect(isClientRoute(page("/orders/5f1c?placed=1"))).toBe(true);
    expect(isClientRoute(page("/", { method: "HEAD" }))).toBe(true);
  });

  it("is never true below /api, also once moleculer-web has cut the route's prefix off the url", () => {
    expect(isClientRoute(page("/api/nothing-here"))).toBe(false);
    expect(isClientRoute(page("/api"))).toBe(false);
    expect(isClientRoute(page("/nothing-here", { originalUrl: "/api/nothing-here" }))).toBe(false);
  });

  it("is false for a file name: a missing script is a 404, not a page", () => {
    expect(isClientRoute(page("/assets/index-missing.js"))).toBe(false);
    expect(isClientRoute(page("/robots.txt"))).toBe(false);
  });

  it("is false for a request that does not take HTML, or writes", () => {
    expect(isClientRoute(page("/cart", { accept: "application/json" }))).toBe(false);
    expect(isClientRoute({ method: "GET", url: "/cart", headers: {} })).toBe(false);
    expect(isClientRoute(page("/cart", { method: "POST" }))).toBe(false);
  });

  it("is not fooled by /api-like prefixes of other paths", () => {
    expect(isClientRoute(page("/apis-we-love"))).toBe(true);
  });
});
