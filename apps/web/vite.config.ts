import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

const API = "http://127.0.0.1:8787";

export default defineConfig({
  plugins: [vue()],
  server: {
    // Same-origin paths in dev as in production, so the session cookie stays first-party.
    proxy: { "/trpc": API, "/api": API },
  },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  worker: { format: "es" },
});
