/**
 * The dependency check of `pnpm test` (`pnpm check:deps`): no module of the workspace may reach itself through
 * its imports (type-only imports included), and imports point down the layers of ARCHITECTURE.md's diagram only:
 *
 *   entries (entry/*, cli.ts, cli/*) → start.ts → signet.ts → app.ts, http/* → trpc/* → auth.ts → services/*
 *   → env.ts, redact.ts, deps.ts, mail/*, auth/* → ground.ts → packages
 *
 * (storage/, the doctor and the bucket's CORS rule, is used by start.ts and the CLI only. contract/, each
 * procedure's declaration, sits beside services/: it imports only the input rules.)
 */
const API = "^apps/api/src/";
/** What only the runtime entries, start-up and the assembly may import. */
const ASSEMBLY = `${API}(entry/|cli/|storage/|(cli|start|signet)\\.ts$)`;
const HTTP = `${API}(http/|app\\.ts$)`;
const TRPC = `${API}trpc/`;
/** Tests may reach across layers (a real server, the router's type); the rules are about the code they test. */
const TESTS = "(\\.test\\.ts$|/test/|/testing\\.ts$)";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle: break it by moving the shared piece down a layer (see ARCHITECTURE.md).",
      from: {},
      to: { circular: true },
    },
    {
      name: "packages-not-apps",
      severity: "error",
      comment: "Packages are the bottom layer: they never import an app.",
      from: { path: "^packages/", pathNot: TESTS },
      to: { path: "^apps/" },
    },
    {
      name: "ground-is-leaf",
      severity: "error",
      comment: "ground.ts imports nothing of ours, so every layer may import it without a cycle.",
      from: { path: `${API}ground\\.ts$`, pathNot: TESTS },
      to: { path: "^(apps|packages)/" },
    },
    {
      name: "http-not-up",
      severity: "error",
      comment: "The HTTP shell is built by signet.ts; it never imports the assembly, start-up or an entry.",
      from: { path: HTTP, pathNot: TESTS },
      to: { path: ASSEMBLY },
    },
    {
      name: "trpc-not-http",
      severity: "error",
      comment: "Procedures know nothing of HTTP: the shell (http/, app.ts) mounts them, never the reverse.",
      from: { path: TRPC, pathNot: TESTS },
      to: { path: [HTTP, ASSEMBLY] },
    },
    {
      name: "auth-below-trpc",
      severity: "error",
      comment:
        "auth.ts wires Better Auth with the account rules of services/account-auth.ts and nothing else of the layers above ground.",
      from: { path: `${API}auth\\.ts$`, pathNot: TESTS },
      to: { path: [HTTP, TRPC, ASSEMBLY, `${API}services/(?!account-auth\\.ts$)`] },
    },
    {
      name: "services-not-up",
      severity: "error",
      comment:
        "Services are the rules: they never import the procedures, the HTTP shell, auth.ts or the assembly.",
      from: { path: `${API}services/`, pathNot: TESTS },
      to: { path: [HTTP, TRPC, ASSEMBLY, `${API}auth\\.ts$`] },
    },
    {
      name: "contract-is-declarations",
      severity: "error",
      comment:
        "contract/ declares each procedure (zod schemas, access, REST shape): it imports only the input rules " +
        "(services/validation.ts, auth/*) and ground.ts, so procedures, the HTTP shell and services may all read it.",
      from: { path: `${API}contract/`, pathNot: TESTS },
      to: { path: [HTTP, TRPC, ASSEMBLY, `${API}auth\\.ts$`, `${API}services/(?!validation\\.ts$)`] },
    },
    {
      name: "foundation-not-up",
      severity: "error",
      comment: "Configuration, log scrubbing, mail and the Better Auth plugins sit below the services.",
      from: { path: `${API}((env|redact|deps)\\.ts$|mail/|auth/)`, pathNot: TESTS },
      to: { path: [HTTP, TRPC, ASSEMBLY, `${API}services/`] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|test-artifacts|data)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".vue", ".mjs", ".cjs"],
    },
  },
};
