/**
 * The gateway's side of admission control (services/api/admission.ts): the
 * limits from the settings, the metrics per class, and the wait before a
 * routed call, freed when its response is done or its client has gone.
 */
import type { ServerResponse } from "node:http";
import { Errors, type ServiceBroker } from "moleculer";
import { AdmissionControl, AdmissionRefused, ROUTE_CLASSES, type AdmissionEvents, type ClassLimit, type RouteClass } from "./admission";

export const ADMISSION_METRICS = {
  ADMITTED: "shop.admission.admitted.total",
  QUEUED: "shop.admission.queued.total",
  SHED: "shop.admission.shed.total",
} as const;

export interface AdmissionSettings {
  /** Requests of each class handled at once (ADMISSION_CONCURRENCY); the queue holds as many again. */
  concurrency: Record<RouteClass, number>;
  /** Longest wait for a slot (ADMISSION_QUEUE_MS). */
  maxWaitMs: number;
  /** Latency the adaptive limits keep admitted requests under (ADMISSION_LATENCY_TARGET_MS; 0: fixed limits). */
  latencyTargetMs: number;
}

export function classLimits(settings: AdmissionSettings): Record<RouteClass, ClassLimit> {
  return Object.fromEntries(
    ROUTE_CLASSES.map((name) => [name, {
        concurrency: settings.concurrency[name],
        queueSize: settings.concurrency[name],
        maxWaitMs: settings.maxWaitMs,
        latencyTargetMs: settings.latencyTargetMs,
      }]),
  ) as Record<RouteClass, ClassLimit>;
}

/** Counters per class on the broker's metrics (nothing when metrics are off). */
export function admissionMetrics(broker: ServiceBroker): AdmissionEvents {
  const registry = broker.metrics;
  const on = Boolean(registry?.isEnabled());
  if (on) {
    const counters = [
      [ADMISSION_METRICS.ADMITTED, ["class"], "Requests the gateway let through, per route class"],
      [ADMISSION_METRICS.QUEUED, ["class"], "Requests that waited for a slot before being let through or refused, per route class"],
      [ADMISSION_METRICS.SHED, ["class", "reason"], "Requests refused with 503 (queue full, or no slot in time), per route class"],
    ] as const;
    for (const [name, labelNames, description] of counters) {
      if (!registry.hasMetric(name)) registry.register({ name, type: "counter", labelNames: [...labelNames], description });
    }
  }
  return {
    admitted: (routeClass) => on && registry.increment(ADMISSION_METRICS.ADMITTED, { class: routeClass }),
    queued: (routeClass) => on && registry.increment(ADMISSION_METRICS.QUEUED, { class: routeClass }),
    shed: (routeClass, reason) => on && registry.increment(ADMISSION_METRICS.SHED, { class: routeClass, reason }),
  };
}

export function createAdmission(broker: ServiceBroker, settings: AdmissionSettings): AdmissionControl {
  return new AdmissionControl(classLimits(settings), admissionMetrics(broker));
}

function overloaded(refusal: AdmissionRefused): Errors.MoleculerError {
  const err = new Errors.MoleculerError(refusal.message, 503, "OVERLOADED", { routeClass: refusal.routeClass, retryAfter: refusal.retryAfterSec });
  err.name = "ServiceOverloadedError";
  return err;
}

/** Waits for the action's class to admit the request; a refusal is a 503 with `retryAfter`. */
export async function admit(admission: AdmissionControl, action: { name?: unknown; roles?: unknown } | undefined, res: ServerResponse): Promise<void> {
  try {
    const ticket = admission.enter(action);
    if (!ticket) return;
    res.once("close", ticket.release);
    await ticket.admitted;
  } catch (err) {
    throw err instanceof AdmissionRefused ? overloaded(err) : err;
  }
}
