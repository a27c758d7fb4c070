/**
 * What a consuming group does with each delivery, the same on both buses:
 * skip what is not its business, run the handler, ack on success, nak with a
 * growing delay on failure, and after the last allowed delivery move the
 * message to the dead letters (only then is it settled: a failed move leaves
 * it to be delivered again, so nothing is lost).
 */
import { reasonText, type Delivery, type EventEnvelope } from "./types";

/** Thrown by a handler for an event that no retry can fix (malformed payload): dead-lettered at once. */
export class PoisonEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PoisonEventError";
  }
}

export interface Route {
  handle(envelope: EventEnvelope): Promise<void>;
  /** Deliveries before the message goes to the dead letters (1: no retry). */
  maxDeliveries: number;
}

export interface DispatchLogger {
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface DispatchOptions {
  group: string;
  routes: ReadonlyMap<string, Route>;
  /** Delay before the first redelivery; it doubles with each further one, up to MAX_RETRY_DELAY_MS. */
  retryDelayMs: number;
  /** The bus redelivers what is not settled within this; a running handler keeps its message with working(). */
  ackWaitMs: number;
  deadLetter(delivery: Delivery, reason: string): Promise<void>;
  logger: DispatchLogger;
}

export const MAX_RETRY_DELAY_MS = 60_000;

/** The delay before delivery number `deliveryCount + 1`. */
export function retryDelay(baseMs: number, deliveryCount: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, deliveryCount - 1), MAX_RETRY_DELAY_MS);
}

export function createDispatcher(opts: DispatchOptions): (delivery: Delivery) => Promise<void> {
  const { group, routes, logger } = opts;
  const describe = (d: Delivery) => `${d.envelope?.event ?? d.subject} ${d.envelope?.id ?? "(unreadable)"} (delivery ${d.deliveryCount})`;

  async function bury(d: Delivery, reason: string): Promise<void> {
    try {
      await opts.deadLetter(d, reason);
      d.term();
      logger.warn(`${group}: ${describe(d)} moved to the dead letters: ${reason}`);
    } catch (err) {
      // Not stored as a dead letter: it must stay in the stream, to be tried again.
      logger.error(`${group}: could not dead-letter ${describe(d)}, it is kept for redelivery: ${reasonText(err)}`);
      d.nak(retryDelay(opts.retryDelayMs, d.deliveryCount));
    }
  }

  return async function dispatch(d: Delivery): Promise<void> {
    if (d.replayFor !== undefined && d.replayFor !== group) return d.ack(); // another group's replay
    const envelope = d.envelope;
    if (!envelope) return bury(d, "unreadable message (not an event envelope)");
    const route = routes.get(envelope.event);
    if (!route) return d.ack(); // an event this group does not consume
    if (d.deliveryCount > route.maxDeliveries) {
      // The earlier deliveries never settled: the node died while handling it (a poison message can crash a node).
      return bury(d, `not settled after ${d.deliveryCount - 1} deliveries (the node handling it stopped)`);
    }

    const keepAlive = setInterval(() => d.working(), Math.max(50, Math.floor(opts.ackWaitMs / 3)));
    try {
      await route.handle(envelope);
      d.ack();
    } catch (err) {
      if (err instanceof PoisonEventError || d.deliveryCount >= route.maxDeliveries) return await bury(d, reasonText(err));
      const delay = retryDelay(opts.retryDelayMs, d.deliveryCount);
      logger.warn(`${group}: ${describe(d)} failed, again in ${delay} ms: ${reasonText(err)}`);
      d.nak(delay);
    } finally {
      clearInterval(keepAlive);
    }
  };
}
