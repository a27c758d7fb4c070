/**
 * Where carts live: one cart per user, a map productId -> quantity that
 * expires `ttlSec` after its last write. Two implementations with the same
 * contract: Redis (services/cart/cart-redis-store.ts, shared by every cart node) and
 * process memory (here, embedded mode and tests).
 *
 * The limits that depend only on the cart itself (quantity per line, number
 * of lines) are checked inside the store, in the same atomic step as the
 * write: two tabs adding at once can neither lose an update nor both slip
 * past a limit. Each write answers the cart as it stands right after it, so
 * the caller prices exactly what it wrote.
 */

import type { StockLine } from "../../contracts/stock-lines";

export interface CartLine {
  productId: string;
  quantity: number;
}

export interface AddLimits {
  /** The line may hold at most this many units after the add. */
  maxQuantity: number;
  /** A new line is refused when the cart already has this many. */
  maxLines: number;
}

export type AddResult =
  /** `created`: the product was not in the cart before. */
  | { outcome: "added"; created: boolean; quantity: number; lines: CartLine[] }
  /** The line would exceed `maxQuantity`; `quantity` is what it holds (unchanged). */
  | { outcome: "over_quantity"; quantity: number; lines: CartLine[] }
  /** A new line would exceed `maxLines`. */
  | { outcome: "cart_full"; lines: CartLine[] };

/** "missing": the product is not in the cart, nothing was written. */
export type SetResult = { outcome: "set" | "missing"; lines: CartLine[] };

export interface CartStore {
  /** Resolves once the store can serve; CartStoreUnavailableError when it cannot within its connect timeout. */
  ready(): Promise<void>;
  /** The user's lines ([] when there is no cart or it expired), ordered by productId. */
  lines(userId: string): Promise<CartLine[]>;
  /** Adds `quantity` units to the product's line (creating it), within `limits`; renews the TTL. */
  add(userId: string, productId: string, quantity: number, limits: AddLimits): Promise<AddResult>;
  /** Sets the quantity (>= 1) of a line already in the cart; renews the TTL. */
  setQuantity(userId: string, productId: string, quantity: number): Promise<SetResult>;
  /** Removes one line (nothing when absent); renews the TTL of what remains. */
  remove(userId: string, productId: string): Promise<CartLine[]>;
  /** Deletes the cart; answers how many lines it had. */
  clear(userId: string): Promise<number>;
  /**
   * Takes what order `orderId` bought out of the cart: each line's quantity
   * less what was bought, the line gone at 0. What was added while the
   * checkout ran stays. Once per order (a repeat changes nothing); answers
   * how many lines it changed.
   */
  removeBought(userId: string, orderId: string, bought: StockLine[]): Promise<number>;
  close(): Promise<void>;
}

/**
 * The store could not be reached (connection down, command timed out). The
 * service answers 503 for it; the cause stays in the log.
 */
export class CartStoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Cart store unreachable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "CartStoreUnavailableError";
  }
}

