/**
 * ops: what the operator console shows of the running cluster, for admins
 * only. It holds no data of its own: every answer is read at the moment it
 * is asked, over the transporter, from the nodes themselves — the registry
 * (nodes, services), each node's `$node.health` and `$node.metrics` (request
 * rates, errors, latency, circuit breakers), and the durable-event and outbox
 * actions every consuming or producing service carries (ChannelsMixin's
 * `eventBacklog`, `deadLetters`, `deadLettersReplay`; OutboxMixin's
 * `outboxBacklog`). So it answers the same embedded and on a cluster, and
 * more than one node may run it.
 */
import type { Service, ServiceSchema } from "moleculer";
import { answer } from "../../contracts/rest/answers";
import { notFound } from "../../platform/errors";
import type { ShopContext, ShopSettings } from "../../types/moleculer";
import {
  actionStats,
  METRIC_INCLUDES,
  nodeView,
  openBreakers,
  serviceCounts,
  type MetricSnapshot,
  type NodeHealth,
  type NodeView,
  type RegistryNode,
} from "./cluster-view";

/** A node that does not answer this fast is shown without its health and metrics. */
const NODE_CALL_TIMEOUT_MS = 2_000;
/** Departed nodes stay listed this long after they left. */
const DEPARTED_KEPT_MS = 10 * 60_000;

interface OpsVars {
  /** When each node that left was seen leaving (ms). */
  departed: Map<string, number>;
}

interface OpsMethods {
  registryNodes(): RegistryNode[];
  /** `<service>.<suffix>` of every available service that has such an action, one per service. */
  actionsEnding(suffix: string): string[];
  callNode<T>(ctx: ShopContext<unknown>, action: string, params: Record<string, unknown>, nodeID: string): Promise<T | null>;
}

type OpsThis = Service<ShopSettings> & OpsVars & OpsMethods;

interface RegistryActionEntry {
  name: string;
}

interface EventBacklog {
  group: string;
  pending: number | null;
  unacked: number | null;
  deadLetters: number | null;
}

interface OutboxBacklog {
  service: string;
  ready: number;
  pending: number;
  oldestReadyAgeSeconds: number;
}

