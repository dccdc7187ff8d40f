import { defineConfig } from "vitest/config";

// The upload tests talk to a real API process, started once per file; give its start-up room on a busy machine.
export default defineConfig({
  test: { include: ["src/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 90_000 },
});