export function sortedLines(entries: Iterable<[string, number]>): CartLine[] {
  return [...entries]
    .filter(([, quantity]) => Number.isSafeInteger(quantity) && quantity > 0)
    .map(([productId, quantity]) => ({ productId, quantity }))
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

interface MemoryCart {
  lines: Map<string, number>;
  expiresAt: number;
}

/**
 * Carts in this process. Every method reads and writes without an `await`
 * in between, so on Node's single thread each one is as atomic as the Redis
 * scripts. Expiry is checked on access; expired carts of other users are
 * swept when many carts pile up.
 */
export class MemoryCartStore implements CartStore {
  private readonly carts = new Map<string, MemoryCart>();
  /** Orders whose purchase was taken out of a cart, until when (removeBought happens once per order). */
  private readonly applied = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly sweepAbove: number;

  constructor(opts: { ttlSec: number; now?: () => number; sweepAbove?: number }) {
    this.ttlMs = opts.ttlSec * 1000;
    this.now = opts.now ?? Date.now;
    this.sweepAbove = opts.sweepAbove ?? 10_000;
  }

  async ready(): Promise<void> {}

  async lines(userId: string): Promise<CartLine[]> {
    return sortedLines(this.live(userId)?.lines ?? []);
  }

  async add(userId: string, productId: string, quantity: number, limits: AddLimits): Promise<AddResult> {
    const cart = this.live(userId);
    const current = cart?.lines.get(productId) ?? 0;
    const wanted = current + quantity;
    if (wanted > limits.maxQuantity) return { outcome: "over_quantity", quantity: current, lines: sortedLines(cart?.lines ?? []) };
    if (current === 0 && (cart?.lines.size ?? 0) >= limits.maxLines) return { outcome: "cart_full", lines: sortedLines(cart?.lines ?? []) };
    const written = this.write(userId, cart);
    written.lines.set(productId, wanted);
    return { outcome: "added", created: current === 0, quantity: wanted, lines: sortedLines(written.lines) };
  }

  async setQuantity(userId: string, productId: string, quantity: number): Promise<SetResult> {
    const cart = this.live(userId);
    if (!cart?.lines.has(productId)) return { outcome: "missing", lines: sortedLines(cart?.lines ?? []) };
    this.write(userId, cart).lines.set(productId, quantity);
    return { outcome: "set", lines: sortedLines(cart.lines) };
  }

  async remove(userId: string, productId: string): Promise<CartLine[]> {
    const cart = this.live(userId);
    if (!cart) return [];
    cart.lines.delete(productId);
    // As Redis does: a hash without fields is no key at all.
    if (cart.lines.size === 0) this.carts.delete(userId);
    else this.write(userId, cart);
    return sortedLines(cart.lines);
  }

  async clear(userId: string): Promise<number> {
    const count = this.live(userId)?.lines.size ?? 0;
    this.carts.delete(userId);
    return count;
  }

  async removeBought(userId: string, orderId: string, bought: StockLine[]): Promise<number> {
    const now = this.now();
    if ((this.applied.get(orderId) ?? 0) > now) return 0;
    if (this.applied.size >= this.sweepAbove) for (const [id, until] of this.applied) if (until <= now) this.applied.delete(id);
    this.applied.set(orderId, now + this.ttlMs);
    const cart = this.live(userId);
    if (!cart) return 0;
    let changed = 0;
    for (const { productId, quantity } of bought) {
      const current = cart.lines.get(productId);
      if (current === undefined) continue;
      if (current > quantity) cart.lines.set(productId, current - quantity);
      else cart.lines.delete(productId);
      changed++;
    }
    if (cart.lines.size === 0) this.carts.delete(userId);
    return changed;
  }

  async close(): Promise<void> {
    this.carts.clear();
  }

  /** Seconds until the user's cart expires (rounded up); null when there is none. For tests and debugging. */
  secondsToLive(userId: string): number | null {
    const cart = this.live(userId);
    return cart ? Math.ceil((cart.expiresAt - this.now()) / 1000) : null;
  }

  private live(userId: string): MemoryCart | undefined {
    const cart = this.carts.get(userId);
    if (cart && cart.expiresAt <= this.now()) {
      this.carts.delete(userId);
      return undefined;
    }
    return cart;
  }

  /** The cart to write into (created when absent), its TTL renewed. */
  private write(userId: string, cart: MemoryCart | undefined): MemoryCart {
    const expiresAt = this.now() + this.ttlMs;
    if (cart) {
      cart.expiresAt = expiresAt;
      return cart;
    }
    if (this.carts.size >= this.sweepAbove) this.sweep();
    const created: MemoryCart = { lines: new Map(), expiresAt };
    this.carts.set(userId, created);
    return created;
  }

  private sweep(): void {
    const now = this.now();
    for (const [userId, cart] of this.carts) if (cart.expiresAt <= now) this.carts.delete(userId);
  }
}
