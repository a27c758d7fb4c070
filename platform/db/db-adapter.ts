/**
 * The two moleculer-db adapters behind one small interface: what services
 * need beyond moleculer-db's CRUD (indexes, an atomic conditional update,
 * duplicate-key detection) written once for NeDB and once for MongoDB.
 */
import path from "node:path";
import MongoAdapter from "moleculer-db-adapter-mongo";

// The driver moleculer-db-adapter-mongo uses (3.x, no bundled types): only its ObjectId is needed here.
interface ObjectIdValue {
  toHexString(): string;
}
const { ObjectId } = require("mongodb") as { ObjectId: new (hex: string) => ObjectIdValue };
import { config as platformConfig, type PlatformConfig } from "../config";
import { NeDbAdapter } from "./nedb-adapter";
import { randomHex } from "../random-hex";

export interface IndexSpec {
  /** Field names in order; NeDB indexes the first only (it has no compound indexes). */
  fields: string[];
  unique?: boolean;
  sparse?: boolean;
}

export type Doc = Record<string, any>;

/** The adapter surface services use: moleculer-db's own methods plus these. */
export interface DbAdapter {
  insert(doc: Doc): Promise<Doc>;
  findOne(query: Doc): Promise<Doc | null>;
  find(params: { query?: Doc; sort?: string[] | Doc; limit?: number; offset?: number }): Promise<Doc[]>;
  count(params?: { query?: Doc }): Promise<number>;
  removeMany(query: Doc): Promise<number>;
  afterRetrieveTransformID(doc: Doc, idField: string): Doc;
  ensureIndexes(specs: IndexSpec[]): Promise<void>;
  updateOneWhere(filter: Doc, update: Doc): Promise<Doc | null>;
  init(broker: unknown, service: unknown): void;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Opaque ids, shaped like a MongoDB ObjectId (24 hex digits): on Mongo they
 * are stored as real ObjectIds (smaller, and what every Mongo tool expects),
 * everywhere else they are plain strings.
 */
export function newId(): string {
  return randomHex(12);
}

export function storageKind(config: Pick<PlatformConfig, "mongoUri"> = platformConfig): "mongo" | "nedb" {
  return config.mongoUri ? "mongo" : "nedb";
}

export function isDuplicateKeyError(err: unknown): boolean {
  const e = err as { code?: number; errorType?: string } | null;
  return e != null && (e.code === 11000 || e.errorType === "uniqueViolated");
}

const OBJECT_ID_HEX = /^[0-9a-f]{24}$/;

/** The ObjectId for an id of ours; any other value stays as it is. */
function objectIdOf(value: unknown): unknown {
  return typeof value === "string" && OBJECT_ID_HEX.test(value) ? new ObjectId(value) : value;
}

/** A filter whose `_id` conditions (plain, $in, $nin, $ne, $eq) name ObjectIds. */
function withObjectIds(filter: Doc | undefined): Doc | undefined {
  if (!filter || !("_id" in filter)) return filter;
  const id = filter._id;
  if (id == null || typeof id !== "object" || id instanceof ObjectId) return { ...filter, _id: objectIdOf(id) };
  const ops: Doc = {};
  for (const [op, operand] of Object.entries(id as Doc)) ops[op] = Array.isArray(operand) ? operand.map(objectIdOf) : objectIdOf(operand);
  return { ...filter, _id: ops };
}

class MongoDbAdapter extends (MongoAdapter as unknown as new (uri: string, opts: object, db: string) => any) {
  constructor(
    uri: string,
    dbName: string,
    private readonly collectionName: string,
  ) {
    super(uri, { useUnifiedTopology: true, useNewUrlParser: true }, dbName);
  }

  init(broker: any, service: any): void {
    this.broker = broker;
    this.service = service;
  }

  async connect(): Promise<void> {
    // The stock adapter takes the collection from the service schema; a service may own several.
    const schema = this.service.schema;
    const own = schema.collection;
    schema.collection = this.collectionName;
    try {
      await super.connect();
    } finally {
      schema.collection = own;
    }
  }

