// `pnpm --filter @signet/local-s3 bench [-- --size-mib 1024]`: PUT and GET of one large object through presigned
// URLs against local-s3 and s3rver, next to a raw Node stream write/read of the same bytes in the same
// directory, plus each server's peak RSS growth. Writes the "## @signet/local-s3" section of BENCHMARKS.md.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { connect } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { AwsClient } from "aws4fetch";
import { BENCH_CREDS } from "./shared.ts";

const MiB = 1024 * 1024;
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    "size-mib": { type: "string", default: "1024" },
    rounds: { type: "string", default: "2" },
    dir: { type: "string" },
  },
});
const sizeMiB = Number(values["size-mib"]);
if (!Number.isInteger(sizeMiB) || sizeMiB < 1)
  throw new Error(`--size-mib must be a positive integer, got ${values["size-mib"]}`);
const SIZE = sizeMiB * MiB;
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1)
  throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);
const CHUNK = randomBytes(MiB);
const root = await mkdtemp(join(values.dir ?? tmpdir(), "local-s3-bench-"));
const aws = new AwsClient({ ...BENCH_CREDS, service: "s3", region: "us-east-1", retries: 0 });

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Writes SIZE bytes (the same 1 MiB chunk repeated) into a writable, honouring backpressure. */
async function pump(write: (chunk: Buffer) => boolean, waitDrain: () => Promise<void>): Promise<void> {
  for (let sent = 0; sent < SIZE; sent += MiB) if (!write(CHUNK)) await waitDrain();
}

async function rawWrite(path: string, fsync: boolean): Promise<number> {
  const start = process.hrtime.bigint();
  const handle = await open(path, "w");
  const stream = createWriteStream("", { fd: handle.fd, autoClose: false, highWaterMark: MiB });
  await pump(
    (c) => stream.write(c),
    () => new Promise((r) => stream.once("drain", r)),
  );
  await new Promise<void>((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  if (fsync) await handle.sync();
  await handle.close();
  return seconds(start);
}

/** MD5 of SIZE bytes with no I/O: S3's ETag has to be computed on every PUT, so this bounds PUT throughput. */
function md5Alone(): number {
  const start = process.hrtime.bigint();
  const hash = createHash("md5");
  for (let done = 0; done < SIZE; done += MiB) hash.update(CHUNK);
  hash.digest();
  return seconds(start);
}

/** Counts a stream's bytes. Plain 'data' events: an async iterator costs a promise per 64 KiB socket read,
 * which at these rates would be a measurable share of the client's time. */
function drain(stream: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    stream.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    stream.once("end", () => resolve(bytes));
    stream.once("error", reject);
  });
}

async function rawRead(path: string): Promise<number> {
  const start = process.hrtime.bigint();
  const bytes = await drain(createReadStream(path, { highWaterMark: MiB }));
  if (bytes !== SIZE) throw new Error(`raw read returned ${bytes} bytes`);
  return seconds(start);
}

async function presign(url: string, method: string): Promise<URL> {
  return new URL((await aws.sign(`${url}?X-Amz-Expires=3600`, { method, aws: { signQuery: true } })).url);
}

async function httpPut(url: URL): Promise<number> {
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const req = request(url, { method: "PUT", headers: { "content-length": String(SIZE) } }, (res) => {
      res.resume();
      res.on("end", () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`PUT answered ${res.statusCode}`)),
      );
    });
    req.on("error", reject);
    pump(
      (c) => req.write(c),
      () => new Promise((r) => req.once("drain", r)),
    ).then(() => req.end(), reject);
  });
  return seconds(start);
}

