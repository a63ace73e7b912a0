import { readFileSync } from "node:fs";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The Label Studio editor's version names the folder its bundle is copied to (scripts/copy-lsf.mjs).
const lsfVersion: string = JSON.parse(readFileSync("node_modules/@heartexlabs/label-studio/package.json", "utf8")).version;

// The app is served by the Tessera binary from web/dist; `npm run dev` proxies the API to a
// Tessera running on port 8080.
export default defineConfig({
  plugins: [react()],
  define: { __LSF_VERSION__: JSON.stringify(lsfVersion) },
  build: { outDir: "dist", assetsDir: "assets", sourcemap: false },
  server: {
    proxy: Object.fromEntries(["/api", "/user", "/logout", "/data", "/health"].map((p) => [p, "http://127.0.0.1:8080"])),
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
