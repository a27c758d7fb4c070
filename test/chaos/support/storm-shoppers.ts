/**
 * Many shoppers at once, cheaply, for load scenarios (the oversell storm).
 *
 * users.register costs a scrypt hash per account (~30 ms of a core, by
 * design), so 500 registrations eat a large part of a suite's time on a
 * 2-core machine. Here the accounts are written straight into the users
 * service's collection on the suite's MongoDB, all sharing one real scrypt
 * hash, and their tokens are signed with the JWT_SECRET the suite gives the
 * cluster, exactly as users.register and users.login sign them
 * (services/users/jwt.ts). Nothing on the request path is stubbed: the gateway still
 * resolves every token through the real users service, which verifies it and
 * looks the account up in its own storage.
 */
import { randomBytes } from "node:crypto";
import { hashPassword } from "../../../services/users/password";
import { signToken } from "../../../services/users/jwt";
import { mongoDatabaseName } from "../../../platform/db/db-adapter";

// The 3.x driver (moleculer-db-adapter-mongo's) has no types: the little used here.
interface Collection {
  insertMany(docs: object[], options?: object): Promise<unknown>;
}
interface MongoClient {
  db(name: string): { collection(name: string): Collection };
  close(): Promise<void>;
}
const { MongoClient, ObjectId } = require("mongodb") as {
  MongoClient: { connect(uri: string, opts: object): Promise<MongoClient> };
  ObjectId: new (hex: string) => object;
};

export interface StormShopper {
  userId: string;
  email: string;
  token: string;
}

/** A JWT_SECRET for a suite's cluster (services/users/jwt.ts wants 32 characters at least). */
export function stormJwtSecret(): string {
  return randomBytes(32).toString("hex");
}

/**
 * `count` customer accounts in the users collection of `mongoUri` (the URI
 * the cluster's users node got), each with a token valid for `ttlSec`.
 */
export async function mintShoppers(opts: { mongoUri: string; jwtSecret: string; count: number; ttlSec?: number; password?: string }): Promise<StormShopper[]> {
  const passwordHash = await hashPassword(opts.password ?? "correct horse battery");
  const key = new TextEncoder().encode(opts.jwtSecret);
  const at = new Date().toISOString();
  const run = randomBytes(4).toString("hex");
  const docs = Array.from({ length: opts.count }, (_, i) => {
    const id = randomBytes(12).toString("hex");
    return { id, doc: { _id: new ObjectId(id), email: `storm-${run}-${i}@example.com`, name: `Storm Shopper ${i}`, role: "customer", passwordHash, createdAt: at, updatedAt: at } };
  });
  const client = await MongoClient.connect(opts.mongoUri, { useUnifiedTopology: true });
  try {
    await client.db(mongoDatabaseName(opts.mongoUri, "users")).collection("users").insertMany(docs.map((d) => d.doc), { ordered: false });
  } finally {
    await client.close();
  }
  return Promise.all(docs.map(async ({ id, doc }) => ({ userId: id, email: doc.email, token: await signToken(id, key, opts.ttlSec ?? 3600, 0) })));
}

/** Runs `task` over `items` with at most `limit` at a time; answers the results in order. */
export async function inBatches<T, R>(items: T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await task(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
