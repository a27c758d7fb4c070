/**
 * The storefront (web/, built into WEB_DIR) served by the gateway at /:
 * moleculer-web's static assets (serve-static), with the caching the build
 * allows, and the page itself for the addresses the page routes by itself.
 */
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";

/** Vite's output names these files by their content's hash: they never change. */
const HASHED_DIR = `${path.sep}assets${path.sep}`;

export const CACHE_FOREVER = "public, max-age=31536000, immutable";
/** The page names the current hashed files: a browser must ask again each time (an ETag makes that cheap). */
export const CACHE_REVALIDATE = "no-cache";
const CACHE_OTHER = "public, max-age=3600";

export function cacheControlFor(filePath: string): string {
  if (filePath.includes(HASHED_DIR)) return CACHE_FOREVER;
  if (filePath.endsWith(".html")) return CACHE_REVALIDATE;
  return CACHE_OTHER;
}

/** moleculer-web's `assets` setting: serve-static over the built storefront. */
export function storefrontAssets(folder: string) {
  return {
    folder,
    options: {
      cacheControl: false,
      // Dot files, and no directory listing or redirect to "dir/": only the build's files.
      dotfiles: "ignore",
      redirect: false,
      fallthrough: true,
      setHeaders(res: ServerResponse, filePath: string) {
        res.setHeader("Cache-Control", cacheControlFor(filePath));
      },
    },
  };
}

/**
 * An address the page routes by itself (/cart, /orders/abc): a browser
 * navigation that no file answers gets index.html. Never the API (its
 * unknown routes stay JSON 404s), a file name (a missing /assets/x.js is a
 * 404, not a page), or a request that does not accept HTML.
 */
export function isClientRoute(req: Pick<IncomingMessage, "method" | "url" | "headers"> & { originalUrl?: string }): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (isApiPath(req)) return false;
  const pathname = (req.originalUrl ?? req.url ?? "/").split("?")[0]!;
  const last = pathname.slice(pathname.lastIndexOf("/") + 1);
  if (last.includes(".")) return false;
  const accept = req.headers.accept ?? "";
  return accept.includes("text/html");
}

/**
 * Under /api: never a file of the storefront. moleculer-web cuts a matched
 * route's prefix off `url` ("/api/" becomes "/", which is index.html), not off
 * `originalUrl`.
 */
export function isApiPath(req: Pick<IncomingMessage, "url"> & { originalUrl?: string }): boolean {
  const pathname = (req.originalUrl ?? req.url ?? "/").split("?")[0]!;
  return pathname === "/api" || pathname.startsWith("/api/");
}
