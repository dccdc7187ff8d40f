import vue from "@vitejs/plugin-vue";
import { defineConfig, type ProxyOptions } from "vite";

// Where `pnpm dev` finds the API, and the PUBLIC_URL that API was started with.
const API = process.env.SIGNET_API_URL ?? "http://127.0.0.1:8787";
const API_PUBLIC_URL = process.env.SIGNET_PUBLIC_URL ?? "http://localhost:8787";

// The API only accepts cookie-authenticated writes whose Origin is its PUBLIC_URL (Better Auth and the tRPC
// CSRF check). Through the dev proxy the browser is on Vite's origin, so the proxy presents the request as
// coming from PUBLIC_URL; cookies are not port-scoped, so the session still works on localhost.
const proxy: ProxyOptions = { target: API, headers: { origin: API_PUBLIC_URL } };

export default defineConfig({
  plugins: [vue()],
  server: {
    // Same-origin paths in dev as in production, so the session cookie stays first-party.
    proxy: { "/trpc": proxy, "/api": proxy },
  },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  worker: { format: "es" },
});
