/** One route class's slots and short queue, without a broker (services/api/admission.ts). */
import { AdmissionRefused, ClassGate, routeClass, type AdmissionEvents } from "../../services/api/admission";

function recorder() {
  const seen: string[] = [];
  const events: AdmissionEvents = {
    admitted: (c, waitedMs) => seen.push(`admitted ${c}${waitedMs > 0 ? " after waiting" : ""}`),
    queued: (c) => seen.push(`queued ${c}`),
    shed: (c, reason) => seen.push(`shed ${c} ${reason}`),
  };
  return { seen, events };
}

const settle = async (p: Promise<unknown>) => p.then(() => "admitted", (err: unknown) => (err instanceof AdmissionRefused ? `refused: ${err.reason}` : "other"));

describe("routeClass", () => {
  it("puts checkout, cart, catalog reads and admin actions in their classes, and leaves the rest unlimited", () => {
    expect(routeClass({ name: "orders.checkout" })).toBe("checkout");
    expect(routeClass({ name: "cart.addItem" })).toBe("cart");
    expect(routeClass({ name: "products.get" })).toBe("catalog");
    expect(routeClass({ name: "products.list" })).toBe("catalog");
    expect(routeClass({ name: "products.update", roles: ["admin"] })).toBe("admin");
    expect(routeClass({ name: "orders.listAll", roles: ["admin"] })).toBe("admin");
    expect(routeClass({ name: "api.ready" })).toBeUndefined();
    expect(routeClass({ name: "users.login" })).toBeUndefined();
    expect(routeClass(undefined)).toBeUndefined();
  });
});

describe("a class's gate", () => {
  it("lets `concurrency` requests through at once, queues the next ones in order, and refuses at once beyond the queue", async () => {
    const { seen, events } = recorder();
    const gate = new ClassGate("checkout", { concurrency: 2, queueSize: 2, maxWaitMs: 60_000, latencyTargetMs: 0 }, events);
    const first = gate.enter();
    const second = gate.enter();
    const third = gate.enter();
    const fourth = gate.enter();
    expect(() => gate.enter()).toThrow(AdmissionRefused);
    expect(gate.active).toBe(2);
    expect(gate.queued).toBe(2);

    const order: string[] = [];
    void third.admitted.then(() => order.push("third"));
    void fourth.admitted.then(() => order.push("fourth"));
    first.release();
    first.release(); // twice frees one slot only
    await third.admitted;
    expect(gate.active).toBe(2);
    expect(gate.queued).toBe(1);
    second.release();
    await fourth.admitted;
    expect(order).toEqual(["third", "fourth"]);
    expect(seen.slice(0, 5)).toEqual(["admitted checkout", "admitted checkout", "queued checkout", "queued checkout", "shed checkout queue-full"]);
    expect(seen.slice(5)).toEqual([expect.stringMatching(/^admitted checkout/), expect.stringMatching(/^admitted checkout/)]);
    third.release();
    fourth.release();
    expect(gate.active).toBe(0);
  });

  it("refuses a request that waited its longest wait, with a Retry-After of at least a second", async () => {
    jest.useFakeTimers();
    try {
      const { seen, events } = recorder();
      const gate = new ClassGate("cart", { concurrency: 1, queueSize: 5, maxWaitMs: 300, latencyTargetMs: 0 }, events);
      const holder = gate.enter();
      const waiting = settle(gate.enter().admitted);
      jest.advanceTimersByTime(300);
      expect(await waiting).toBe("refused: waited-too-long");
      expect(gate.queued).toBe(0);
      expect(seen).toContain("shed cart waited-too-long");
      holder.release();
      expect(gate.active).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it("gives the place of a client that left while waiting to the next one", async () => {
    const gate = new ClassGate("catalog", { concurrency: 1, queueSize: 2, maxWaitMs: 60_000, latencyTargetMs: 0 }, recorder().events);
    const holder = gate.enter();
    const gone = gate.enter();
    const next = gate.enter();
    gone.release();
    expect(gate.queued).toBe(1);
    holder.release();
    await next.admitted;
    expect(gate.active).toBe(1);
    next.release();
    expect(gate.active).toBe(0);
  });

  it("tells its refusal's Retry-After from its longest wait", () => {
    const gate = new ClassGate("admin", { concurrency: 1, queueSize: 0, maxWaitMs: 2500, latencyTargetMs: 0 }, recorder().events);
    gate.enter();
    try {
      gate.enter();
      throw new Error("admitted");
    } catch (err) {
      expect(err).toMatchObject({ reason: "queue-full", retryAfterSec: 3, routeClass: "admin" });
    }
  });
});

describe("a class's adaptive limit", () => {
  it("shrinks when admitted requests take longer than the target, and grows back while saturated and fast", () => {
    let now = 0;
    const gate = new ClassGate("checkout", { concurrency: 10, queueSize: 10, maxWaitMs: 60_000, latencyTargetMs: 100 }, recorder().events, () => now);
    const fast = gate.enter();
    now = 20;
    fast.release();
    const slow = gate.enter();
    now = 520;
    slow.release();
    expect(gate.concurrency).toBe(9);
    // Another slow one within the same target window does not shrink it again.
    const slowToo = gate.enter();
    now = 570;
    slowToo.release();
    expect(gate.concurrency).toBe(9);

    // Saturated (every slot taken) and fast: one more slot per limit's worth of requests, up to the ceiling.
    for (let round = 0; round < 200; round++) {
      const tickets = Array.from({ length: gate.concurrency }, () => gate.enter());
      now += 10;
      for (const ticket of tickets) ticket.release();
    }
    expect(gate.concurrency).toBe(10);
  });

  it("stays as configured when fast requests never fill it", () => {
    let now = 0;
    const gate = new ClassGate("catalog", { concurrency: 4, queueSize: 4, maxWaitMs: 60_000, latencyTargetMs: 100 }, recorder().events, () => now);
    const fast = gate.enter();
    now = 10;
    fast.release();
    const slow = gate.enter();
    now = 1010;
    slow.release();
    expect(gate.concurrency).toBe(3);
    for (let i = 0; i < 100; i++) {
      const ticket = gate.enter();
      now += 1;
      ticket.release();
    }
    expect(gate.concurrency).toBe(3);
  });

  it("does not shrink below half the configured limit however slow the requests stay", () => {
    let now = 0;
    const gate = new ClassGate("checkout", { concurrency: 16, queueSize: 16, maxWaitMs: 60_000, latencyTargetMs: 100 }, recorder().events, () => now);
    const fast = gate.enter();
    now += 10;
    fast.release();
    // Ten times the target, one after the other: every one shrinks it, down to the floor.
    for (let i = 0; i < 100; i++) {
      const ticket = gate.enter();
      now += 1000;
      ticket.release();
    }
    expect(gate.concurrency).toBe(8);
  });

  it("does not shrink below what twice the fastest recent request takes", () => {
    let now = 0;
    const gate = new ClassGate("checkout", { concurrency: 4, queueSize: 4, maxWaitMs: 60_000, latencyTargetMs: 100 }, recorder().events, () => now);
    for (const took of [400, 500, 700]) {
      const ticket = gate.enter();
      now += took;
      ticket.release();
    }
    expect(gate.concurrency).toBe(4);
  });
});
