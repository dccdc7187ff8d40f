import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The machine is shared: a few tests move megabytes or spawn a runtime, and must not flake under load.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
