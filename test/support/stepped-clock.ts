/**
 * This process's Date.now(), moved forward on demand: what a stall of the
 * whole process does to leases, without waiting one out. So a test's leases
 * can be long enough that no real stall of a loaded machine expires them,
 * and still run out exactly when the test says.
 *
 * Install it before the services start: OrderBook and CheckoutKeys keep the
 * Date.now they are built with. Only Date.now moves; timers, `new Date()` and
 * performance.now keep the real time. Move it only while no request is under
 * way: a request's own deadline is on Date.now too.
 */
export interface SteppedClock {
  advance(ms: number): void;
  restore(): void;
}

export function steppedClock(): SteppedClock {
  const real = Date.now;
  let offset = 0;
  Date.now = () => real() + offset;
  return {
    advance(ms: number) {
      offset += ms;
    },
    restore() {
      Date.now = real;
    },
  };
}
