/**
 * Admission control at the gateway: a concurrency limit per class of route
 * (checkout, cart, catalog reads, admin), each with a short bounded queue.
 * Under more load than the cluster can serve, the requests within the limit
 * are answered at their usual speed and the rest are turned away at once
 * (503 with Retry-After), instead of every request waiting together until
 * the request timeout (goodput holds at capacity; see Google SRE's "Handling
 * Overload"). Classes are apart so that shed checkouts leave catalog reads
 * their own room.
 *
 * A request waits at most `maxWaitMs` for a slot, and only while fewer than
 * `queueSize` wait: otherwise it is refused at once. Time spent waiting is
 * not part of the request's timeout: the gateway's calls start their own
 * clock once admitted (api.service.ts gives its `rest` action no timeout).
 */
export const ROUTE_CLASSES = ["checkout", "cart", "catalog", "admin"] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];

export interface ClassLimit {
  /** Requests of the class handled at once, at most (the adaptive limit stays at or below it). */
  concurrency: number;
  /**
   * Latency an admitted request should stay under, ms (0: the limit stays at `concurrency`). Above it (or above twice the fastest
   * recent request, when that is more) the limit shrinks (x0.9, at most once per target, never below half of `concurrency`);
   * below it, while every slot is taken, it grows by one per
   * limit's worth of requests: additive increase, multiplicative decrease, so the slots follow what the
   * cluster can serve at that latency (Netflix's concurrency-limits, AIMD).
   */
  latencyTargetMs: number;
  /** Requests of the class allowed to wait for a slot; more are refused at once. */
  queueSize: number;
  /** Longest wait for a slot before the request is refused, ms. */
  maxWaitMs: number;
}

const CATALOG_READS = new Set(["products.list", "products.get", "products.categories"]);

/** The class of a routed action, by its name and roles; undefined: not limited (health, docs, auth...). */
export function routeClass(action: { name?: unknown; roles?: unknown } | undefined): RouteClass | undefined {
  if (!action || typeof action.name !== "string") return undefined;
  if (Array.isArray(action.roles) && action.roles.includes("admin")) return "admin";
  if (action.name === "orders.checkout") return "checkout";
  if (action.name.startsWith("cart.")) return "cart";
  if (CATALOG_READS.has(action.name)) return "catalog";
  return undefined;
}

export type Refusal = "queue-full" | "waited-too-long";

/** A request turned away: the gateway answers 503 with Retry-After. */
export class AdmissionRefused extends Error {
  constructor(
    readonly routeClass: RouteClass,
    readonly reason: Refusal,
    readonly retryAfterSec: number,
  ) {
    super(`The shop is busy with ${routeClass} requests, try again in ${retryAfterSec} s`);
  }
}

export interface AdmissionEvents {
  admitted(routeClass: RouteClass, waitedMs: number): void;
  queued(routeClass: RouteClass): void;
  shed(routeClass: RouteClass, reason: Refusal): void;
}

/** A place in one class: `admitted` settles once the request may go on; `release` frees it (or leaves the queue). */
export interface Ticket {
  admitted: Promise<void>;
  release(): void;
}

interface Waiter {
  admit(): void;
  timer: NodeJS.Timeout;
}

/** One class's slots and queue (first come, first served). */
export class ClassGate {
  private inFlight = 0;
  private readonly waiting = new Set<Waiter>();
  private adaptiveLimit: number;
  private lastDecrease = -Infinity;
  /** The fastest recent admitted request, drifting up 0.2% per request so that an old minimum ages out. */
  private fastestMs = Infinity;

  constructor(
    readonly routeClass: RouteClass,
    readonly limit: ClassLimit,
    private readonly events: AdmissionEvents,
    private readonly now: () => number = Date.now,
  ) {
    this.adaptiveLimit = limit.concurrency;
  }

  /** Requests let through at once right now. */
  get concurrency(): number {
    return Math.max(1, Math.floor(this.adaptiveLimit));
  }

  get active(): number {
    return this.inFlight;
  }

  get queued(): number {
    return this.waiting.size;
  }

