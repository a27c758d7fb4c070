/**
 * Last-resort cleanup when the test process exits: kill servers and node
 * processes, remove temp dirs that a failing or careless test left behind.
 * Callbacks must be synchronous because they run in the "exit" event.
 *
 * Why the detour through getBuiltinModule: jest gives each test file its own
 * copy of `process`, and "exit" listeners added to that copy never fire. The
 * real process object is shared by every test file a worker runs, so the
 * registry hangs off it under a global symbol and one listener serves all.
 */
const realProcess = process.getBuiltinModule("node:process");
const REGISTRY = Symbol.for("moleculer-shop.test-support.exit-cleanups");

type Cleanup = () => void;
type Holder = { [REGISTRY]?: Set<Cleanup> };

function registry(): Set<Cleanup> {
  const holder = realProcess as unknown as Holder;
  let cleanups = holder[REGISTRY];
  if (!cleanups) {
    const created = new Set<Cleanup>();
    holder[REGISTRY] = cleanups = created;
    realProcess.on("exit", () => {
      for (const cleanup of created) {
        try {
          cleanup();
        } catch {
          // Exiting anyway: one failed cleanup must not skip the others.
        }
      }
      created.clear();
    });
  }
  return cleanups;
}

/** Registers `cleanup` for process exit; call the returned function once it is no longer needed. */
export function onProcessExit(cleanup: Cleanup): () => void {
  const cleanups = registry();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}
