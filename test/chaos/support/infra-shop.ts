/**
 * What the infrastructure chaos scenarios (NATS, Redis) share: a shopper with
 * a token, the docs/api.md error shape, and when a stream of requests recovered.
 */
import type { ClusterNode } from "../../support/cluster";
import type { ApiClient } from "../../support/http";
import { waitUntil } from "../../support/wait-until";
import type { Outcome } from "./load";

export interface Shopper {
  id: string;
  email: string;
  token: string;
}

/**
 * Waits until the gateway sees each of `services` and has built their REST
 * routes (its readiness report says both), for clusters that do not run every
 * service and so never answer 200 on /health/ready.
 */
export async function waitForRoutes(http: ApiClient, services: string[], timeoutMs = 15_000): Promise<void> {
  let last = "";
  await waitUntil(
    async () => {
      const res = await http.get<{ services?: Record<string, string>; routesPending?: string[] }>("/health/ready");
      last = res.text;
      return services.every((name) => res.body.services?.[name] === "available") && res.body.routesPending?.length === 0;
    },
    { description: `the gateway's routes of ${services.join(", ")}`, timeoutMs },
  ).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; last readiness: ${last}`);
  });
}

/** A new customer, registered through the gateway. */
export async function registerShopper(http: ApiClient, label: string): Promise<Shopper> {
  const email = `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const res = await http.post<{ token: string; user: { id: string } }>("/auth/register", { email, password: "chaos monkey battery", name: "Chaos Shopper" });
  if (res.status !== 201) throw new Error(`register ${email}: ${res.status} ${res.text}`);
  return { id: res.body.user.id, email, token: res.body.token };
}

/**
 * docs/api.md's error shape and nothing internal: name, message, numeric code,
 * type; no stack, no file path, no node id.
 */
export function apiErrorProblems(body: unknown, status: number): string[] {
  const problems: string[] = [];
  if (body === null || typeof body !== "object") return [`not a JSON object: ${JSON.stringify(body)}`];
  const e = body as Record<string, unknown>;
  if (typeof e.name !== "string") problems.push("no name");
  if (typeof e.message !== "string") problems.push("no message");
  if (e.code !== status) problems.push(`code ${String(e.code)} is not the status ${status}`);
  if (typeof e.type !== "string") problems.push("no type");
  const text = JSON.stringify(body);
  if (/\bat .+:\d+:\d+|\/work\/|node_modules|"stack"/.test(text)) problems.push("internals");
  if (/nodeID/i.test(text)) problems.push("node id");
  // One line per answer, with the answer: the body tells why.
  return problems.length === 0 ? [] : [`${problems.join(", ")}: ${text.slice(0, 500)}`];
}

/**
 * When `outcomes` (of one kind of request) recovered for good after `fromMs`
 * (ms since the load started): the end of the first successful request
 * started at or after `fromMs` that no failed request started after. Counted
 * from `fromMs`; undefined when they never did.
 */
export function sustainedRecoveryMs(outcomes: Outcome[], fromMs: number, ok: (status: number) => boolean): number | undefined {
  const after = outcomes.filter((o) => o.startedAt >= fromMs).sort((a, b) => a.startedAt - b.startedAt);
  let lastFailure = -1;
  after.forEach((o, i) => {
    if (!ok(o.status)) lastFailure = i;
  });
  const first = after[lastFailure + 1];
  return first === undefined ? undefined : first.startedAt + first.latencyMs - fromMs;
}

/** PID and exit state of each node, to prove none restarted. */
export function processStates(nodes: ClusterNode[]): Record<string, { pid: number | undefined; exited: boolean }> {
  return Object.fromEntries(nodes.map((n) => [n.nodeID, { pid: n.process.pid, exited: n.exitInfo() !== undefined }]));
}
