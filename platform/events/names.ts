/**
 * Where durable events live on NATS, derived from the Moleculer namespace so
 * that two clusters sharing one NATS (or two test suites) never see each
 * other's events. The default namespace `shop` gives:
 *
 *   stream SHOP_EVENTS  subjects shop.events.<event>              (e.g. shop.events.order.paid)
 *   stream SHOP_DLQ     subjects shop.dlq.<group>.<event>         (e.g. shop.dlq.notifications.order.paid)
 *   durable consumer <group> on SHOP_EVENTS, one per consuming service group
 */

export interface EventNames {
  /** The subject prefix, the namespace made safe for a subject token. */
  prefix: string;
  eventsStream: string;
  deadLetterStream: string;
  /** `<prefix>.events.>`: what the events stream and every consumer filter on. */
  allEvents: string;
  eventSubject(event: string): string;
  deadLetterSubject(group: string, event: string): string;
  /** `<prefix>.dlq.<group>.>`: one group's dead letters. */
  deadLettersOf(group: string): string;
  /** Durable consumer name of a group (a service's full name, e.g. `v2.orders` -> `v2_orders`). */
  consumer(group: string): string;
}

const DEFAULT_NAMESPACE = "shop";
/** Event names are dotted words: `order.paid`. Anything else would break the subject layout. */
const EVENT_NAME = /^[a-z][a-zA-Z0-9_-]*(\.[a-z][a-zA-Z0-9_-]*)*$/;

/** Subject tokens may not hold `.`, `*`, `>` or whitespace; stream and consumer names neither. */
function token(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, "_");
}

export function assertEventName(event: string): void {
  if (!EVENT_NAME.test(event)) throw new Error(`"${event}" is not a durable event name (dotted lowercase words, e.g. order.paid)`);
}

export function eventNames(namespace: string | undefined): EventNames {
  const prefix = token(namespace || DEFAULT_NAMESPACE);
  const upper = prefix.toUpperCase();
  return {
    prefix,
    eventsStream: `${upper}_EVENTS`,
    deadLetterStream: `${upper}_DLQ`,
    allEvents: `${prefix}.events.>`,
    eventSubject: (event) => `${prefix}.events.${event}`,
    deadLetterSubject: (group, event) => `${prefix}.dlq.${token(group)}.${event}`,
    deadLettersOf: (group) => `${prefix}.dlq.${token(group)}.>`,
    consumer: (group) => token(group),
  };
}

/** `shop.events.order.paid` -> `order.paid`; null for a subject outside the events. */
export function eventOfSubject(names: EventNames, subject: string): string | null {
  const head = `${names.prefix}.events.`;
  return subject.startsWith(head) ? subject.slice(head.length) : null;
}
