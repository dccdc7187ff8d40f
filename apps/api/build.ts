// `pnpm build` for the API: the Node entry and everything it imports from the workspace and npm, bundled into
// dist/node.mjs (plus chunks for what it imports lazily), which plain `node` runs: production starts without tsx
// compiling TypeScript on the fly and without its launcher process. Bun and Deno run their TypeScript entries.
import { readFile, rm } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const apiDir = dirname(fileURLToPath(import.meta.url));
const rootDir = resolve(apiDir, "../..");
const escaped = rootDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Workspace modules find files beside their source through `import.meta.url` (the drizzle migrations, the built
 * SPA). In the bundle that URL is the bundle's, so each such module gets its own URL back, written relative to
 * the output directory: the repository can still be moved as a whole.
 */
function sourceUrls(outdir: string): Plugin {
  const workspace = new RegExp(`^${escaped}/(apps|packages)/[^/]+/src/`);
  return {
    name: "source-import-meta-url",
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
        if (!workspace.test(path)) return undefined;
        const source = await readFile(path, "utf8");
        if (!source.includes("import.meta.url")) return undefined;
        const fromBundle = JSON.stringify(relative(outdir, path));
        return {
          contents: source.replaceAll("import.meta.url", `new URL(${fromBundle}, import.meta.url).href`),
          loader: "ts",
        };
      });
    },
  };
}

/** Bundles the Node server into `outdir` (replacing what was there); its entry is `outdir/node.mjs`. */
export async function buildServer(outdir = resolve(apiDir, "dist")): Promise<string> {
  await rm(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { node: resolve(apiDir, "src/entry/node.ts") },
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    // What the server imports lazily (nodemailer, database dialects it never opens) stays out of the idle
    // process: each becomes a chunk loaded on first use.
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Less source for V8 to keep at idle (BENCHMARKS.md, "Start-up"); names stay for stack traces.
    minify: true,
    keepNames: true,
    // libsql loads its native addon for the platform at run time: it is resolved from apps/api/node_modules
    // (a direct dependency at @signet/db's range, so the one copy whose statements @signet/db caches).
    external: ["libsql"],
    // CommonJS dependencies bundled into ESM still call require() for Node's built-in modules.
    banner: {
      js: 'import { createRequire as __signetRequire } from "node:module"; const require = __signetRequire(import.meta.url);',
    },
    plugins: [sourceUrls(outdir)],
    sourcemap: "linked",
    legalComments: "none",
    logLevel: "warning",
  });
  return resolve(outdir, "node.mjs");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildServer();
