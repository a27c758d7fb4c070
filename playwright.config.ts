/**
 * The storefront in a real browser (test/browser/): Debian's chromium (Playwright
 * cannot download its own here) against one live platform node of the build,
 * started by test/browser/global-setup.ts. Part of `npm test`, after jest.
 */
import { defineConfig, devices } from "@playwright/test";

const jsonOutput = process.env.PLAYWRIGHT_JSON_OUTPUT_FILE;

export default defineConfig({
  testDir: "test/browser",
  testMatch: "*.spec.ts",
  // The screenshots of docs/screenshots are taken on request only (npm run screenshots).
  testIgnore: process.env.SCREENSHOTS ? [] : ["**/screenshots.spec.ts"],
  globalSetup: "./test/browser/global-setup.ts",
  // Generous: a shared CI machine may be slow; a test that hangs still fails.
  timeout: 120_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  // Two browsers plus the platform node fill a 2-core machine.
  workers: 2,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  reporter: jsonOutput ? [["list"], ["json", { outputFile: jsonOutput }]] : [["list"]],
  use: {
    ...devices["Desktop Chrome"],
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  outputDir: "test-results/browser",
});