  insert(doc: Doc): Promise<Doc> {
    return super.insert({ ...doc, _id: objectIdOf(doc._id) });
  }

  insertMany(docs: Doc[]): Promise<Doc[]> {
    return super.insertMany(docs.map((doc) => ({ ...doc, _id: objectIdOf(doc._id) })));
  }

  findOne(query: Doc): Promise<Doc | null> {
    return super.findOne(withObjectIds(query));
  }

  find(params: { query?: Doc }): Promise<Doc[]> {
    return super.find({ ...params, query: withObjectIds(params.query) });
  }

  count(params: { query?: Doc } = {}): Promise<number> {
    return super.count({ ...params, query: withObjectIds(params.query) });
  }

  updateMany(query: Doc, update: Doc): Promise<number> {
    return super.updateMany(withObjectIds(query), update);
  }

  removeMany(query: Doc): Promise<number> {
    return super.removeMany(withObjectIds(query));
  }

  afterRetrieveTransformID(doc: Doc, idField: string): Doc {
    const out = super.afterRetrieveTransformID(doc, idField);
    if (out._id instanceof ObjectId) out._id = out._id.toHexString();
    return out;
  }

  async ensureIndexes(specs: IndexSpec[]): Promise<void> {
    for (const spec of specs) {
      const keys = Object.fromEntries(spec.fields.map((f) => [f, 1]));
      await this.collection.createIndex(keys, { unique: spec.unique ?? false, sparse: spec.sparse ?? false });
    }
  }

  async updateOneWhere(filter: Doc, update: Doc): Promise<Doc | null> {
    const res = await this.collection.findOneAndUpdate(withObjectIds(filter), update, { returnDocument: "after" });
    return res.value ?? null;
  }
}

/**
 * Loads documents into an empty collection; answers how many were inserted.
 * Several nodes may seed at once on a shared Mongo: unique keys keep one copy.
 */
export async function seedIfEmpty(adapter: DbAdapter, load: () => Promise<Doc[]> | Doc[]): Promise<number> {
  if ((await adapter.count()) > 0) return 0;
  let inserted = 0;
  for (const doc of await load()) {
    try {
      await adapter.insert({ _id: newId(), ...doc });
      inserted++;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
  return inserted;
}

/** `mongodb://host/shop` and database `users` give the database `shop_users`. */
export function mongoDatabaseName(uri: string, database: string): string {
  // Not `new URL`: a replica-set URI lists several hosts, which URL rejects.
  const afterHosts = uri.replace(/^mongodb(\+srv)?:\/\//, "").split("?")[0];
  const slash = afterHosts.indexOf("/");
  const base = slash >= 0 ? afterHosts.slice(slash + 1) : "";
  return `${base || "shop"}_${database}`;
}

export function createAdapter(
  opts: { collection: string; database: string },
  config: Pick<PlatformConfig, "mongoUri" | "nodeEnv" | "dataDir"> = platformConfig,
): DbAdapter {
  if (config.mongoUri) {
    return new MongoDbAdapter(config.mongoUri, mongoDatabaseName(config.mongoUri, opts.database), opts.collection) as unknown as DbAdapter;
  }
  if (config.nodeEnv === "test") return new NeDbAdapter({}) as unknown as DbAdapter;
  return new NeDbAdapter({ filename: path.join(config.dataDir, `${opts.collection}.db`) }) as unknown as DbAdapter;
}

/**
 * A second collection of a service, beside the one its DbMixin owns
 * (reservations, idempotency keys, operation logs, deliveries): bound to the
 * service, connected and indexed before it is handed out. The service
 * disconnects it when it stops.
 */
export async function openCollection(
  service: { broker: unknown },
  opts: { collection: string; database: string; indexes: IndexSpec[] },
): Promise<DbAdapter> {
  const store = createAdapter({ collection: opts.collection, database: opts.database });
  store.init(service.broker, service);
  await store.connect();
  await store.ensureIndexes(opts.indexes);
  return store;
}
