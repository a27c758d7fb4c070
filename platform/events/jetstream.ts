/**
 * The JetStream objects of the durable events (server 2.9+): the events and
 * dead-letter streams, a group's durable consumer, and reading a stream by
 * subject. Each is created, or brought to this configuration when it exists
 * (a restart with other settings); several nodes doing it at once agree.
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type MsgHdrs,
  type StoredMsg,
  type StreamConfig,
} from "nats";
import type { EventNames } from "./names";

const DAY_MS = 24 * 3600 * 1000;
/** How long events stay in the stream: a group that was down longer than this misses them. */
const EVENTS_RETENTION_DAYS = 7;
/** Dead letters wait longer: someone has to look at them. */
const DEAD_LETTER_RETENTION_DAYS = 30;
/** The stream drops a second publish with the same id (an outbox relay's retry) within this window. */
const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;
/** Unsettled messages of one group across all its nodes; delayed retries count too. */
const MAX_ACK_PENDING = 1000;

/**
 * JetStream's direct get (server 2.9+, streams with allow_direct), which can
 * find the next message on a subject. nats.js 2.x implements it as
 * `jsm.direct` but leaves it out of the JetStreamManager interface.
 */
interface DirectGet {
  direct: { getMessage(stream: string, query: { seq: number; next_by_subj: string }): Promise<StoredMsg> };
}

export function headerOf(h: MsgHdrs | undefined, name: string): string | undefined {
  const value = h?.get(name);
  return value ? value : undefined;
}

/**
 * Both streams, each kept on `replicas` servers (JETSTREAM_REPLICAS: 1 on a
 * single server, 3 on a 3-server cluster so that losing one server loses no
 * event and stops no publish). An existing stream is brought to that count.
 */
export async function ensureStreams(jsm: JetStreamManager, names: EventNames, replicas = 1): Promise<void> {
  await ensureStream(jsm, {
    name: names.eventsStream,
    num_replicas: replicas,
    subjects: [names.allEvents],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(EVENTS_RETENTION_DAYS * DAY_MS),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  });
  await ensureStream(jsm, {
    name: names.deadLetterStream,
    num_replicas: replicas,
    subjects: [`${names.prefix}.dlq.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(DEAD_LETTER_RETENTION_DAYS * DAY_MS),
    allow_direct: true,
  });
}

/**
 * The group's durable pull consumer on every event. `max_deliver` is
 * unlimited: the dispatcher counts deliveries and dead-letters itself.
 */
export async function ensureConsumer(jsm: JetStreamManager, names: EventNames, group: string, ackWaitMs: number): Promise<void> {
  const config: Partial<ConsumerConfig> & { durable_name: string } = {
    durable_name: names.consumer(group),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: names.allEvents,
    ack_wait: nanos(ackWaitMs),
    max_deliver: -1,
    max_ack_pending: MAX_ACK_PENDING,
  };
  try {
    await jsm.consumers.add(names.eventsStream, config);
  } catch (err) {
    if (!/already exists|already in use/i.test((err as Error).message)) throw err;
    await jsm.consumers.update(names.eventsStream, config.durable_name, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
  }
}

/** The first message at or after `seq` on `subject`; null past the last one. */
export async function nextMessage(jsm: JetStreamManager, stream: string, seq: number, subject: string): Promise<StoredMsg | null> {
  try {
    return await (jsm as unknown as DirectGet).direct.getMessage(stream, { seq, next_by_subj: subject });
  } catch (err) {
    if (/no message found|not found/i.test((err as Error).message)) return null;
    throw err;
  }
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.add(config);
  } catch (err) {
    if (!/already in use/i.test((err as Error).message)) throw err;
    const { name, ...update } = config;
    await jsm.streams.update(name, update);
  }
}
