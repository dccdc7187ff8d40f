// The file manager's reads on a libSQL file: the first page of a folder holding 10,000 files (each sort) and FTS5
// search over 100,000 files, through the tRPC caller (input parsing, authorize step, service, SQL), so the times
// are the server's time per call without HTTP. Rows are inserted straight into the database (the upload path is
// benchmarked elsewhere); the FTS5 triggers index them as any upload would be. Prints the BENCHMARKS.md section.
//   pnpm --filter @signet/api exec tsx bench/file-manager.bench.ts [-- --files 100000 --runs 200]
import os from "node:os";
import { file, folder } from "@signet/db";
import { sql } from "drizzle-orm";
import { uuidv7 } from "../src/services/ids.ts";
import { createHarness } from "../src/testing/harness.ts";
import { benchArgs } from "./args.ts";

const { values: args } = benchArgs({
  options: {
    files: { type: "string", default: "100000" },
    folder: { type: "string", default: "10000" },
    runs: { type: "string", default: "200" },
  },
});
const TOTAL = Number(args.files);
const IN_FOLDER = Number(args.folder);
const RUNS = Number(args.runs);

// A fixed vocabulary so every run indexes the same text: 120 words, 24 tags, 5 extensions.
const WORDS =
  `alpha amber anchor apple arch atlas autumn badge basil beach birch bloom bolt breeze brick bridge
  canyon cedar chalk cliff cloud cobalt comet copper coral crane creek dawn delta dune eagle ember falcon fern field
  flint forest fossil frost garnet glacier granite grove harbor hazel heron hill horizon iris island ivory jade
  jasper juniper kelp lagoon lake lantern laurel lava lemon lily linen lotus maple marble meadow mesa mint moss
  nectar oak oasis ocean olive onyx opal orchid palm pearl pebble pine plum prairie quartz rain raven reef ridge
  river robin sage sand sapphire shore sierra slate spruce stone storm summit tide timber topaz tulip valley
  willow`.split(/\s+/);
const TAGS = Array.from({ length: 24 }, (_, i) => `tag${i}`);
const EXTENSIONS = [
  ["jpg", "image/jpeg"],
  ["png", "image/png"],
  ["pdf", "application/pdf"],
  ["txt", "text/plain"],
  ["mp4", "video/mp4"],
] as const;

/** Deterministic pseudo-random numbers (mulberry32), so runs index the same rows. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function time(
  runs: number,
  call: (i: number) => Promise<unknown>,
): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 10; i++) await call(i);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await call(i);
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
}

await using h = await createHarness({ rateLimitPerMinute: 1e9 });
const user = await h.signUp();
const api = h.caller(user);
const pick = random(28);
const at = h.now().getTime();

// 100 folders two levels deep; the first holds IN_FOLDER files, the rest share what is left with the top level.
const folders: { id: string; path: string }[] = [];
for (let i = 0; i < 100; i++) {
  const parent = i < 10 ? null : folders[i % 10]!;
  const name = `${WORDS[i % WORDS.length]} ${i}`;
  const row = { id: uuidv7(new Date(at)), path: parent ? `${parent.path}/${name}` : name };
  await h.db
    .insert(folder)
    .values({ ...row, ownerId: user.id, parentId: parent?.id ?? null, name, createdAt: new Date(at) });
  folders.push(row);
}
const big = folders[0]!;

const started = performance.now();
const BATCH = 500;
for (let start = 0; start < TOTAL; start += BATCH) {
  const rows = [];
  for (let i = start; i < Math.min(TOTAL, start + BATCH); i++) {
    const [ext, type] = EXTENSIONS[Math.floor(pick() * EXTENSIONS.length)]!;
    const word = () => WORDS[Math.floor(pick() * WORDS.length)]!;
    const id = uuidv7(new Date(at - TOTAL + i));
    const inBig = i < IN_FOLDER;
    rows.push({
      id,
      ownerId: user.id,
      key: `u/${user.id}/${id}.${ext}`,
      originalFilename: `${word()} ${word()} ${i}.${ext}`,
      contentType: type,
      size: 1 + Math.floor(pick() * 10_000_000),
      status: "ready" as const,
      createdAt: new Date(at - TOTAL + i),
      uploadExpiresAt: new Date(at),
      completedAt: new Date(at),
      folderId: inBig ? big.id : pick() < 0.2 ? null : folders[1 + Math.floor(pick() * 99)]!.id,
      description: pick() < 0.3 ? `${word()} ${word()} ${word()} ${word()}` : "",
      tags: Array.from({ length: Math.floor(pick() * 4) }, () => TAGS[Math.floor(pick() * TAGS.length)]!),
    });
  }
  await h.db.insert(file).values(rows);
}
const seeded = performance.now() - started;
await h.db.run(sql`analyze`);

const results: [string, { p50: number; p95: number }][] = [];
for (const sort of ["date", "name", "size", "type"] as const) {
  results.push([
    `first page (50) of a folder of ${IN_FOLDER.toLocaleString("en")} files, sort ${sort}`,
    await time(RUNS, () => api.files.list({ folderId: big.id, sort, limit: 50 })),
  ]);
}
results.push([
  `second page (keyset) of the same folder, sort name`,
  await time(RUNS, async () => {
    const first = await api.files.list({ folderId: big.id, sort: "name", limit: 50 });
    return api.files.list({ folderId: big.id, sort: "name", limit: 50, cursor: first.nextCursor! });
  }),
]);
const queries = (i: number) => {
  const w = WORDS[(i * 7) % WORDS.length]!;
  const v = WORDS[(i * 13 + 5) % WORDS.length]!;
  return [
    w,
    `${w.slice(0, 3)}`,
    `${w} ${v}`,
    TAGS[i % TAGS.length]!,
    `${folders[i % 100]!.path.split("/")[0]}`,
  ][i % 5]!;
};
results.push([
  `search over ${TOTAL.toLocaleString("en")} files (word, 3-letter prefix, two words, tag, folder name; 50 per page)`,
  await time(RUNS, (i) => api.files.search({ query: queries(i), limit: 50 })),
]);
results.push([
  `search over ${TOTAL.toLocaleString("en")} files, its commonest word ("jpg", a fifth of all files)`,
  await time(RUNS, () => api.files.search({ query: "jpg", limit: 50 })),
]);

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
console.log(`## File manager (@signet/api, libSQL file)

Server time per call through the tRPC caller (input parsing, authorize step, service, SQL; no HTTP) on a libSQL
file database (WAL), one user holding ${TOTAL.toLocaleString("en")} files in 100 folders (one folder holding ${IN_FOLDER.toLocaleString("en")}),
names, tags and descriptions from a fixed vocabulary, indexed by the FTS5 triggers (seeding took
${(seeded / 1000).toFixed(1)} s). ${RUNS} calls per row after 10 warm-up calls. Run:
\`pnpm --filter @signet/api exec tsx bench/file-manager.bench.ts\`.

- Date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC
- Machine: ${cpu}, ${os.cpus().length} cores (shared), ${os.platform()} ${os.arch()}, Node ${process.version}

| call | p50 ms | p95 ms |
|---|---:|---:|
${results.map(([name, r]) => `| ${name} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} |`).join("\n")}
`);
