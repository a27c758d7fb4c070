/**
 * NeDB updates every index of a collection on every update by deleting the
 * old document from the index's AVL tree and inserting the new one, also
 * when the indexed value did not change: for the `_id` index (and every
 * unique one) that removes a tree node and adds it back, rebalancing twice.
 * Under checkout load that was about 12% of the checkout node.
 *
 * Where the indexed value is the same plain value before and after, the new
 * document takes the old one's place in the same bucket of the tree (the
 * bucket is the array `tree.search` answers, NeDB matches documents in it by
 * identity). Where it changed, NeDB's own update runs. A failed update (a
 * unique constraint) is rolled back in both parts before the error goes on,
 * as NeDB's own does.
 */
type Doc = Record<string, unknown>;

interface Pair {
  oldDoc: Doc;
  newDoc: Doc;
}

interface NeDbIndex {
  fieldName: string;
  sparse: boolean;
  tree: { search(key: unknown): Doc[] };
  update(oldDoc: Doc | Pair[], newDoc?: Doc): void;
  updateMultipleDocs(pairs: Pair[]): void;
}

const PATCHED = Symbol("updateInPlaceWhenKeyKept");

// The index's own key function: what NeDB indexes a document under is what is compared here.
const { getDotValue } = require("@seald-io/nedb/lib/model") as { getDotValue(doc: Doc, field: string): unknown };

/** A key the tree holds as one value (arrays, objects and dates take NeDB's path). */
const isPlain = (key: unknown) => key === undefined || key === null || typeof key === "string" || typeof key === "number" || typeof key === "boolean";

/** True when `pair` moved within its bucket; false when NeDB has to move it. */
function replaceInBucket(index: NeDbIndex, pair: Pair): boolean {
  const key = getDotValue(pair.oldDoc, index.fieldName);
  if (!isPlain(key) || getDotValue(pair.newDoc, index.fieldName) !== key) return false;
  // A sparse index holds no document without the field.
  if (key === undefined && index.sparse) return true;
  const bucket = index.tree.search(key);
  const at = bucket.indexOf(pair.oldDoc);
  if (at < 0) return false;
  bucket[at] = pair.newDoc;
  return true;
}

function putBack(index: NeDbIndex, moved: Pair[]): void {
  for (const pair of moved) replaceInBucket(index, { oldDoc: pair.newDoc, newDoc: pair.oldDoc });
}

/** Makes `index` (a NeDB Index) keep unchanged keys in place on update; a second call does nothing. */
export function updateInPlaceWhenKeyKept(target: object): void {
  const index = target as NeDbIndex & { [PATCHED]?: true };
  if (index[PATCHED]) return;
  const nedbUpdateMany = index.updateMultipleDocs.bind(index);

  const updateMany = (pairs: Pair[]): void => {
    const moved: Pair[] = [];
    const rest: Pair[] = [];
    for (const pair of pairs) (replaceInBucket(index, pair) ? moved : rest).push(pair);
    if (rest.length === 0) return;
    try {
      nedbUpdateMany(rest);
    } catch (err) {
      putBack(index, moved);
      throw err;
    }
  };

  index.updateMultipleDocs = updateMany;
  index.update = (oldDoc: Doc | Pair[], newDoc?: Doc) => updateMany(Array.isArray(oldDoc) ? oldDoc : [{ oldDoc, newDoc: newDoc as Doc }]);
  index[PATCHED] = true;
}
