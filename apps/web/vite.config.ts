import { fileURLToPath } from "node:url";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

// Where `pnpm dev` finds the API. The API trusts exactly one browser origin (PUBLIC_URL) for its session
// cookie, its CSRF check and the bucket's CORS rule, so for hot-reload development start it with
// PUBLIC_URL=http://localhost:5173 (this dev server's address).
const API = process.env.SIGNET_API_URL ?? "http://127.0.0.1:8787";

export default defineConfig({
  plugins: [vue()],
  server: {
    port: 5173,
    // Same-origin paths in dev as in production, so the session cookie stays first-party.
    proxy: { "/trpc": API, "/api": API },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    // The SPA, and the Uppy example page served at /examples/uppy/ (its own bundle: Uppy never loads in the SPA).
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL("index.html", import.meta.url)),
        uppy: fileURLToPath(new URL("examples/uppy/index.html", import.meta.url)),
      },
    },
  },
  worker: { format: "es" },
});
