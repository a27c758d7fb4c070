/**
 * GET /categories: how many listed (not archived) products each category has.
 * On MongoDB the database groups them (a catalog of 100k products is never
 * shipped to the node); NeDB has no grouping, so the node counts what it reads.
 */
import type { DbAdapter } from "../../platform/db/db-adapter";

export interface CategoryCount {
  name: string;
  count: number;
}

const LISTED = { archived: { $ne: true } };

interface Aggregatable {
  collection?: { aggregate(pipeline: object[]): { toArray(): Promise<{ _id: unknown; count: number }[]> } };
}

/** Counts per category, by name; empty or missing categories left out. */
export function tallyCategories(categories: unknown[]): CategoryCount[] {
  const counts = new Map<string, number>();
  for (const name of categories) {
    if (typeof name === "string" && name !== "") counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, count]) => ({ name, count })).sort((a, b) => a.name.localeCompare(b.name));
}

export async function categoryCounts(adapter: DbAdapter): Promise<CategoryCount[]> {
  const collection = (adapter as unknown as Aggregatable).collection;
  if (collection && typeof collection.aggregate === "function") {
    const groups = await collection.aggregate([{ $match: LISTED }, { $group: { _id: "$category", count: { $sum: 1 } } }]).toArray();
    return groups
      .filter((g): g is { _id: string; count: number } => typeof g._id === "string" && g._id !== "")
      .map((g) => ({ name: g._id, count: g.count }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
  const docs = await adapter.find({ query: LISTED });
  return tallyCategories(docs.map((doc) => doc.category));
}
