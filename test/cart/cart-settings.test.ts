/**
 * The cart's configuration: CART_TTL (default 7 days), the command timeout
 * derived from REQUEST_TIMEOUT, and the service settings built from them.
 */
import { config, loadConfig } from "../../platform/config";
import { commandTimeoutWithin } from "../../services/cart/cart-redis-store";
import { MAX_CART_LINES } from "../../services/cart/cart-rules";
import CartService, { type CartSettings } from "../../services/cart/cart.service";

describe("cart configuration", () => {
  it("keeps a cart 7 days after its last change unless CART_TTL says otherwise", () => {
    expect(loadConfig({}).cartTtlSec).toBe(7 * 24 * 3600);
    expect(loadConfig({ CART_TTL: "3600" }).cartTtlSec).toBe(3600);
  });

  it("refuses a CART_TTL that is not a positive whole number of seconds", () => {
    for (const bad of ["0", "-5", "1.5", "a week"]) expect(() => loadConfig({ CART_TTL: bad })).toThrow(/CART_TTL/);
  });

  it("gives each Redis command a tenth of the request timeout, between 50 ms and 1 s", () => {
    expect(commandTimeoutWithin(10_000)).toBe(1000);
    expect(commandTimeoutWithin(60_000)).toBe(1000);
    expect(commandTimeoutWithin(3000)).toBe(300);
    expect(commandTimeoutWithin(100)).toBe(50);
  });

  it("builds the service's settings from the configuration, keeping the Redis URL out of the service descriptor", () => {
    const settings = CartService.settings as CartSettings;
    expect(settings).toMatchObject({
      rest: "/",
      redisUrl: config.redisUrl,
      keyPrefix: `${config.namespace}:cart:`,
      ttlSec: config.cartTtlSec,
      maxLines: MAX_CART_LINES,
      commandTimeoutMs: commandTimeoutWithin(config.requestTimeoutMs),
    });
    expect(settings.$secureSettings).toContain("redisUrl");
    expect(settings.commandTimeoutMs).toBeLessThan(config.requestTimeoutMs);
  });
});
