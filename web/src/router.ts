/**
 * The page's few routes on the History API: paths the gateway answers with
 * index.html (services/api/storefront.ts), so a reload or a shared link works.
 */
import { reactive } from "vue";

export type RouteName = "catalog" | "product" | "cart" | "checkout" | "signin" | "orders" | "order" | "notifications" | "admin" | "notFound";

export interface Route {
  name: RouteName;
  params: Record<string, string>;
  query: URLSearchParams;
  path: string;
}

const PATTERNS: [RouteName, RegExp][] = [
  ["catalog", /^\/$/],
  ["product", /^\/products\/(?<id>[^/]+)$/],
  ["cart", /^\/cart$/],
  ["checkout", /^\/checkout$/],
  ["signin", /^\/signin$/],
  ["orders", /^\/orders$/],
  ["order", /^\/orders\/(?<id>[^/]+)$/],
  ["notifications", /^\/notifications$/],
  // The operator console (web/src/admin/): /admin, /admin/orders, /admin/orders/<id>...
  ["admin", /^\/admin(?:\/(?<section>[a-z]+)(?:\/(?<id>[^/]+))?)?\/?$/],
];

export function match(path: string, search: string): Route {
  const query = new URLSearchParams(search);
  for (const [name, pattern] of PATTERNS) {
    const found = pattern.exec(path);
    if (found) {
      const params: Record<string, string> = {};
      for (const [key, value] of Object.entries(found.groups ?? {})) params[key] = decodeURIComponent(value);
      return { name, params, query, path };
    }
  }
  return { name: "notFound", params: {}, query, path };
}

export const route = reactive<{ current: Route }>({ current: match(location.pathname, location.search) });

export function navigate(to: string, { replace = false } = {}): void {
  const url = new URL(to, location.origin);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  route.current = match(url.pathname, url.search);
  window.scrollTo(0, 0);
}

window.addEventListener("popstate", () => {
  route.current = match(location.pathname, location.search);
});
