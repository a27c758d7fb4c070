/**
 * The durable event bus inside one process, for embedded mode (no
 * transporter): the same contract as the JetStream bus, so services and
 * tests do not care which one runs. A stream of messages; per group a cursor,
 * the unsettled messages with their delivery counts, ack-wait timers and
 * delayed retries; members of a group take turns; dead letters in a list.
 *
 * "Durable" here means durable while the process lives: across a restart the
 * producers' outboxes (on disk with NeDB) are what survives. Nothing in it
 * outlives the process, and it holds at most MAX_MESSAGES messages.
 */
import { eventOfSubject, type EventNames } from "./names";
import { Slots } from "./slots";
import {
  decodeEnvelope,
  encodeEnvelope,
  type ConsumerOptions,
  type DeadLetter,
  type Delivery,
  type EventBus,
  type EventEnvelope,
  type GroupStats,
  type Subscription,
} from "./types";

/** Oldest messages go first beyond this (a long dev session). */
const MAX_MESSAGES = 10_000;
const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

interface Stored {
  seq: number;
  subject: string;
  data: Uint8Array;
  replayFor?: string;
}

interface Unsettled {
  deliveries: number;
  timer?: NodeJS.Timeout;
  /** Handed to a member and neither settled nor timed out. */
  out: boolean;
}

interface Member {
  opts: ConsumerOptions;
  onDelivery(delivery: Delivery): Promise<void>;
  slots: Slots;
}

interface Group {
  /** Next stream sequence never delivered to this group. */
  cursor: number;
  unsettled: Map<number, Unsettled>;
  /** Sequences due for redelivery, oldest first. */
  due: number[];
  members: Member[];
  turn: number;
}

interface DeadEntry extends DeadLetter {
  data: Uint8Array;
}

const later = (ms: number, fn: () => void): NodeJS.Timeout => {
  const timer = setTimeout(fn, ms);
  // The broker keeps a running process alive; a stopped test broker's leftovers must not.
  timer.unref();
  return timer;
};

export class MemoryBus implements EventBus {
  readonly kind = "memory";
  private readonly stream: Stored[] = [];
  private lastSeq = 0;
  private readonly seen = new Map<string, number>();
  private readonly groups = new Map<string, Group>();
  private readonly dead: DeadEntry[] = [];
  private lastDeadSeq = 0;

  constructor(private readonly names: EventNames) {}

  async publish(envelope: EventEnvelope, opts: { dedupeId?: string; replayFor?: string } = {}): Promise<void> {
    this.store(this.names.eventSubject(envelope.event), encodeEnvelope(envelope), opts.dedupeId ?? envelope.id, opts.replayFor);
  }

  private store(subject: string, data: Uint8Array, dedupeId: string, replayFor?: string): void {
    const now = Date.now();
    for (const [id, at] of this.seen) if (now - at > DUPLICATE_WINDOW_MS) this.seen.delete(id);
    if (this.seen.has(dedupeId)) return;
    this.seen.set(dedupeId, now);
    this.stream.push({ seq: ++this.lastSeq, subject, data, replayFor });
    if (this.stream.length > MAX_MESSAGES) this.stream.shift();
    for (const group of this.groups.values()) this.pump(group);
  }

  async consume(name: string, opts: ConsumerOptions, onDelivery: (delivery: Delivery) => Promise<void>): Promise<Subscription> {
    let group = this.groups.get(name);
    if (!group) {
      // Deliver policy "all": a new group starts at the oldest message kept.
      group = { cursor: this.stream[0]?.seq ?? this.lastSeq + 1, unsettled: new Map(), due: [], members: [], turn: 0 };
      this.groups.set(name, group);
    }
    const member: Member = { opts, onDelivery, slots: new Slots(opts.maxInFlight) };
    group.members.push(member);
    this.pump(group);
    const current = group;
    return {
      stop: async () => {
        current.members = current.members.filter((m) => m !== member);
        await member.slots.drain();
      },
    };
  }

  /** Hands out what is due, then what is new, while a member has a free slot. */
  private pump(group: Group): void {
    for (;;) {
      const member = this.freeMember(group);
      if (!member) return;
      const seq = this.nextFor(group);
      if (seq === undefined) return;
      this.deliver(group, member, seq);
    }
  }

