// `pnpm start`'s first step: builds the SPA and the server bundle when a source is newer than the build (or there
// is none), else does nothing. Plain JavaScript on Node's built-ins, so a start with everything built costs a
// few dozen stat calls instead of turbo's start-up (~0.7 s here); turbo still does the build, with its cache.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** What the builds read (turbo.json's build inputs, plus the lockfile for dependency changes). */
const INPUTS = [
  "pnpm-lock.yaml",
  "apps/api/src",
  "apps/api/build.ts",
  "apps/api/package.json",
  "apps/web/src",
  "apps/web/examples",
  "apps/web/public",
  "apps/web/index.html",
  "apps/web/vite.config.ts",
  "apps/web/package.json",
  ...readdirSync(join(root, "packages")).flatMap((p) => [`packages/${p}/src`, `packages/${p}/package.json`]),
];
const OUTPUTS = ["apps/api/dist/node.mjs", "apps/web/dist/index.html"];

/** The newest modification time under `path` (0 when it does not exist). */
function newest(path) {
  let info;
  try {
    info = statSync(path);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let max = info.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

function builtAt(path) {
  try {
    return statSync(join(root, path)).mtimeMs;
  } catch {
    return -1;
  }
}

const built = Math.min(...OUTPUTS.map(builtAt));
const changed = Math.max(...INPUTS.map((input) => newest(join(root, input))));
if (built < changed) {
  const turbo = spawnSync(
    join(root, "node_modules/.bin/turbo"),
    ["run", "build", "--filter=@signet/web", "--filter=@signet/api", "--output-logs=errors-only"],
    { cwd: root, stdio: "inherit" },
  );
  if (turbo.status !== 0) process.exit(turbo.status ?? 1);
  // A cache hit can leave the outputs as they were, older than the sources that were only touched: mark them
  // built now so the next start skips turbo.
  const now = new Date();
  for (const output of OUTPUTS) utimesSync(join(root, output), now, now);
}