const OpsService: ServiceSchema<ShopSettings, OpsMethods, OpsVars> = {
  name: "ops",

  settings: { rest: "/" },

  created() {
    this.departed = new Map();
  },

  events: {
    "$node.disconnected"(this: OpsThis, ctx: ShopContext<{ node: { id: string } }>) {
      this.departed.set(ctx.params.node.id, Date.now());
    },
    "$node.connected"(this: OpsThis, ctx: ShopContext<{ node: { id: string } }>) {
      this.departed.delete(ctx.params.node.id);
    },
  },

  actions: {
    /** Nodes with their services, CPU and uptime; services with their node count; per-action rates and latency; breakers not closed. */
    cluster: {
      rest: "GET /admin/cluster",
      openapi: {
        summary: "See the cluster: nodes, services, action rates, open breakers",
        description: "Read from the nodes themselves at the moment of the call: each node's services, CPU, uptime and memory (nodes that left are listed for 10 minutes), each service's node count, per-action request and error rates and p95 latency from the nodes' metrics, and the circuit breakers that are not closed.",
        responses: { 200: answer("ClusterView", "The cluster now") },
      },
      roles: ["admin"],
      cache: false,
      params: { $$strict: "remove" },
      async handler(this: OpsThis, ctx: ShopContext) {
        const now = Date.now();
        for (const [id, at] of this.departed) if (now - at > DEPARTED_KEPT_MS) this.departed.delete(id);
        const registry = this.registryNodes().filter((node) => node.available || this.departed.has(node.id));
        const up = registry.filter((node) => node.available);
        const [health, metrics] = await Promise.all([
          Promise.all(up.map((node) => this.callNode<NodeHealth>(ctx, "$node.health", {}, node.id))),
          Promise.all(up.map((node) => this.callNode<MetricSnapshot[]>(ctx, "$node.metrics", { includes: METRIC_INCLUDES }, node.id))),
        ]);
        const healthOf = new Map(up.map((node, i) => [node.id, health[i]]));
        const metricsOf = new Map(up.flatMap((node, i) => (metrics[i] ? [[node.id, metrics[i]] as [string, MetricSnapshot[]]] : [])));
        const nodes: NodeView[] = registry
          .map((node) => nodeView(node, healthOf.get(node.id) ?? null, this.departed.get(node.id)))
          .sort((a, b) => Number(b.available) - Number(a.available) || a.nodeID.localeCompare(b.nodeID));
        return {
          at: new Date(now).toISOString(),
          nodes,
          services: serviceCounts(nodes),
          actions: actionStats(metricsOf),
          breakers: openBreakers(metricsOf),
        };
      },
    },

    /** Durable-event groups with their backlog and dead letters; each producer's outbox backlog. */
    events: {
      rest: "GET /admin/events",
      openapi: {
        summary: "See the durable-event backlogs, dead letters and outboxes",
        responses: { 200: answer("EventBacklogs", "Each consuming group's backlog and dead letters, each producer's outbox") },
      },
      roles: ["admin"],
      cache: false,
      params: { $$strict: "remove" },
      async handler(this: OpsThis, ctx: ShopContext) {
        const [consumers, outboxes] = await Promise.all([
          Promise.all(this.actionsEnding("eventBacklog").map((action) => ctx.call<EventBacklog>(action).catch(() => null))),
          Promise.all(this.actionsEnding("outboxBacklog").map((action) => ctx.call<OutboxBacklog>(action).catch(() => null))),
        ]);
        const present = <T>(list: (T | null)[]) => list.filter((item): item is T => item !== null);
        return { consumers: present(consumers), outboxes: present(outboxes) };
      },
    },

    /**
     * The dead letters of every consuming group (or of one), oldest first. Not
     * named `deadLetters`: that is the name of each group's own listing, which
     * this action and the REPL's `deadletters` command gather.
     */
    listDeadLetters: {
      rest: "GET /admin/dead-letters",
      openapi: {
        summary: "List the dead letters of every consuming group, or of one",
        responses: { 200: answer("DeadLetterList", "Dead letters, oldest first") },
        errors: { 404: ["NOT_FOUND"] },
      },
      roles: ["admin"],
      cache: false,
      params: {
        service: { type: "string", min: 1, max: 100, optional: true },
        limit: { type: "number", integer: true, min: 1, max: 1000, default: 100, convert: true },
        $$strict: "remove",
      },
      async handler(this: OpsThis, ctx: ShopContext<{ service?: string; limit: number }>) {
        const listings = this.actionsEnding("deadLetters").filter((action) => !ctx.params.service || action === `${ctx.params.service}.deadLetters`);
        if (ctx.params.service && listings.length === 0) throw notFound(`A running service '${ctx.params.service}' that consumes durable events`, { service: ctx.params.service });
        const lists = await Promise.all(listings.map((action) => ctx.call<unknown[], { limit: number }>(action, { limit: ctx.params.limit })));
        return { rows: lists.flat() };
      },
    },

    /** Hands dead letters back to their group: one (`seq`) or all of it. */
    replayDeadLetters: {
      rest: "POST /admin/dead-letters/replay",
      openapi: {
        summary: "Replay dead letters to their group",
        description: "Hands one dead letter (`seq`) or all of a group's back to that group only; the other groups never see them again.",
        responses: { 200: answer("Replayed", "How many went back") },
        errors: { 404: ["NOT_FOUND"] },
      },
      roles: ["admin"],
      params: {
        service: { type: "string", min: 1, max: 100 },
        seq: { type: "number", integer: true, min: 1, optional: true },
        $$strict: "remove",
      },
      async handler(this: OpsThis, ctx: ShopContext<{ service: string; seq?: number }>) {
        const action = `${ctx.params.service}.deadLettersReplay`;
        if (!this.actionsEnding("deadLettersReplay").includes(action)) throw notFound(`A running service '${ctx.params.service}' that consumes durable events`, { service: ctx.params.service });
        return ctx.call<{ replayed: number }, { seq?: number }>(action, ctx.params.seq === undefined ? {} : { seq: ctx.params.seq });
      },
    },
  },

  methods: {
    registryNodes(this: OpsThis) {
      return this.broker.registry.getNodeList({ onlyAvailable: false, withServices: true }) as unknown as RegistryNode[];
    },

    actionsEnding(this: OpsThis, suffix: string) {
      const list = this.broker.registry.getActionList({ onlyAvailable: true, skipInternal: true, withEndpoints: false }) as unknown as RegistryActionEntry[];
      const own = `${this.name}.`;
      return [...new Set(list.map((entry) => entry.name).filter((name) => name.split(".").pop() === suffix && !name.startsWith(own)))].sort();
    },

    async callNode<T>(this: OpsThis, ctx: ShopContext<unknown>, action: string, params: Record<string, unknown>, nodeID: string) {
      try {
        return await ctx.call<T, Record<string, unknown>>(action, params, { nodeID, timeout: NODE_CALL_TIMEOUT_MS, retries: 0 });
      } catch {
        // A node that left a moment ago, or too busy to answer: shown without it, never an error page.
        return null;
      }
    },
  },
};

export default OpsService;
