/**
 * The gateway's memory of routes whose service left the registry.
 *
 * moleculer-web rebuilds its REST aliases from the services it currently
 * sees. When every node of a service drops out (a crash, the gateway losing
 * NATS until the heartbeats time out, the moments after NATS comes back),
 * the service's routes vanish and its URLs answer 404 Not found: a client, a
 * cache or a crawler is told that /api/products/42 does not exist. docs/api.md
 * says 503 for "a needed service is unavailable (no node)". Routes kept here
 * are put back after each rebuild while their service is absent, so they
 * answer 503 naming the service, and serve again as soon as a node returns.
 * A service that is present defines its routes alone: what it no longer
 * publishes is forgotten.
 */

export interface RouteAlias {
  method: string;
  fullPath: string;
  action?: string | null;
}

/** "products" of "products.get", "v2.products" of "v2.products.get". */
export function serviceOfAction(action: string): string {
  const dot = action.lastIndexOf(".");
  return dot > 0 ? action.slice(0, dot) : action;
}

export class DepartedRoutes<A extends RouteAlias> {
  private readonly known = new Map<unknown, Map<string, A>>();

  /**
   * After `route` was rebuilt to `current` with the services of `present`
   * (registry names, full names included): the remembered aliases of
   * services that are absent, to add back.
   */
  retained(route: unknown, current: A[], present: ReadonlySet<string>): A[] {
    let remembered = this.known.get(route);
    if (!remembered) {
      remembered = new Map();
      this.known.set(route, remembered);
    }
    for (const [key, alias] of remembered) if (alias.action && present.has(serviceOfAction(alias.action))) remembered.delete(key);
    for (const alias of current) if (alias.action) remembered.set(`${alias.method} ${alias.fullPath}`, alias);
    return [...remembered.values()].filter((alias) => alias.action && !present.has(serviceOfAction(alias.action)));
  }
}
