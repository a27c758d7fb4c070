/**
 * The address of what a 201 created, for its `Location` header (RFC 9110
 * 10.2.2), by the action that answered it. moleculer-web also logs a
 * warning for every 201 without one: a log line per checkout.
 */
type Created = (body: unknown) => string | undefined;

const idOf = (body: unknown): string | undefined => {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === "string" && id.length > 0 ? encodeURIComponent(id) : undefined;
};

const under = (collection: string, body: unknown) => {
  const id = idOf(body);
  return id ? `${collection}/${id}` : undefined;
};

const CREATED: Record<string, Created> = {
  "orders.checkout": (order) => under("/api/orders", order),
  "products.create": (product) => under("/api/products", product),
  // The new account is the caller's own from now on (its token is in the answer).
  "users.register": () => "/api/users/me",
  // A new line of the caller's one cart.
  "cart.add": () => "/api/cart",
  "webhooks.create": (endpoint) => under("/api/admin/webhooks", endpoint),
};

/** The Location of a 201 answered by `action` with `body`; undefined when it has none. */
export function createdLocation(action: string | undefined, body: unknown): string | undefined {
  return action ? CREATED[action]?.(body) : undefined;
}
