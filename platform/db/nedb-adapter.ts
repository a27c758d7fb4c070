/**
 * The embedded store: moleculer-db's NeDB memory adapter (file-backed), with
 * what the platform needs beyond it (indexes, an atomic conditional update)
 * and three fixes for what it costs under load:
 *
 *   - every call goes to NeDB's own promise API. The stock adapter wraps
 *     NeDB's callback API in `util.promisify`, and NeDB builds that callback
 *     API by `callbackify`-ing its promises: two conversions, a nextTick and
 *     (for `update`) a DEP0174 warning per call. Its `count` also copied
 *     every matching document to take the length of the list;
 *   - the datafile stays open (platform/db/nedb-open-datafile.ts);
 *   - an update leaves an index's tree alone when the indexed value did not
 *     change (platform/db/nedb-index-update.ts).
 */
import { MemoryAdapter } from "moleculer-db";
import type { Doc, IndexSpec } from "./db-adapter";
import { keepDatafileOpen, type OpenDatafile } from "./nedb-open-datafile";
import { dropTornTail } from "./nedb-torn-tail";
import { updateInPlaceWhenKeyKept } from "./nedb-index-update";

interface Cursor extends PromiseLike<Doc[]> {
  execAsync(): Promise<Doc[]>;
}

interface Datastore {
  persistence: Parameters<typeof keepDatafileOpen>[0]["persistence"];
  indexes: Record<string, object>;
  ensureIndex(options: { fieldName: string; unique: boolean; sparse: boolean }): Promise<void>;
  insertAsync(doc: Doc | Doc[]): Promise<Doc & Doc[]>;
  findOneAsync(query: Doc): PromiseLike<Doc | null>;
  findAsync(query: Doc): Cursor;
  countAsync(query: Doc): PromiseLike<number>;
  updateAsync(query: Doc, update: Doc, options: { multi?: boolean; returnUpdatedDocs?: boolean }): Promise<{ numAffected: number; affectedDocuments: Doc | Doc[] | null }>;
  removeAsync(query: Doc, options: { multi?: boolean }): Promise<number>;
}

interface FindParams {
  query?: Doc;
  search?: string;
  sort?: string[];
  limit?: number;
  offset?: number;
}

export class NeDbAdapter extends (MemoryAdapter as unknown as new (opts: object) => any) {
  declare db: Datastore;
  declare createCursor: (params: FindParams) => Cursor;
  private datafile?: OpenDatafile;

  async connect(): Promise<void> {
    // A write cut short by a crash would make NeDB refuse the whole file (platform/db/nedb-torn-tail.ts).
    const filename = (this.opts as { filename?: string }).filename;
    if (filename) dropTornTail(filename);
    await super.connect();
    // One open append handle instead of open/append/close per write (platform/db/nedb-open-datafile.ts).
    this.datafile = keepDatafileOpen(this.db);
    this.keepKeysInPlace();
  }

  async disconnect(): Promise<void> {
    await this.datafile?.close();
    this.datafile = undefined;
    await super.disconnect();
  }

  async ensureIndexes(specs: IndexSpec[]): Promise<void> {
    for (const spec of specs) {
      await this.db.ensureIndex({ fieldName: spec.fields[0], unique: spec.unique ?? false, sparse: spec.sparse ?? false });
    }
    this.keepKeysInPlace();
  }

  // One NeDB datastore serves one process, and its update runs to the end
  // before the next starts: the filter check and the write are one step.
  async updateOneWhere(filter: Doc, update: Doc): Promise<Doc | null> {
    const { numAffected, affectedDocuments } = await this.db.updateAsync(byIdLast(filter), update, { multi: false, returnUpdatedDocs: true });
    return numAffected > 0 ? (affectedDocuments as Doc) : null;
  }

  find(params: FindParams = {}): Promise<Doc[]> {
    return this.createCursor(params.query ? { ...params, query: byIdLast(params.query) } : params).execAsync();
  }

  async findOne(query: Doc): Promise<Doc | null> {
    return this.db.findOneAsync(byIdLast(query));
  }

  async findById(_id: unknown): Promise<Doc | null> {
    return this.db.findOneAsync({ _id });
  }

  findByIds(ids: unknown[]): Promise<Doc[]> {
    return this.db.findAsync({ _id: { $in: ids } }).execAsync();
  }

  async count(params: FindParams = {}): Promise<number> {
    // A text search is a $where over each document: the stock cursor does it.
    if (params.search) return (await this.createCursor(params).execAsync()).length;
    return this.db.countAsync(params.query ? byIdLast(params.query) : {});
  }

  insert(doc: Doc): Promise<Doc> {
    return this.db.insertAsync(doc);
  }

  insertMany(docs: Doc[]): Promise<Doc[]> {
    return this.db.insertAsync(docs);
  }

  async updateMany(query: Doc, update: Doc): Promise<number> {
    return (await this.db.updateAsync(byIdLast(query), update, { multi: true })).numAffected;
  }

  async updateById(_id: unknown, update: Doc): Promise<Doc | null> {
    const { numAffected, affectedDocuments } = await this.db.updateAsync({ _id }, update, { returnUpdatedDocs: true });
    return numAffected > 0 ? (affectedDocuments as Doc) : null;
  }

  removeMany(query: Doc): Promise<number> {
    return this.db.removeAsync(byIdLast(query), { multi: true });
  }

  removeById(_id: unknown): Promise<number> {
    return this.db.removeAsync({ _id }, {});
  }

  clear(): Promise<number> {
    return this.db.removeAsync({}, { multi: true });
  }

  private keepKeysInPlace(): void {
    for (const index of Object.values(this.db.indexes)) updateInPlaceWhenKeyKept(index);
  }
}

/**
 * NeDB looks a query's candidates up in the index of its LAST plain-valued
 * indexed field (Datastore._getRawCandidates) and matches the rest against
 * each: `{ _id, status: "paid" }` scanned every paid order, so updates slowed
 * down as orders piled up. With `_id` last, the candidates are one document.
 */
function byIdLast(query: Doc): Doc {
  const id: unknown = query._id;
  const plain = typeof id === "string" || typeof id === "number";
  if (!plain) return query;
  const keys = Object.keys(query);
  if (keys[keys.length - 1] === "_id") return query;
  const { _id, ...rest } = query;
  return { ...rest, _id };
}