async function httpGet(url: URL): Promise<number> {
  const start = process.hrtime.bigint();
  const bytes = await new Promise<number>((resolve, reject) => {
    request(url, (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET answered ${res.statusCode}`));
      drain(res).then(resolve, reject);
    })
      .on("error", reject)
      .end();
  });
  if (bytes !== SIZE) throw new Error(`GET returned ${bytes} bytes`);
  return seconds(start);
}

/** Linux /proc memory figures of a process, in bytes. */
async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) =>
    Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/** CPU time (user + system, every thread) a process has used, in seconds; Linux counts it in 1/100 s ticks. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** This process's CPU time in seconds. */
const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

type Kind = "local-s3" | "s3rver" | "node-http" | "tcp";

async function startServer(kind: Kind, dir: string) {
  const child: ChildProcessByStdio<null, Readable, null> = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./server.ts", import.meta.url)), kind, dir],
    { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()));
    child.once("exit", (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  return { child, url };
}

/** Receives SIZE bytes from the "tcp" server: loopback transport from memory, best of ROUNDS, in seconds. */
async function tcpFromMemory(): Promise<number> {
  const { child, url } = await startServer("tcp", root);
  const [host, port] = url.split(":");
  let best = Number.POSITIVE_INFINITY;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const start = process.hrtime.bigint();
      const socket = connect(Number(port), host ?? "127.0.0.1");
      socket.write(`${SIZE}\n`);
      const bytes = await drain(socket);
      if (bytes !== SIZE) throw new Error(`tcp returned ${bytes} bytes`);
      best = Math.min(best, seconds(start));
    }
  } finally {
    child.kill("SIGTERM");
  }
  return best;
}

async function measureServer(kind: Kind) {
  const dir = join(root, kind);
  const { child, url } = await startServer(kind, dir);
  const pid = child.pid ?? 0;
  try {
    if (kind === "local-s3") await aws.fetch(`${url}/bench`, { method: "PUT" });
    // Warm up (JIT, first-request allocations, local-s3's hashing worker thread, started once per process for
    // bodies of 4 MiB and more) with an 8 MiB object, then take the baseline.
    const warm = await aws.fetch(`${url}/bench/warm`, {
      method: "PUT",
      body: Buffer.concat(Array(8).fill(CHUNK)),
    });
    if (warm.status !== 200) throw new Error(`${kind} warm-up PUT answered ${warm.status}`);
    await (await aws.fetch(`${url}/bench/warm`)).arrayBuffer();
    const before = await memory(pid);
    // Reset the peak so start-up allocations do not count as growth.
    await writeFile(`/proc/${pid}/clear_refs`, "5").catch(() => {});
    let put = Number.POSITIVE_INFINITY;
    let get = Number.POSITIVE_INFINITY;
    // Best of a few rounds: the machine is shared, and the best round is the one least disturbed by others.
    // CPU per PUT, server and client together: on a 2-core machine their sum over 2 is a floor on PUT's time.
    let putCpu = Number.POSITIVE_INFINITY;
    for (let round = 0; round < ROUNDS; round++) {
      const url1 = await presign(`${url}/bench/big.bin`, "PUT");
      const [server0, client0] = [await cpuSeconds(pid), ownCpuSeconds()];
      put = Math.min(put, await httpPut(url1));
      putCpu = Math.min(putCpu, (await cpuSeconds(pid)) - server0 + ownCpuSeconds() - client0);
      get = Math.min(get, await httpGet(await presign(`${url}/bench/big.bin`, "GET")));
    }
    const after = await memory(pid);
    return { put, get, putCpu, rssGrowth: Math.max(0, after.peak - before.rss), baseline: before.rss };
  } finally {
    child.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  }
}

const mbps = (s: number) => SIZE / MiB / s;
/** CPU seconds per GiB, as a table cell. */
const perGiB = (seconds: number) => ((seconds * 1024) / sizeMiB).toFixed(2);
const loadBefore = loadavg()[0] ?? 0;
const fmt = (n: number) => n.toFixed(0);

console.log(`bench: ${sizeMiB} MiB in ${root}`);
const rawPath = join(root, "raw.bin");
let rawWriteNoSync = Number.POSITIVE_INFINITY;
let rawWriteSync = Number.POSITIVE_INFINITY;
let rawReadS = Number.POSITIVE_INFINITY;
let md5S = Number.POSITIVE_INFINITY;
for (let round = 0; round < ROUNDS; round++) {
  md5S = Math.min(md5S, md5Alone());
  rawWriteNoSync = Math.min(rawWriteNoSync, await rawWrite(rawPath, false));
  await rm(rawPath);
  rawWriteSync = Math.min(rawWriteSync, await rawWrite(rawPath, true));
  rawReadS = Math.min(rawReadS, await rawRead(rawPath));
  await rm(rawPath);
}
console.log("raw done");
const tcpS = await tcpFromMemory();
const ceiling = await measureServer("node-http");
console.log("node:http ceiling done");
const local = await measureServer("local-s3");
console.log("local-s3 done");
const peer = await measureServer("s3rver");
console.log("s3rver done");
await rm(root, { recursive: true, force: true });

const rows = [
  ["raw Node stream write (no fsync)", mbps(rawWriteNoSync), "", "", ""],
  ["raw Node stream write + fsync", mbps(rawWriteSync), "", "", ""],
  ["raw Node stream read", "", mbps(rawReadS), "", ""],
  ["MD5 of the bytes alone, no I/O (the ETag every PUT must compute)", mbps(md5S), "", perGiB(md5S), ""],
  ["node:net loopback from memory: no HTTP, no disk (what any GET can reach)", "", mbps(tcpS), "", ""],
  [
    "bare node:http server: no hashing (stream to disk + fsync / file pipe)",
    mbps(ceiling.put),
    mbps(ceiling.get),
    perGiB(ceiling.putCpu),
    ceiling.rssGrowth,
  ],
  [
    "@signet/local-s3 (presigned PUT / GET)",
    mbps(local.put),
    mbps(local.get),
    perGiB(local.putCpu),
    local.rssGrowth,
  ],
  ["s3rver 3.7.1 (presigned PUT / GET)", mbps(peer.put), mbps(peer.get), perGiB(peer.putCpu), peer.rssGrowth],
] as const;
/** The fastest any PUT that computes MD5 could go here: its CPU spread perfectly over every core. */
const hashingPutCeiling = (SIZE / MiB / (md5S + ceiling.putCpu)) * cpus().length;
const cell = (v: number | string) => (typeof v === "number" ? fmt(v) : v);
const mib = (v: number | string) => (typeof v === "number" ? `${(v / MiB).toFixed(1)}` : v);
const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)} %`;
const section = `## @signet/local-s3

PUT then GET of one ${sizeMiB} MiB object (a random 1 MiB chunk repeated) through presigned URLs over HTTP on
127.0.0.1 (client: node:http in the bench process), each server in its own Node process, next to a raw Node
stream write/read of the same bytes in the same directory (${values.dir ?? "os.tmpdir()"}). local-s3's PUT streams
to a temp file (flushed to disk every 32 MiB as it arrives) while a worker thread computes the MD5 ETag, then
fsyncs and renames; its GET on Node goes from the file straight to the socket. The raw write is shown with and
without the fsync. Two rows bound what any PUT can do here: MD5 alone (S3's ETag; it cannot be split across
cores) and a bare node:http server that only streams to disk, with no hashing (its GET is a plain file pipe);
node:net sending from memory over loopback bounds any GET.
Reads come from the page cache for every row alike. Best of ${ROUNDS} rounds per row. RSS growth = the server's
peak resident set during the rounds minus its resident set after a warm-up that includes one 8 MiB PUT (Linux
/proc VmHWM after clear_refs). Run: \`pnpm --filter @signet/local-s3 bench -- --size-mib ${sizeMiB} --rounds ${ROUNDS}\`.

- Date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC
- Machine: ${cpus()[0]?.model.trim() ?? "unknown CPU"}, ${cpus().length} cores (shared), ${process.platform} ${process.arch};
  1-minute load average ${loadBefore.toFixed(1)} at the start and ${(loadavg()[0] ?? 0).toFixed(1)} at the end (other work on the
  machine moves these numbers by up to 2× between runs)
- Runtime: Node ${process.version}; object size ${sizeMiB} MiB

| row | PUT MiB/s | GET MiB/s | PUT CPU s/GiB (server + client) | peak RSS growth MiB |
|---|---:|---:|---:|---:|
${rows.map(([name, put, get, cpu, rss]) => `| ${name} | ${cell(put)} | ${cell(get)} | ${cpu} | ${mib(rss)} |`).join("\n")}

| target | result |
|---|---|
| PUT ≥ 50 % of raw disk write | ${pct(mbps(local.put), mbps(rawWriteSync))} of write + fsync, ${pct(mbps(local.put), mbps(rawWriteNoSync))} of write without fsync. Bounds: MD5 alone ${pct(mbps(md5S), mbps(rawWriteSync))}, bare node:http with no hashing ${pct(mbps(ceiling.put), mbps(rawWriteSync))}; local-s3 reaches ${pct(mbps(local.put), Math.min(mbps(md5S), mbps(ceiling.put)))} of the lower bound |
| GET ≥ 70 % of raw disk read | ${pct(mbps(local.get), mbps(rawReadS))}. Bounds: node:net from memory ${pct(mbps(tcpS), mbps(rawReadS))}, the bare node:http file pipe ${pct(mbps(ceiling.get), mbps(rawReadS))}; local-s3 reaches ${pct(mbps(local.get), mbps(ceiling.get))} of the pipe |
| ≥ 2× s3rver | PUT ${(mbps(local.put) / mbps(peer.put)).toFixed(1)}×, GET ${(mbps(local.get) / mbps(peer.get)).toFixed(1)}×. PUT's floor: MD5 plus the bare server's HTTP + disk work is ${perGiB(md5S + ceiling.putCpu)} CPU s/GiB, so on ${cpus().length} cores no hashing PUT passes ${fmt(hashingPutCeiling)} MiB/s (${(hashingPutCeiling / mbps(peer.put)).toFixed(1)}× s3rver); local-s3 reaches ${pct(mbps(local.put), hashingPutCeiling)} of it |
| RSS growth < 64 MiB | ${mib(local.rssGrowth)} MiB |
`;
console.log(section);

const file = fileURLToPath(new URL("../../../BENCHMARKS.md", import.meta.url));
const current = await readFile(file, "utf8").catch(() => "# Benchmarks\n");
const start = current.indexOf("## @signet/local-s3");
let next: string;
if (start < 0) next = `${current.trimEnd()}\n\n${section}`;
else {
  const end = current.indexOf("\n## ", start + 1);
  next = `${current.slice(0, start)}${section}${end < 0 ? "" : current.slice(end)}`;
}
await writeFile(file, next.endsWith("\n") ? next : `${next}\n`);
