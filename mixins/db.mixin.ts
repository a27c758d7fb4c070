/**
 * A moleculer-db service for one collection, on MongoDB when MONGO_URI is set
 * and on NeDB otherwise (a file under DATA_DIR; memory when NODE_ENV=test).
 *
 * Also: string ids on both adapters, indexes created at start, seeding of an
 * empty collection, an atomic conditional update that works on both, duplicate
 * keys as 409, cache cleaning on every node that caches the service, and a loud warning when a
 * NeDB-backed service runs twice.
 *
 * moleculer-db's generated actions exist only where a service asks for them:
 * moleculer merges a mixin's action into a same-named one field by field, so
 * a service's own `list` would otherwise inherit moleculer-db's params, cache
 * keys and REST alias.
 */
import { Service, type Context, type ServiceSchema } from "moleculer";
import type { ShopSettings } from "../types/moleculer";
import { Errors } from "moleculer";
import DbService from "moleculer-db";
import { config } from "../platform/config";
import { createAdapter, isDuplicateKeyError, newId, seedIfEmpty, storageKind, type DbAdapter, type IndexSpec } from "../platform/db/db-adapter";
import { splitStorageNodes } from "../platform/split-storage";

export type GeneratedAction = "find" | "count" | "list" | "create" | "insert" | "get" | "update" | "remove";
const GENERATED_ACTIONS: GeneratedAction[] = ["find", "count", "list", "create", "insert", "get", "update", "remove"];

export interface DbMixinOptions {
  collection: string;
  /** Database (Mongo) that owns the collection; one per service. Defaults to the collection. */
  database?: string;
  indexes?: IndexSpec[];
  /** Documents loaded into an empty collection at start unless SEED=false. */
  seed?: () => Promise<Record<string, unknown>[]> | Record<string, unknown>[];
  /** Generated actions kept for calls inside the cluster (no REST alias). */
  actions?: GeneratedAction[];
  /** Generated actions kept with their REST alias. Their `query` param is never taken from a client. */
  rest?: GeneratedAction[];
}

export interface DbMethods {
  adapter: DbAdapter;
  /** Inserts a document; a duplicate unique key is a 409 CONFLICT naming `field`. */
  insertEntity(doc: Record<string, unknown>, conflictField?: string): Promise<Record<string, any>>;
  /**
   * Atomically updates the one document matching `filter`; null when none
   * matched. Cleans the service's whole cache, unless `cleans: false` (the
   * caller cleans what the change touched itself).
   */
  updateWhere(filter: Record<string, unknown>, update: Record<string, unknown>, opts?: { cleans?: boolean }): Promise<Record<string, any> | null>;
  /** Raw document (with `id`) or null. */
  findEntityById(id: string): Promise<Record<string, any> | null>;
  clearCache(): Promise<void>;
  reportSplitStorage(): void;
}

/** Whether some action of the service is cached: only then can a cacher hold anything of it. */
function cachesSomething(schema: ServiceSchema): boolean {
  return Object.values(schema.actions ?? {}).some((action) => typeof action === "object" && action !== null && Boolean((action as { cache?: unknown }).cache));
}
const caching = new WeakMap<object, boolean>();

export function DbMixin(opts: DbMixinOptions): Partial<ServiceSchema> {
  const routed = new Set(opts.rest ?? []);
  const internal = new Set(opts.actions ?? []);
  const actions: Record<string, unknown> = {};
  for (const name of GENERATED_ACTIONS) {
    if (routed.has(name)) actions[name] = { hooks: { before: [(ctx: Context<Record<string, unknown>>) => void delete ctx.params.query] } };
    else if (internal.has(name)) actions[name] = { rest: null };
    else actions[name] = false;
  }

  const schema: Partial<ServiceSchema<ShopSettings, DbMethods>> = {
    mixins: [DbService as unknown as Partial<ServiceSchema>],
    // A fresh adapter per service instance: a schema object may be loaded by several brokers.
    merged(schema: ServiceSchema) {
      schema.adapter = createAdapter({ collection: opts.collection, database: opts.database ?? opts.collection });
      // clearCache broadcasts this on changes; a node with a memory cacher cleans its own copy. Only a
      // service with cached actions listens (to its own): a node of any other gets no message per write.
      if (cachesSomething(schema)) {
        const fullName = Service.getVersionedFullName(schema.name, schema.version);
        schema.events = {
          ...schema.events,
          [`cache.clean.${fullName}`](this: Service, ctx: Context) {
            if (ctx.nodeID !== this.broker.nodeID && this.broker.cacher) return this.broker.cacher.clean(`${this.fullName}.**`);
          },
        };
      }
    },
    collection: opts.collection,
    metadata: { storage: storageKind() },
    settings: { idField: "id", maxPageSize: 100, pageSize: 20 },
    actions: actions as ServiceSchema["actions"],

    events: {
      "$services.changed"() {
        this.reportSplitStorage();
      },
    },

    methods: {
      async insertEntity(doc: Record<string, unknown>, conflictField?: string) {
        try {
          const inserted = await this.adapter.insert({ _id: newId(), ...doc });
          await this.clearCache();
          return this.adapter.afterRetrieveTransformID(inserted, "id");
        } catch (err) {
          if (isDuplicateKeyError(err)) {
            const field = conflictField ?? "id";
            throw new Errors.MoleculerClientError(`${field} already exists`, 409, "CONFLICT", { field });
          }
          throw err;
        }
      },

      async updateWhere(filter: Record<string, unknown>, update: Record<string, unknown>, opts: { cleans?: boolean } = {}) {
        const updated = await this.adapter.updateOneWhere(filter, update);
        if (updated && opts.cleans !== false) await this.clearCache();
        return updated ? this.adapter.afterRetrieveTransformID(updated, "id") : null;
      },

      // moleculer-db's, for services with cached actions only: no cacher holds anything of any other
      // service, so a broadcast to every node (and a scan of Redis's keys) per write would clean nothing.
      clearCache() {
        let cached = caching.get(this);
        if (cached === undefined) caching.set(this, (cached = cachesSomething(this.schema)));
        if (!cached) return Promise.resolve();
        this.broker.broadcast(`cache.clean.${this.fullName}`);
        return this.broker.cacher ? this.broker.cacher.clean(`${this.fullName}.**`) : Promise.resolve();
      },

      async findEntityById(id: string) {
        const doc = await this.adapter.findOne({ _id: id });
        return doc ? this.adapter.afterRetrieveTransformID(doc, "id") : null;
      },

      reportSplitStorage() {
        const nodes = splitStorageNodes(this.broker.registry.getServiceList({ onlyAvailable: true, withActions: false }), this.name);
        if (nodes.length > 1) {
          this.logger.error(
            `Service '${this.name}' runs on ${nodes.length} nodes (${nodes.join(", ")}) with NeDB files: each node has its own data. ` +
              "Run one node of it, or set MONGO_URI to share a database.",
          );
        }
      },
    },

    async started() {
      await this.adapter.ensureIndexes(opts.indexes ?? []);
      const seed = opts.seed;
      if (seed && config.seed) {
        const inserted = await seedIfEmpty(this.adapter, () => seed.call(this));
        if (inserted > 0) {
          this.logger.info(`Seeded ${inserted} documents into '${opts.collection}'.`);
          await this.clearCache();
        }
      }
    },
  };
  return schema as unknown as Partial<ServiceSchema>;
}