  private freeMember(group: Group): Member | undefined {
    for (let i = 0; i < group.members.length; i++) {
      const member = group.members[(group.turn + i) % group.members.length];
      if (member.slots.busy < member.opts.maxInFlight) {
        group.turn = (group.turn + i + 1) % group.members.length;
        return member;
      }
    }
    return undefined;
  }

  private nextFor(group: Group): number | undefined {
    while (group.due.length > 0) {
      const seq = group.due.shift() as number;
      if (group.unsettled.has(seq) && this.message(seq)) return seq;
      group.unsettled.delete(seq); // trimmed from the stream meanwhile
    }
    const first = this.stream[0]?.seq ?? this.lastSeq + 1;
    if (group.cursor < first) group.cursor = first;
    if (group.cursor > this.lastSeq) return undefined;
    return group.cursor++;
  }

  private message(seq: number): Stored | undefined {
    const first = this.stream[0]?.seq;
    return first === undefined ? undefined : this.stream[seq - first];
  }

  private deliver(group: Group, member: Member, seq: number): void {
    const stored = this.message(seq) as Stored;
    const state: Unsettled = group.unsettled.get(seq) ?? { deliveries: 0, out: false };
    group.unsettled.set(seq, state);
    state.deliveries++;
    state.out = true;

    const settle = () => {
      clearTimeout(state.timer);
      group.unsettled.delete(seq);
    };
    const redeliverIn = (ms: number) => {
      clearTimeout(state.timer);
      state.out = false;
      state.timer = later(ms, () => {
        if (group.unsettled.get(seq) !== state) return;
        group.due.push(seq);
        this.pump(group);
      });
    };
    // Not settled within the ack wait (a hung handler): another delivery, as JetStream would.
    const armAckWait = () => {
      clearTimeout(state.timer);
      state.timer = later(member.opts.ackWaitMs, () => {
        if (group.unsettled.get(seq) === state && state.out) redeliverIn(0);
      });
    };
    armAckWait();

    const delivery: Delivery = {
      envelope: decodeEnvelope(stored.data),
      data: stored.data,
      subject: stored.subject,
      deliveryCount: state.deliveries,
      replayFor: stored.replayFor,
      ack: settle,
      term: settle,
      nak: (delayMs) => {
        if (group.unsettled.get(seq) === state && state.out) redeliverIn(delayMs);
      },
      working: () => {
        if (group.unsettled.get(seq) === state && state.out) armAckWait();
      },
    };
    member.slots.run(
      Promise.resolve()
        .then(() => member.onDelivery(delivery))
        .finally(() => setImmediate(() => this.pump(group))),
    );
  }

  async deadLetter(group: string, delivery: Delivery, reason: string): Promise<void> {
    this.dead.push({
      seq: ++this.lastDeadSeq,
      group,
      event: eventOfSubject(this.names, delivery.subject) ?? delivery.envelope?.event ?? "unknown",
      envelope: delivery.envelope,
      reason,
      deliveries: delivery.deliveryCount,
      deadAt: new Date().toISOString(),
      data: delivery.data,
    });
  }

  async deadLetters(group: string, limit: number): Promise<DeadLetter[]> {
    return this.dead
      .filter((d) => d.group === group)
      .slice(0, limit)
      .map(({ data: _data, ...letter }) => letter);
  }

  async deadLetterCount(group: string): Promise<number> {
    return this.dead.filter((d) => d.group === group).length;
  }

  async replay(group: string, seq?: number): Promise<number> {
    const picked = this.dead.filter((d) => d.group === group && (seq === undefined || d.seq === seq));
    for (const letter of picked) {
      this.dead.splice(this.dead.indexOf(letter), 1);
      this.store(this.names.eventSubject(letter.event), letter.data, `replay:${letter.seq}`, group);
    }
    return picked.length;
  }

  async stats(name: string): Promise<GroupStats | null> {
    const group = this.groups.get(name);
    if (!group) return null;
    const first = this.stream[0]?.seq ?? this.lastSeq + 1;
    return { pending: this.lastSeq + 1 - Math.max(group.cursor, first), unacked: group.unsettled.size };
  }

  async close(): Promise<void> {
    for (const group of this.groups.values()) {
      for (const state of group.unsettled.values()) clearTimeout(state.timer);
      group.members = [];
    }
    this.groups.clear();
  }
}
