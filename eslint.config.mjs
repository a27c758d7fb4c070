import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The service boundary: code in services/<name>/ imports its own folder,
// contracts/, platform/ and the broker glue (mixins/, middlewares/, types/);
// it reaches another service by calling that service's actions.
const SERVICES = ["api", "cart", "notifications", "orders", "payments", "products", "shipping", "users"];
const otherServices = (own) => SERVICES.filter((name) => name !== own).join("|");
const serviceBoundary = (own) => ({
  files: [`services/${own}/**/*.ts`],
  rules: {
    "no-restricted-imports": ["error", {
      patterns: [{
        regex: `^(\\.\\./)+(services/)?(${otherServices(own)})(/|$)`,
        message: `A service imports only its own folder, contracts/ and platform/: call the other service's actions, or move what is shared on purpose to contracts/.`,
      }],
    }],
  },
});
// Below the services: what they stand on never reaches up into one of them.
const noServiceImports = {
  files: ["contracts/**/*.ts", "platform/**/*.ts", "mixins/**/*.ts", "middlewares/**/*.ts"],
  rules: {
    "no-restricted-imports": ["error", {
      patterns: [{ regex: "^(\\.\\./)+services(/|$)", message: "contracts/, platform/, mixins/ and middlewares/ serve every service and import none." }],
    }],
  },
};

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "data/", "coverage/", "bench/results/", "scripts/empty-package/", "web/dist/", "test-results/", "clients/typescript/schema.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", require: "readonly", module: "writable", __dirname: "readonly" } },
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-require-imports": "off",
      "no-console": ["error", { allow: ["warn", "error"] }]
    }
  },
  ...SERVICES.map(serviceBoundary),
  noServiceImports,
  // The storefront runs in a browser.
  { files: ["web/**/*.ts"], languageOptions: { globals: { window: "readonly", document: "readonly", location: "readonly", history: "readonly", localStorage: "readonly", sessionStorage: "readonly", crypto: "readonly" } } },
  // Command-line tools talk to their user on stdout.
  { files: ["bench/**/*.ts", "scripts/**/*.ts"], rules: { "no-console": "off" } }
);
