import { defineConfig } from "vitest/config";

// Two projects so the fast composable tests never wait on (or fail because of) the browser suite.
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: "unit", include: ["src/**/*.test.ts", "examples/**/*.test.ts"], environment: "node" },
      },
      {
        test: {
          name: "browser",
          include: ["test/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
