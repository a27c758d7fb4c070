/**
 * Pairs of settings that are each fine alone and wrong together. Refused at
 * start (platform/config.ts), naming both, because each shows only later and
 * elsewhere: a checkout finished twice, an event handled twice, a stream that
 * cannot be created, nodes dropped while alive.
 */
import type { PlatformConfig } from "./config";

/** A checkout step may take REQUEST_TIMEOUT; the sweeper must leave it at least this much longer. */
export const STALE_MARGIN_MS = 1000;

type Settings = Pick<
  PlatformConfig,
  "requestTimeoutMs" | "orderStaleAfterSec" | "eventsAckWaitMs" | "jetstreamReplicas" | "transporter" | "heartbeatIntervalSec" | "heartbeatTimeoutSec"
>;

/** NATS servers a TRANSPORTER lists (`nats://a:4222,nats://b:4222` is two); undefined for a single address. */
function namedNatsServers(transporter: string): number | undefined {
  if (!/^nats:\/\//.test(transporter)) return undefined;
  const servers = transporter.split(",").filter((s) => s.trim() !== "").length;
  return servers > 1 ? servers : undefined;
}

/** Each conflict found, as a sentence naming both settings and their values; empty when they agree. */
export function settingConflicts(cfg: Settings): string[] {
  const conflicts: string[] = [];
  const staleMs = cfg.orderStaleAfterSec * 1000;
  if (staleMs < cfg.requestTimeoutMs + STALE_MARGIN_MS) {
    conflicts.push(
      `ORDER_STALE_AFTER (${cfg.orderStaleAfterSec} s) must be at least REQUEST_TIMEOUT (${cfg.requestTimeoutMs} ms) plus ${STALE_MARGIN_MS} ms: ` +
        "the recovery sweeper would take over checkouts that are still running",
    );
  }
  if (cfg.eventsAckWaitMs <= cfg.requestTimeoutMs) {
    conflicts.push(
      `EVENTS_ACK_WAIT_MS (${cfg.eventsAckWaitMs} ms) must be above REQUEST_TIMEOUT (${cfg.requestTimeoutMs} ms): ` +
        "a durable event whose handler waits on an action would be handed to another node while still being handled",
    );
  }
  // Embedded (no TRANSPORTER) there is no JetStream, and one address may front a whole cluster: only a list can be counted.
  const servers = cfg.transporter ? namedNatsServers(cfg.transporter) : undefined;
  if (servers !== undefined && cfg.jetstreamReplicas > servers) {
    conflicts.push(
      `JETSTREAM_REPLICAS (${cfg.jetstreamReplicas}) is more than the NATS servers TRANSPORTER names (${servers}: ${cfg.transporter}): ` +
        "JetStream refuses a stream with more copies than servers",
    );
  }
  if (cfg.heartbeatTimeoutSec <= cfg.heartbeatIntervalSec) {
    conflicts.push(
      `HEARTBEAT_TIMEOUT (${cfg.heartbeatTimeoutSec} s) must be above HEARTBEAT_INTERVAL (${cfg.heartbeatIntervalSec} s): ` +
        "live nodes would be dropped between two of their heartbeats",
    );
  }
  return conflicts;
}
