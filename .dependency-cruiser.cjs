/**
 * The import-cycle check of `pnpm test` (`pnpm check:cycles`): no module of the workspace may reach itself
 * through its imports, type-only imports included, so each layer can be read (and replaced) on its own.
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle: break it by moving the shared piece down a layer (see ARCHITECTURE.md).",
      from: {},
      to: { circular: true },
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
