/**
 * Idempotency-Key records are kept KEY_RETENTION_MS (24 hours) after their
 * checkout ended, then pruned (services/orders/checkout/checkout-keys.ts); a
 * key still in progress is never pruned. The clock is injected: no waiting.
 */
import type { DbAdapter } from "../../platform/db/db-adapter";
import { memoryStore } from "../support/memory-store";
import { CheckoutKeys, KEY_INDEXES, KEY_RETENTION_MS, type KeyDoc } from "../../services/orders/checkout/checkout-keys";

let store: DbAdapter;
let clock: number;
let keys: CheckoutKeys;

beforeEach(async () => {
  store = await memoryStore("idempotency", KEY_INDEXES);
  clock = Date.parse("2030-01-01T00:00:00Z");
  keys = new CheckoutKeys({ store, leaseMs: 60_000, now: () => clock });
});

afterEach(async () => {
  await store.disconnect();
});

const noOrder = async () => "missing" as const;

async function claimed(scope: string): Promise<KeyDoc> {
  const claim = await keys.claim(scope, "fp", Date.now() + 1000, noOrder);
  if (!claim.own) throw new Error(`${scope} was not free`);
  return claim.doc;
}

async function finished(scope: string, retryable = false): Promise<void> {
  const doc = await claimed(scope);
  expect(await keys.link(doc, `order-${scope}`)).toBe(true);
  expect(await keys.complete(scope, `order-${scope}`, { status: 201, body: { id: `order-${scope}` } }, retryable)).toBe(true);
}

const scopes = async () => ((await store.find({})) as KeyDoc[]).map((doc) => doc.scope).sort();

describe("pruning Idempotency-Key records", () => {
  it("removes finished records 24 hours after they ended, not before, and never one in progress", async () => {
    await finished("u:old-done");
    await finished("u:old-retryable", true);
    const running = await claimed("u:running");
    await keys.link(running, "order-running");

    clock += KEY_RETENTION_MS - 1000;
    await finished("u:recent");
    expect(await keys.prune()).toBe(0);
    expect(await scopes()).toEqual(["u:old-done", "u:old-retryable", "u:recent", "u:running"]);

    clock += 1001;
    expect(await keys.prune()).toBe(2);
    expect(await scopes()).toEqual(["u:recent", "u:running"]);
  });

  it("lets a pruned key run a new checkout, while a kept one still answers its first", async () => {
    await finished("u:k1");
    await expect(keys.claim("u:k1", "fp", Date.now() + 1000, noOrder)).resolves.toEqual({ own: false, outcome: { status: 201, body: { id: "order-u:k1" } } });

    clock += KEY_RETENTION_MS + 1;
    expect(await keys.prune()).toBe(1);
    await expect(keys.claim("u:k1", "fp", Date.now() + 1000, noOrder)).resolves.toMatchObject({ own: true });
  });
});
