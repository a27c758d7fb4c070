/**
 * The durable event bus on NATS JetStream (nats 2.x client, server 2.9+).
 *
 * - Events: one stream (`SHOP_EVENTS`, `shop.events.>`, file storage, kept
 *   a week by age; jetstream.ts), so every consuming group reads every event
 *   it cares about from its own cursor, also events published before the
 *   group ever ran (deliver policy "all").
 * - One durable pull consumer per group (named after the group): every node
 *   of the group pulls from it, so they share the work and each message goes
 *   to one of them. Explicit ack; `max_deliver` is unlimited on the server
 *   because the dispatcher counts deliveries itself and moves a message to
 *   the dead letters before it is settled (JetStream's own limit would just
 *   stop delivering it, with nothing left to inspect or replay).
 * - Dead letters: a second stream (`SHOP_DLQ`, `shop.dlq.<group>.<event>`),
 *   read with direct gets and replayed by publishing again with a header that
 *   only the target group acts on.
 */
import type { NatsAuthOptions } from "../nats-connection";
import { connect, headers as natsHeaders, type JetStreamClient, type JetStreamManager, type JsMsg, type NatsConnection, type StoredMsg } from "nats";
import { ensureConsumer, ensureStreams, headerOf, nextMessage } from "./jetstream";
import { eventOfSubject, type EventNames } from "./names";
import { Slots } from "./slots";
import {
  decodeEnvelope,
  encodeEnvelope,
  HEADERS,
  reasonText,
  type ConsumerOptions,
  type DeadLetter,
  type Delivery,
  type EventBus,
  type EventEnvelope,
  type GroupStats,
  type Subscription,
} from "./types";

const PUBLISH_TIMEOUT_MS = 5000;

export interface NatsBusOptions {
  servers: string[];
  names: EventNames;
  /** Credentials and TLS (platform/nats-connection.ts), as the broker's transporter has them. */
  auth?: NatsAuthOptions;
  /** Shows in the server's connection list. */
  connectionName: string;
  /** Servers that keep a copy of each stream (JETSTREAM_REPLICAS); 1 when not given. */
  replicas?: number;
  logger: { error(...args: unknown[]): void };
}

interface Connected {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class NatsBus implements EventBus {
  readonly kind = "nats";
  private readonly connected: Promise<Connected>;
  private closed = false;

  constructor(private readonly opts: NatsBusOptions) {
    // Waits for the server like Moleculer's transporter does; every use awaits this.
    this.connected = this.open();
    // A failure is seen by the first use; an unobserved rejection would end the process.
    this.connected.catch(() => undefined);
  }

  private async open(): Promise<Connected> {
    const nc = await connect({
      ...this.opts.auth,
      servers: this.opts.servers,
      name: this.opts.connectionName,
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
    });
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, this.opts.names, this.opts.replicas ?? 1);
    return { nc, js: nc.jetstream(), jsm };
  }

  private ready(what: string): Promise<Connected> {
    if (this.closed) return Promise.reject(new Error(`${what}: the event bus is closed`));
    return withTimeout(this.connected, PUBLISH_TIMEOUT_MS, `${what}: NATS JetStream`);
  }

  async publish(envelope: EventEnvelope, opts: { dedupeId?: string; replayFor?: string } = {}): Promise<void> {
    const { js } = await this.ready(`publish ${envelope.event}`);
    const h = natsHeaders();
    if (opts.replayFor) h.set(HEADERS.replayFor, opts.replayFor);
    await js.publish(this.opts.names.eventSubject(envelope.event), encodeEnvelope(envelope), {
      msgID: opts.dedupeId ?? envelope.id,
      headers: h,
      timeout: PUBLISH_TIMEOUT_MS,
    });
  }

  async consume(group: string, opts: ConsumerOptions, onDelivery: (delivery: Delivery) => Promise<void>): Promise<Subscription> {
    // Not bounded like publish: a consumer has nothing to do until NATS is there.
    if (this.closed) throw new Error("the event bus is closed");
    const { js, jsm, nc } = await this.connected;
    const { names } = this.opts;
    await ensureConsumer(jsm, names, group, opts.ackWaitMs);
    const consumer = await js.consumers.get(names.eventsStream, names.consumer(group));
    // Fetched ahead at most one handful: what a killed node held waits one ack wait for another node.
    const messages = await consumer.consume({ max_messages: opts.maxInFlight });
    const slots = new Slots(opts.maxInFlight);
    let stopping = false;

    const loop = (async () => {
      for await (const msg of messages) {
        // Fetched but not started when the service stops: straight back to the group.
        if (stopping) {
          msg.nak();
          continue;
        }
        await slots.take();
        slots.run(onDelivery(toDelivery(msg)));
      }
    })().catch((err: unknown) => {
      // The client retries a lost server or consumer by itself: this is the unexpected rest, and it is loud.
      this.opts.logger.error(`The durable consumer of '${group}' stopped: ${reasonText(err)}`);
    });

    return {
      async stop() {
        stopping = true;
        // Not awaited inside the loop: close() resolves once the iterator has ended.
        await messages.close();
        await loop;
        await slots.drain();
        // The acks of the last handlers leave before the connection may close.
        await nc.flush();
      },
    };
  }

