/** @type {import("jest").Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  rootDir: ".",
  testMatch: ["**/*.test.ts"],
  transform: {
    // Type checking is `npm run typecheck`'s job; jest only strips types.
    "^.+\\.ts$": ["ts-jest", { isolatedModules: true, diagnostics: false }],
  },
  setupFiles: ["<rootDir>/test/setup-env.ts"],
  testTimeout: 60000,
  // Suites start their own servers and processes: two at a time fits a 2-core machine.
  maxWorkers: 2,
};
