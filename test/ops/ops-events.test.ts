/**
 * The ops service's view of durable events on an embedded platform (the
 * in-process bus): a consumer that fails sends an event to the dead letters,
 * the console lists it with its group's backlog and the producer's outbox,
 * and a replay delivers it once, to that group only.
 */
import type { Service, ServiceSchema } from "moleculer";
import { ChannelsMixin } from "../../mixins/channels.mixin";
import { DbMixin } from "../../mixins/db.mixin";
import type { EventEnvelope } from "../../platform/events/types";
import { OutboxMixin, type OutboxMethods } from "../../mixins/outbox.mixin";
import OpsService from "../../services/ops/ops.service";
import type { ShopContext, ShopSettings } from "../../types/moleculer";
import { fakeUsersService } from "../support/fake-users";
import { api, type ApiClient } from "../support/http";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { waitUntil } from "../support/wait-until";

const ADMIN = { id: "a1", email: "admin@shop.test", name: "Admin", role: "admin" as const };

/** Produces `stock.low` through its outbox, as products does. */
const Ledger: ServiceSchema<ShopSettings, OutboxMethods> = {
  name: "ledger",
  mixins: [DbMixin({ collection: "ledger", database: "ops_events_test" }), OutboxMixin({ database: "ops_events_test" })],
  actions: {
    runLow: {
      params: { sku: "string" },
      handler(this: Service<ShopSettings> & OutboxMethods, ctx: ShopContext<{ sku: string }>) {
        return this.publishDurable("stock.low", { sku: ctx.params.sku }, ctx);
      },
    },
  },
};

/** Consumes `stock.low`; fails while `failing` is set, with one delivery before the dead letters. */
const handled: string[] = [];
let failing = true;
const Reorder: ServiceSchema = {
  name: "reorder",
  mixins: [
    ChannelsMixin(
      {
        "stock.low": (event: EventEnvelope<{ sku: string }>) => {
          if (failing) throw new Error("the supplier's API is down");
          handled.push(event.payload.sku);
        },
      },
      { maxDeliveries: 1, retryDelayMs: 10 },
    ),
  ],
};

let platform: LocalPlatform;
let http: ApiClient;
const token = { token: "admin-token" };

interface DeadLetterRow {
  seq: number;
  group: string;
  event: string;
  reason: string;
}

beforeAll(async () => {
  platform = await startLocalPlatform({ services: [Ledger, Reorder, OpsService, fakeUsersService({ "admin-token": ADMIN })], gateway: true, gatewaySettings: { expectedServices: ["ledger", "reorder", "ops"] } });
  http = api(`${platform.baseUrl}/api`);
}, 30_000);

afterAll(() => platform?.stop());

it("lists a dead letter with its group's backlog, replays it, and the group handles it once", async () => {
  await platform.broker.call("ledger.runLow", { sku: "EL-1001" });
  await waitUntil(async () => (await http.get<{ rows: DeadLetterRow[] }>("/admin/dead-letters", token)).body.rows.length === 1, { description: "the event dead-lettered", timeoutMs: 10_000 });

  const dead = await http.get<{ rows: DeadLetterRow[] }>("/admin/dead-letters?service=reorder", token);
  expect(dead.body.rows).toEqual([expect.objectContaining({ group: "reorder", event: "stock.low", reason: expect.stringContaining("supplier's API is down") })]);

  const events = await http.get<{ consumers: unknown[]; outboxes: unknown[] }>("/admin/events", token);
  expect(events.status).toBe(200);
  expect(events.body.consumers).toContainEqual({ group: "reorder", pending: 0, unacked: 0, deadLetters: 1 });
  expect(events.body.outboxes).toContainEqual(expect.objectContaining({ service: "ledger", ready: 0, pending: 0, oldestReadyAgeSeconds: 0 }));

  failing = false;
  const replay = await http.post<{ replayed: number }>("/admin/dead-letters/replay", { service: "reorder", seq: dead.body.rows[0].seq }, token);
  expect(replay.body).toEqual({ replayed: 1 });
  await waitUntil(() => handled.length === 1, { description: "the replayed event handled", timeoutMs: 10_000 });
  // Drained: nothing dead, nothing waiting; handled exactly once.
  await waitUntil(async () => ((await http.get<{ consumers: { group: string; deadLetters: number; pending: number; unacked: number }[] }>("/admin/events", token)).body.consumers.find((c) => c.group === "reorder")?.unacked ?? 1) === 0, { description: "the group settled", timeoutMs: 10_000 });
  const after = await http.get<{ consumers: unknown[] }>("/admin/events", token);
  expect(after.body.consumers).toContainEqual({ group: "reorder", pending: 0, unacked: 0, deadLetters: 0 });
  expect(handled).toEqual(["EL-1001"]);
});

it("answers 404 naming the service when asked to replay for one that consumes nothing", async () => {
  const res = await http.post<{ type: string; message: string }>("/admin/dead-letters/replay", { service: "ledger" }, token);
  expect(res.status).toBe(404);
  expect(res.body.message).toContain("ledger");
});

it("answers 422 naming the field when the service is missing", async () => {
  const res = await http.post<{ data: { field: string }[] }>("/admin/dead-letters/replay", {}, token);
  expect(res.status).toBe(422);
  expect(res.body.data).toContainEqual(expect.objectContaining({ field: "service" }));
});
