/**
 * Core code runs unchanged on Node, Bun, Deno and Cloudflare Workers, so runtime-specific imports are confined to a
 * few named seam files. Adding one anywhere else fails here: move it behind a seam (or name the new seam below, on
 * purpose). What the Worker actually bundles (no node:fs, no local-s3) is checked on the real bundle in
 * entry/worker.test.ts.
 */
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
// The upload engine (packages/client) runs in browsers and workers as well as on Node, Bun and Deno: no seam at all.
const sourceDirs = [
  "apps/api/src",
  "packages/signer/src",
  "packages/db/src",
  "packages/local-s3/src",
  "packages/client/src",
];

/** Things that tie code to one runtime's server or process model (Cloudflare's included). */
const RUNTIME_SPECIFIC =
  /^(node:.*|bun(:.*)?|@hono\/node-server.*|@signet\/local-s3\/node|(Bun|Deno) global|cloudflare:.*|@cloudflare\/.*|miniflare|wrangler)$/;

/**
 * The seams: each file (or folder, ending in `/`) and exactly what it may use. The `node:` modules named outside
 * the entries are ones Node, Bun and Deno all implement.
 */
const SEAMS: Record<string, RegExp> = {
  "apps/api/src/entry/": /.*/,
  // The operator CLI runs on Node only (a tsx bin); it resolves its own path to know it is the entry.
  "apps/api/src/cli.ts": /^node:(fs|url)$/,
  "apps/api/src/start.ts": /^node:(fs\/promises|path|url)$/,
  "apps/api/src/http/static.ts": /^node:(fs\/promises|path|url)$/,
  // The database factory is the one place besides the entries that knows about D1 (its binding's type).
  "packages/db/src/client.ts": /^@cloudflare\/workers-types$/,
  // `signet upload` reads a local file and keeps its resume record on disk: a command-line seam.
  "apps/api/src/cli/upload.ts": /^node:(crypto|fs|fs\/promises|os|path)$/,
  "apps/api/src/cli/resume-files.ts": /^node:(crypto|fs\/promises|path)$/,
  // Backups copy the database file and mark running servers in the data directory: Node, Bun and Deno only (the
  // Worker has D1's Time Travel instead), reached from the CLI and start.ts's timer.
  "apps/api/src/cli/backup.ts": /^node:fs\/promises$/,
  "apps/api/src/backup/": /^node:(crypto|fs|fs\/promises|os|path|process|url)$/,
  // Webhook URLs are checked against the addresses their host resolves to; imported on demand, and where the
  // runtime has no resolver (Workers) the check keeps to the URL itself.
  "apps/api/src/services/webhook-url.ts": /^node:dns\/promises$/,
  "packages/db/src/migrate.ts": /^node:(url|path)$/,
  "packages/db/src/migrate-cli.ts": /^node:(url|path|process)$/,
  "packages/signer/src/crypto.ts": /^node:crypto$/,
  "packages/local-s3/src/store.ts": /^node:(fs|fs\/promises|path|process)$/,
  "packages/local-s3/src/file-io.ts": /^node:(buffer|fs|fs\/promises)$/,
  "packages/local-s3/src/digest.ts": /^node:(buffer|crypto)$/,
  "packages/local-s3/src/body-hash.ts": /^node:worker_threads$/,
  "packages/local-s3/src/node.ts": /^(@hono\/node-server(\/utils\/response)?|node:(http|net))$/,
  "packages/local-s3/src/cli.ts": /^node:(util|process|path|fs\/promises)$/,
};

const isTestCode = (path: string) => path.endsWith(".test.ts") || /\/(testing|fixtures)(\/|\.ts$)/.test(path);

/** Runtime-specific things a source text uses: imported modules and the Bun/Deno globals. */
function runtimeSpecificUses(text: string): string[] {
  const uses = new Set<string>();
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
    if (RUNTIME_SPECIFIC.test(match[1]!)) uses.add(match[1]!);
  }
  for (const match of text.matchAll(/\b(Bun|Deno)\.[a-zA-Z]/g)) uses.add(`${match[1]} global`);
  return [...uses];
}

function allowed(path: string, use: string): boolean {
  const seam = Object.entries(SEAMS).find(([at]) => path === at || (at.endsWith("/") && path.startsWith(at)));
  return seam ? seam[1].test(use) : false;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(ts|vue)$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .filter((path) => !isTestCode(path));
}

describe("runtime seams", () => {
  it("recognises the runtime-specific uses it guards against", () => {
    const sample = `import { serve } from "@hono/node-server";\nimport fs from "node:fs";\nDeno.serve();\n`;
    expect(runtimeSpecificUses(sample).sort()).toEqual(["@hono/node-server", "Deno global", "node:fs"]);
    expect(allowed("packages/signer/src/keys.ts", "node:crypto")).toBe(false);
    expect(allowed("apps/api/src/start.ts", "node:http")).toBe(false);
    expect(allowed("packages/signer/src/crypto.ts", "node:crypto")).toBe(true);
    expect(runtimeSpecificUses(`import { withNodeStreams } from "@signet/local-s3/node";`)).toEqual([
      "@signet/local-s3/node",
    ]);
    expect(runtimeSpecificUses(`import type { D1Database } from "@cloudflare/workers-types";`)).toEqual([
      "@cloudflare/workers-types",
    ]);
    expect(allowed("packages/db/src/client.ts", "@cloudflare/workers-types")).toBe(true);
    expect(allowed("apps/api/src/services/files.ts", "@cloudflare/workers-types")).toBe(false);
    expect(allowed("apps/api/src/entry/worker.ts", "@cloudflare/workers-types")).toBe(true);
  });

  it("keeps every runtime-specific import of the core packages inside a named seam", async () => {
    // Each folder is really read: a renamed one would otherwise pass with nothing checked.
    for (const dir of sourceDirs) expect(await sourceFiles(dir), dir).not.toEqual([]);
    expect(await sourceFiles("packages/client/src")).toContain("packages/client/src/uploader.ts");
    expect(allowed("packages/client/src/uploader.ts", "node:fs")).toBe(false);
    const offenders: string[] = [];
    for (const dir of sourceDirs) {
      for (const path of await sourceFiles(dir)) {
        const text = await readFile(join(root, path), "utf8");
        for (const use of runtimeSpecificUses(text)) {
          if (!allowed(path, use)) offenders.push(`${path}: ${use}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
