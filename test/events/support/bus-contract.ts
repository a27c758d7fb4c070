/**
 * What every durable bus promises, as one suite run against each of them
 * (memory-bus.test.ts, nats-bus.test.ts).
 */
import type { Service } from "moleculer";
import { PoisonEventError } from "../../../platform/events/dispatch";
import type { EventEnvelope } from "../../../platform/events/types";
import { waitUntil } from "../../support/wait-until";
import { startBusHarness, type BusHarness, type BusKind } from "./bus-harness";

/** Who handled which event how often. */
class Tally {
  readonly handled = new Map<string, string[]>();

  note(envelope: EventEnvelope, by: string): void {
    this.handled.set(envelope.id, [...(this.handled.get(envelope.id) ?? []), by]);
  }

  count(id: string): number {
    return this.handled.get(id)?.length ?? 0;
  }

  get total(): number {
    return [...this.handled.values()].reduce((sum, list) => sum + list.length, 0);
  }
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeBusContract(kind: BusKind): void {
  describe(`durable events on the ${kind} bus`, () => {
    let harness: BusHarness;
    let group: string;
    let seq = 0;

    beforeAll(async () => {
      harness = await startBusHarness(kind);
    }, 30_000);

    afterAll(async () => {
      await harness?.stop();
    });

    beforeEach(() => {
      // A fresh group per test: its own durable consumer, starting at the oldest stored event.
      group = `group${++seq}`;
    });

    /** Nothing left to deliver or settle for the group: no late duplicate can still come. */
    const settled = (g = group) =>
      waitUntil(async () => {
        const stats = await harness.stats(g);
        return stats !== null && stats.pending === 0 && stats.unacked === 0;
      }, { description: `group ${g} to have settled everything`, timeoutMs: 20_000 });

    it("delivers a backlog published while no consumer ran, each event exactly once", async () => {
      const event = `backlog.t${seq}`;
      const sent = [];
      for (let i = 0; i < 20; i++) sent.push(await harness.publish(event, { i }));
      const record = new Tally();
      await harness.startConsumer(group, { [event]: (e: EventEnvelope) => record.note(e, "a") });
      await waitUntil(() => record.handled.size === 20, { description: "20 events", timeoutMs: 20_000 });
      await settled();
      expect(sent.every((e) => record.count(e.id) === 1)).toBe(true);
      expect(record.total).toBe(20);
    });

    it("shares the work among the nodes of one group, each event handled once", async () => {
      const event = `shared.t${seq}`;
      const record = new Tally();
      const slowly = (by: string) => async (e: EventEnvelope) => {
        await tick(10);
        record.note(e, by);
      };
      await harness.startConsumer(group, { [event]: slowly("a") });
      await harness.startConsumer(group, { [event]: slowly("b") });
      const sent = [];
      for (let i = 0; i < 40; i++) sent.push(await harness.publish(event, { i }));
      await waitUntil(() => record.handled.size === 40, { description: "40 events", timeoutMs: 20_000 });
      await settled();
      expect(sent.every((e) => record.count(e.id) === 1)).toBe(true);
      const by = [...record.handled.values()].flat();
      expect(by.filter((n) => n === "a").length).toBeGreaterThan(0);
      expect(by.filter((n) => n === "b").length).toBeGreaterThan(0);
    });

    it("gives each group its own copy of an event", async () => {
      const event = `fanout.t${seq}`;
      const first = new Tally();
      const second = new Tally();
      await harness.startConsumer(group, { [event]: (e: EventEnvelope) => first.note(e, "first") });
      await harness.startConsumer(`${group}-other`, { [event]: (e: EventEnvelope) => second.note(e, "second") });
      const sent = await harness.publish(event, {});
      await waitUntil(() => first.count(sent.id) === 1 && second.count(sent.id) === 1, { description: "both groups", timeoutMs: 20_000 });
    });

    it("stores an event published twice under its id once (an outbox relay publishing again)", async () => {
      const event = `twice.t${seq}`;
      const record = new Tally();
      await harness.startConsumer(group, { [event]: (e: EventEnvelope) => record.note(e, "a") });
      const first = await harness.publish(event, {});
      await harness.bus.publish(first);
      const next = await harness.publish(event, {});
      await waitUntil(() => record.count(next.id) === 1, { description: "the next event", timeoutMs: 20_000 });
      await settled();
      expect(record.count(first.id)).toBe(1);
    });

    it("retries a failing event with a delay and acks it once it succeeds", async () => {
      const event = `flaky.t${seq}`;
      const deliveries: number[] = [];
      let calls = 0;
      await harness.startConsumer(group, {
        [event]: () => {
          deliveries.push(++calls);
          if (calls < 3) throw new Error("not yet");
        },
      }, { maxDeliveries: 5 });
      await harness.publish(event, {});
      await waitUntil(() => calls === 3, { description: "the third delivery", timeoutMs: 20_000 });
      await settled();
      expect(calls).toBe(3);
      expect(await harness.bus.deadLetters(group, 10)).toEqual([]);
    });

    it("moves a poison event to the dead letters after the maximum deliveries while the others keep flowing", async () => {
      const event = `poison.t${seq}`;
      const record = new Tally();
      let poisonCalls = 0;
      const consumer = await harness.startConsumer(group, {
        [event]: (e: EventEnvelope<{ poison?: boolean }>) => {
          if (e.payload.poison) {
            poisonCalls++;
            throw new Error("cannot handle this one");
          }
          record.note(e, "a");
        },
      }, { maxDeliveries: 3 });
      const poison = await harness.publish(event, { poison: true });
      const good = [];
      for (let i = 0; i < 10; i++) good.push(await harness.publish(event, { i }));
      await waitUntil(async () => record.handled.size === 10 && (await harness.bus.deadLetters(group, 10)).length === 1, {
        description: "10 good events handled and 1 dead letter",
        timeoutMs: 20_000,
      });
      await settled();
      expect(poisonCalls).toBe(3);
      expect(good.every((e) => record.count(e.id) === 1)).toBe(true);
      const [letter] = await consumer.service.deadLetters();
      expect(letter).toMatchObject({ group, event, deliveries: 3, reason: "Error: cannot handle this one" });
      expect(letter.envelope).toMatchObject({ id: poison.id, payload: { poison: true } });
    });

    it("dead-letters at once an event its handler calls poison", async () => {
      const event = `malformed.t${seq}`;
      let calls = 0;
      await harness.startConsumer(group, {
        [event]: () => {
          calls++;
          throw new PoisonEventError("payload lacks orderId");
        },
      }, { maxDeliveries: 5 });
      await harness.publish(event, {});
      await waitUntil(async () => (await harness.bus.deadLetters(group, 10)).length === 1, { description: "the dead letter", timeoutMs: 20_000 });
      expect(calls).toBe(1);
      expect((await harness.bus.deadLetters(group, 10))[0].reason).toBe("PoisonEventError: payload lacks orderId");
    });

    it("replays dead letters to their group only, and empties the dead letters", async () => {
      const event = `replayed.t${seq}`;
      let healthy = false;
      const record = new Tally();
      const other = new Tally();
      const consumer = await harness.startConsumer(group, {
        [event]: (e: EventEnvelope) => {
          if (!healthy) throw new Error("downstream is away");
          record.note(e, "a");
        },
      }, { maxDeliveries: 2 });
      await harness.startConsumer(`${group}-bystander`, { [event]: (e: EventEnvelope) => other.note(e, "bystander") });
      const lost = [await harness.publish(event, { n: 1 }), await harness.publish(event, { n: 2 })];
      await waitUntil(async () => (await consumer.service.deadLetters()).length === 2, { description: "2 dead letters", timeoutMs: 20_000 });

      healthy = true;
      const [first] = await consumer.service.deadLetters();
      // The operator's way (REPL: call <service>.deadLettersReplay --seq N), then the method.
      const { service } = consumer;
      expect(await service.broker.call(`${service.fullName}.deadLettersReplay`, { seq: first.seq })).toEqual({ replayed: 1 });
      await waitUntil(() => record.handled.size === 1, { description: "the replayed event", timeoutMs: 20_000 });
      expect(await consumer.service.replayDeadLetters()).toBe(1);
      await waitUntil(() => record.handled.size === 2, { description: "the rest", timeoutMs: 20_000 });
      await settled();
      await settled(`${group}-bystander`);

      expect(lost.every((e) => record.count(e.id) === 1)).toBe(true);
      expect(await consumer.service.deadLetters()).toEqual([]);
      // The other group had each event once, when it was first published.
      expect(lost.every((e) => other.count(e.id) === 1)).toBe(true);
    });

    it("lets the handler in progress finish and ack when its node stops: nothing is redelivered", async () => {
      const event = `draining.t${seq}`;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started = 0;
      let finished = 0;
      const consumer = await harness.startConsumer(group, {
        [event]: async () => {
          started++;
          await gate;
          finished++;
        },
      });
      await harness.publish(event, {});
      await waitUntil(() => started === 1, { description: "the handler to start", timeoutMs: 20_000 });
      const stopping = consumer.stop();
      release();
      await stopping;
      expect(finished).toBe(1);

      const record = new Tally();
      await harness.startConsumer(group, { [event]: (e: EventEnvelope) => record.note(e, "successor") });
      await settled();
      expect(record.total).toBe(0);
    });

    it("acks, without calling anyone, events the group has no handler for", async () => {
      const record = new Tally();
      await harness.startConsumer(group, { [`wanted.t${seq}`]: (e: EventEnvelope) => record.note(e, "a") });
      await harness.publish(`unwanted.t${seq}`, {});
      const wanted = await harness.publish(`wanted.t${seq}`, {});
      await waitUntil(() => record.count(wanted.id) === 1, { description: "the wanted event", timeoutMs: 20_000 });
      await settled();
      expect(record.total).toBe(1);
    });

    it("hands the handler a context with the producer's request id", async () => {
      const event = `traced.t${seq}`;
      const seen: (string | null)[] = [];
      await harness.startConsumer(group, {
        [event]: function (this: Service, _e: EventEnvelope, ctx) {
          seen.push(ctx.requestID);
        },
      });
      const envelope = { id: "0123456789abcdef01234567", event, payload: {}, occurredAt: new Date().toISOString(), requestId: "req-42" };
      await harness.bus.publish(envelope);
      await waitUntil(() => seen.length === 1, { description: "the event", timeoutMs: 20_000 });
      expect(seen).toEqual(["req-42"]);
    });
  });
}
