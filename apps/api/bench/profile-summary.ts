// Groups a V8 .cpuprofile's self time by package (or node: module), the view BENCHMARKS.md reports.
//   pnpm --filter @signet/api exec tsx bench/profile-summary.ts DIR/*.cpuprofile [--top 25]
import { readFile } from "node:fs/promises";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** "libsql", "drizzle-orm", "node:internal/…", "(garbage collector)", "apps/api/src/app.ts" … */
function groupOf(url: string, name: string): string {
  if (!url) return `(${name || "native"})`;
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pnpm) return pnpm[1]!;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith("node:")) return url.replace(/^node:internal\/(deps\/)?([^/]+).*/, "node:$2");
  const repo = /\/(apps|packages)\/(.+)$/.exec(url);
  return repo ? `${repo[1]}/${repo[2]}` : url;
}

const files = process.argv.slice(2).filter((a) => a.endsWith(".cpuprofile"));
const topIndex = process.argv.indexOf("--top");
const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 25;
for (const path of files) {
  const profile = JSON.parse(await readFile(path, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    total += ms;
    const group = groupOf(node.callFrame.url, node.callFrame.functionName);
    groups.set(group, (groups.get(group) ?? 0) + ms);
    const fn = `${group} ${node.callFrame.functionName || "(anonymous)"}:${node.callFrame.lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
  });
  const idle = groups.get("(idle)") ?? 0;
  console.log(`${path}: ${total.toFixed(0)} ms sampled, ${idle.toFixed(0)} ms idle`);
  for (const [name, ms] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${ms.toFixed(0).padStart(8)} ms  ${name}`);
  }
  console.log("top functions:");
  for (const [name, ms] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${ms.toFixed(0).padStart(8)} ms  ${name}`);
  }
}