  async deadLetter(group: string, delivery: Delivery, reason: string): Promise<void> {
    const { js } = await this.ready("dead-letter");
    const { names } = this.opts;
    const event = eventOfSubject(names, delivery.subject) ?? delivery.envelope?.event ?? "unknown";
    const h = natsHeaders();
    h.set(HEADERS.deadGroup, group);
    h.set(HEADERS.deadEvent, event);
    h.set(HEADERS.deadReason, reason);
    h.set(HEADERS.deadDeliveries, String(delivery.deliveryCount));
    h.set(HEADERS.deadAt, new Date().toISOString());
    await js.publish(names.deadLetterSubject(group, event), delivery.data, { headers: h, timeout: PUBLISH_TIMEOUT_MS });
  }

  async deadLetters(group: string, limit: number): Promise<DeadLetter[]> {
    const { jsm } = await this.ready("list dead letters");
    const found: DeadLetter[] = [];
    let seq = 1;
    while (found.length < limit) {
      const msg = await nextMessage(jsm, this.opts.names.deadLetterStream, seq, this.opts.names.deadLettersOf(group));
      if (!msg) break;
      found.push(toDeadLetter(msg));
      seq = msg.seq + 1;
    }
    return found;
  }

  async deadLetterCount(group: string): Promise<number> {
    const { jsm } = await this.ready("count dead letters");
    // One stream info with a subject filter: the count per subject of the group, no message read.
    const info = await jsm.streams.info(this.opts.names.deadLetterStream, { subjects_filter: this.opts.names.deadLettersOf(group) });
    return Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
  }

  async replay(group: string, seq?: number): Promise<number> {
    const { jsm, js } = await this.ready("replay dead letters");
    const { names } = this.opts;
    const stream = names.deadLetterStream;
    const targets = seq !== undefined ? [seq] : (await this.deadLetters(group, Number.MAX_SAFE_INTEGER)).map((d) => d.seq);
    let replayed = 0;
    for (const target of targets) {
      const msg = await jsm.streams.getMessage(stream, { seq: target }).catch(() => null);
      if (!msg || headerOf(msg.header, HEADERS.deadGroup) !== group) continue;
      const event = headerOf(msg.header, HEADERS.deadEvent) ?? "unknown";
      const h = natsHeaders();
      h.set(HEADERS.replayFor, group);
      // Its own dedupe id: the original's may still be inside the duplicate window. Twice the same replay is dropped.
      await js.publish(names.eventSubject(event), msg.data, { msgID: `replay:${stream}:${target}`, headers: h, timeout: PUBLISH_TIMEOUT_MS });
      await jsm.streams.deleteMessage(stream, target, false);
      replayed++;
    }
    return replayed;
  }

  async stats(group: string): Promise<GroupStats | null> {
    const { jsm } = await this.ready("consumer stats");
    try {
      const info = await jsm.consumers.info(this.opts.names.eventsStream, this.opts.names.consumer(group));
      return { pending: info.num_pending, unacked: info.num_ack_pending };
    } catch (err) {
      if (/not found/i.test((err as Error).message)) return null;
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const connected = await this.connected.catch(() => null);
    if (connected && !connected.nc.isClosed()) await connected.nc.drain();
  }
}

function toDelivery(msg: JsMsg): Delivery {
  return {
    envelope: decodeEnvelope(msg.data),
    data: msg.data,
    subject: msg.subject,
    deliveryCount: msg.info.deliveryCount,
    replayFor: headerOf(msg.headers, HEADERS.replayFor),
    ack: () => msg.ack(),
    nak: (delayMs) => msg.nak(delayMs),
    term: () => msg.term(),
    working: () => msg.working(),
  };
}

function toDeadLetter(msg: StoredMsg): DeadLetter {
  return {
    seq: msg.seq,
    group: headerOf(msg.header, HEADERS.deadGroup) ?? "",
    event: headerOf(msg.header, HEADERS.deadEvent) ?? "unknown",
    envelope: decodeEnvelope(msg.data),
    reason: headerOf(msg.header, HEADERS.deadReason) ?? "",
    deliveries: Number(headerOf(msg.header, HEADERS.deadDeliveries) ?? 0),
    deadAt: headerOf(msg.header, HEADERS.deadAt) ?? msg.time.toISOString(),
  };
}
