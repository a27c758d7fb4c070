import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// Built into web/dist, which the gateway serves at / (services/api/storefront.ts).
export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Hashed file names under assets/: the gateway caches them for a year.
    assetsDir: "assets",
    // No inline data: URLs or inline scripts: the page's CSP allows only files of its own origin.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
  },
  server: {
    // `npx vite web` during UI work: the API of a running node (npm run dev).
    proxy: { "/api": "http://localhost:3000" },
  },
});
