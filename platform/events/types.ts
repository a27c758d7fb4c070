/**
 * The durable event bus as the mixins see it, whatever carries it: JetStream
 * on a cluster (nats-bus.ts) or an in-process bus in embedded mode
 * (memory-bus.ts). Both give the same guarantees: at-least-once delivery to
 * each consuming group, one node of a group per message, explicit ack,
 * redelivery after a nak (with a delay) or after the ack wait, and a
 * dead-letter store that can be listed and replayed.
 */

/** What travels: the payload and what a consumer needs to dedupe and correlate it. */
export interface EventEnvelope<P = unknown> {
  /** Unique per event (the outbox entry's id): consumers drop a second delivery of it. */
  id: string;
  /** `order.paid` */
  event: string;
  payload: P;
  /** ISO 8601, when the producer recorded the event. */
  occurredAt: string;
  /** The request that caused it, so the consumer's logs carry the same request id. */
  requestId?: string;
  /** Full name of the producing service. */
  source?: string;
}

/** One delivery of one message to one node of a group. */
export interface Delivery {
  /** The event; null when the message could not be read (it is dead-lettered at once). */
  readonly envelope: EventEnvelope | null;
  /** The message as stored, kept byte for byte for the dead-letter store. */
  readonly data: Uint8Array;
  readonly subject: string;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  /** Set on a replay from the dead letters: only this group handles it, the others skip it. */
  readonly replayFor: string | undefined;
  ack(): void;
  /** Redeliver after `delayMs`. */
  nak(delayMs: number): void;
  /** Never redeliver (after it went to the dead letters). */
  term(): void;
  /** The handler is still at it: restart the ack wait. */
  working(): void;
}

export interface ConsumerOptions {
  /** Messages one node handles at once. */
  maxInFlight: number;
  /** Unacknowledged this long (the node died), a message goes to another node. */
  ackWaitMs: number;
}

export interface Subscription {
  /** Stops taking messages, waits for those in hand, hands back what was fetched but not started. */
  stop(): Promise<void>;
}

export interface DeadLetter {
  /** Position in the dead-letter store: what `replay` takes. */
  seq: number;
  group: string;
  event: string;
  /** The event as it was delivered; null when it could not be read. */
  envelope: EventEnvelope | null;
  /** The last error of the handler. */
  reason: string;
  deliveries: number;
  /** ISO 8601 */
  deadAt: string;
}

export interface EventBus {
  readonly kind: "nats" | "memory";
  /** Resolves once the event is stored (a JetStream PubAck); `dedupeId` lets the store drop a second copy. */
  publish(envelope: EventEnvelope, opts?: { dedupeId?: string; replayFor?: string }): Promise<void>;
  /** Starts the group's durable consumer on every event; `onDelivery` settles each delivery itself. */
  consume(group: string, opts: ConsumerOptions, onDelivery: (delivery: Delivery) => Promise<void>): Promise<Subscription>;
  /** Stores a delivery that failed for good, with why, under the group and event. */
  deadLetter(group: string, delivery: Delivery, reason: string): Promise<void>;
  /** The oldest `limit` dead letters of a group. */
  deadLetters(group: string, limit: number): Promise<DeadLetter[]>;
  /** How many dead letters a group has (without reading them). */
  deadLetterCount(group: string): Promise<number>;
  /** Publishes dead letters again, for `group` only, and removes them from the store; all of the group's without `seq`. */
  replay(group: string, seq?: number): Promise<number>;
  /** How far behind a group is; null when it never consumed. */
  stats(group: string): Promise<GroupStats | null>;
  close(): Promise<void>;
}

export interface GroupStats {
  /** Stored and not yet delivered to the group. */
  pending: number;
  /** Delivered and not settled: being handled, or waiting for a retry. */
  unacked: number;
}

/** Message headers, the same on both buses. */
export const HEADERS = {
  replayFor: "Shop-Replay-For",
  deadGroup: "Shop-Dead-Group",
  deadEvent: "Shop-Dead-Event",
  deadReason: "Shop-Dead-Reason",
  deadDeliveries: "Shop-Dead-Deliveries",
  deadAt: "Shop-Dead-At",
} as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeEnvelope(envelope: EventEnvelope): Uint8Array {
  return encoder.encode(JSON.stringify(envelope));
}

/** The envelope of a stored message, or null when it is not one (poison: it is dead-lettered unread). */
export function decodeEnvelope(data: Uint8Array): EventEnvelope | null {
  try {
    const value = JSON.parse(decoder.decode(data)) as Partial<EventEnvelope> | null;
    if (!value || typeof value.id !== "string" || typeof value.event !== "string" || typeof value.occurredAt !== "string") return null;
    return value as EventEnvelope;
  } catch {
    return null;
  }
}

/** A dead-letter reason fits in a header: one line, bounded. */
export function reasonText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.replace(/[\r\n]+/g, " ").slice(0, 500);
}
