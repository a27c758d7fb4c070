/** Browser tests against a platform of the spec's own (platform-node.ts starts one). */
import { test as base } from "./fixtures";

export interface OwnPlatform {
  /** Base URL of its gateway. */
  url: string;
  stop(): Promise<void>;
}

/**
 * The browser fixtures against a platform of the spec's own, started once per
 * worker: `baseURL`, the page and `shop` all go to it. Its specs run serially
 * (one worker), so it is started once.
 */
export function testOnOwnPlatform<P extends OwnPlatform>(start: () => Promise<P>) {
  // Playwright reads a fixture's dependencies from its first parameter's pattern: an empty one says "none".
  /* eslint-disable no-empty-pattern */
  return base
    .extend<object, { platform: P }>({
      platform: [
        async ({}, use) => {
          const platform = await start();
          try {
            await use(platform);
          } finally {
            await platform.stop();
          }
        },
        { scope: "worker", timeout: 120_000 },
      ],
    })
    .extend({
      baseURL: async ({ platform }, use) => {
        await use(platform.url);
      },
    });
  /* eslint-enable no-empty-pattern */
}