  /** Throws AdmissionRefused when the queue is full. */
  enter(): Ticket {
    if (this.inFlight < this.concurrency && this.waiting.size === 0) {
      this.inFlight += 1;
      this.events.admitted(this.routeClass, 0);
      return { admitted: Promise.resolve(), release: this.releaser() };
    }
    if (this.waiting.size >= this.limit.queueSize) throw this.refuse("queue-full");

    this.events.queued(this.routeClass);
    const since = this.now();
    let state: "waiting" | "admitted" | "gone" = "waiting";
    let waiter!: Waiter;
    let releaseSlot: (() => void) | undefined;
    const admitted = new Promise<void>((resolve, reject) => {
      waiter = {
        admit: () => {
          clearTimeout(waiter.timer);
          this.waiting.delete(waiter);
          this.inFlight += 1;
          state = "admitted";
          releaseSlot = this.releaser();
          this.events.admitted(this.routeClass, this.now() - since);
          resolve();
        },
        timer: setTimeout(() => {
          this.waiting.delete(waiter);
          state = "gone";
          reject(this.refuse("waited-too-long"));
        }, this.limit.maxWaitMs),
      };
      this.waiting.add(waiter);
    });
    return {
      admitted,
      release: () => {
        if (state === "admitted") releaseSlot?.();
        else if (state === "waiting") {
          // The client left while waiting: its place goes to the next one.
          clearTimeout(waiter.timer);
          this.waiting.delete(waiter);
          state = "gone";
        }
      },
    };
  }

  private releaser(): () => void {
    let released = false;
    const since = this.now();
    return () => {
      if (released) return;
      released = true;
      const saturated = this.inFlight >= this.concurrency;
      this.inFlight -= 1;
      this.adapt(this.now() - since, saturated);
      for (let next = this.waiting.values().next(); !next.done && this.inFlight < this.concurrency; next = this.waiting.values().next()) next.value.admit();
    };
  }

  private adapt(latencyMs: number, saturated: boolean): void {
    if (this.limit.latencyTargetMs <= 0) return;
    this.fastestMs = Math.min(this.fastestMs * 1.002, latencyMs);
    // Never below twice the fastest: on a slow machine the target alone would shrink the limit below
    // what keeps the cluster busy, and goodput would fall instead of latency.
    const target = Math.max(this.limit.latencyTargetMs, 2 * this.fastestMs);
    const now = this.now();
    if (latencyMs > target) {
      if (now - this.lastDecrease < target) return;
      this.lastDecrease = now;
      this.adaptiveLimit = Math.max(this.floor, this.adaptiveLimit * 0.9);
    } else if (saturated) {
      this.adaptiveLimit = Math.min(this.limit.concurrency, this.adaptiveLimit + 1 / this.adaptiveLimit);
    }
  }

  /**
   * Half the configured limit. Requests slow for a reason outside the cluster (a machine whose cores
   * other work takes) do not get faster with fewer of them at once: below about half, the limit only
   * starved the nodes of work, and paid checkouts fell to a third of capacity in chaos scenario 9.
   */
  private get floor(): number {
    return Math.max(1, this.limit.concurrency / 2);
  }

  private refuse(reason: Refusal): AdmissionRefused {
    this.events.shed(this.routeClass, reason);
    return new AdmissionRefused(this.routeClass, reason, Math.max(1, Math.ceil(this.limit.maxWaitMs / 1000)));
  }
}

/** The gates of every class. */
export class AdmissionControl {
  private readonly gates = new Map<RouteClass, ClassGate>();

  constructor(limits: Record<RouteClass, ClassLimit>, events: AdmissionEvents) {
    for (const name of ROUTE_CLASSES) this.gates.set(name, new ClassGate(name, limits[name], events));
  }

  gate(routeClass: RouteClass): ClassGate {
    return this.gates.get(routeClass)!;
  }

  /** A ticket for the action's class; undefined for an action no class limits. Throws AdmissionRefused when its queue is full. */
  enter(action: { name?: unknown; roles?: unknown } | undefined): Ticket | undefined {
    const name = routeClass(action);
    return name ? this.gate(name).enter() : undefined;
  }
}
