import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vue from "@vitejs/plugin-vue";
import { defineConfig, type Plugin } from "vite";

// Where `pnpm dev` finds the API. The API trusts exactly one browser origin (PUBLIC_URL) for its session
// cookie, its CSRF check and the bucket's CORS rule, so for hot-reload development start it with
// PUBLIC_URL=http://localhost:5173 (this dev server's address).
const API = process.env.SIGNET_API_URL ?? "http://127.0.0.1:8787";

/** Where the API reference page (/api/docs, served by the API) loads Scalar from: this app's own origin. */
const SCALAR_PATH = "docs/scalar.js";

/**
 * Ships Scalar's browser bundle with the SPA, so /api/docs renders without reaching a CDN (offline machines,
 * strict networks, and a CSP that names only this origin). Emitted at build; answered by the dev server too.
 */
function scalarBundle(): Plugin {
  // The package's exports map names no browser bundle; it sits beside the main entry (dist/browser).
  const main = createRequire(import.meta.url).resolve("@scalar/api-reference");
  const path = join(dirname(main), "browser", "standalone.js");
  return {
    name: "signet-scalar-bundle",
    generateBundle() {
      this.emitFile({ type: "asset", fileName: SCALAR_PATH, source: readFileSync(path) });
    },
    configureServer(server) {
      server.middlewares.use(`/${SCALAR_PATH}`, (_request, response) => {
        response.setHeader("content-type", "text/javascript; charset=utf-8");
        response.end(readFileSync(path));
      });
    },
  };
}

export default defineConfig({
  plugins: [vue(), scalarBundle()],
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
