import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The app is served by the Tessera binary from web/dist; `npm run dev` proxies the API to a
// Tessera running on port 8080.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", assetsDir: "assets", sourcemap: false },
  server: {
    proxy: Object.fromEntries(["/api", "/user", "/logout", "/data", "/health"].map((p) => [p, "http://127.0.0.1:8080"])),
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
