// The issuance path under load: the seed tutorials' server (bench/seed-server.ts) and Signet started the way
// `pnpm start` starts it (and its Bun and Deno entries), each driven by autocannon at 64 connections for the same
// rows, in one run. Writes the "## @signet/api" section of BENCHMARKS.md at the repo root.
//   pnpm --filter @signet/api bench [-- --duration 10 --runtimes node,bun,deno]
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { buildServer } from "../build.ts";
import { MAX_BATCH_SIZE } from "../src/trpc/init.ts";
import { benchArgs } from "./args.ts";

const apiDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const rootDir = resolve(apiDir, "../..");
const rootModules = join(rootDir, "node_modules");

const { values: args } = benchArgs({
  options: {
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    connections: { type: "string", default: "64" },
    runtimes: { type: "string", default: "node,bun,deno" },
    /** Signet rows to run (comma-separated: health, createUpload, restUpload, downloadUrl); default all. */
    rows: { type: "string", default: "health,createUpload,restUpload,downloadUrl" },
    rounds: { type: "string", default: "3" },
    "dry-run": { type: "boolean", default: false },
    /** Profile Signet on Node with --cpu-prof into this directory (rows: createUpload only; nothing written). */
    profile: { type: "string" },
    /** With --profile: the one row to drive (health, createUpload, restUpload, downloadUrl). */
    "profile-row": { type: "string", default: "createUpload" },
    /**
     * Issuance on Node with metrics and tracing on (a scrape every 5 s, spans to a local OTLP sink) against both
     * off, in one run; writes BENCHMARKS.md's "## Observability overhead" section instead of the one above.
     */
    observability: { type: "boolean", default: false },
    /** Issuance without and with one webhook endpoint; writes "## Webhook endpoint overhead" instead. */
    webhooks: { type: "boolean", default: false },
  },
});
const DURATION = Number(args.duration);
const WARMUP = Number(args.warmup);
const CONNECTIONS = Number(args.connections);
const ROUNDS = Number(args.rounds);
/** The abuse row sends the largest tRPC batch the API accepts. */
const MAX_BATCH = MAX_BATCH_SIZE;

/** Environment for every Signet instance: limits that never interfere with the load (one user, many issuances). */
const SIGNET_ENV = {
  PORT: "0",
  LOCAL_S3_PORT: "0",
  RATE_LIMIT_PER_MINUTE: "1000000000",
  USER_QUOTA_BYTES: String(2 ** 50),
  NO_COLOR: "1",
};

interface Server {
  url: string;
  child: ChildProcess;
  /** The server's log lines at level warn or error (the first 20), so a failed row can be explained. */
  problems: string[];
  stop(): Promise<void>;
}

/** Spawns a server and resolves once it prints `ready` (group 1 is its URL); its output is read and dropped. */
async function startServer(command: string, argv: string[], env: Record<string, string>, ready: RegExp) {
  const child = spawn(command, argv, { cwd: rootDir, env: { ...process.env, ...env }, stdio: "pipe" });
  let head = "";
  let rest = "";
  const problems: string[] = [];
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const url = await new Promise<string>((done, fail) => {
    const onData = (chunk: Buffer) => {
      if (head.length < 64 * 1024) head += chunk.toString();
      const match = ready.exec(head);
      if (match) done(match[1]!);
      if (problems.length >= 20) return;
      const lines = (rest + chunk.toString()).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) if (/"level":"(warn|error)"/.test(line)) problems.push(line.slice(0, 2000));
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    exited.then(() => fail(new Error(`${command} ${argv.join(" ")} exited before listening:\n${head}`)));
  });
  return {
    url,
    child,
    problems,
    stop: async () => {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    },
  } satisfies Server;
}

/** The command `pnpm start` runs after building the SPA (the part after `exec` in the root start script). */
async function nodeStartCommand(): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(rootDir, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const script = pkg.scripts.start!;
  const exec = script
    .slice(script.lastIndexOf("exec ") + "exec ".length)
    .trim()
    .split(/\s+/);
  const [bin, ...rest] = exec;
  // `tsx`/`node` resolve through node_modules/.bin in pnpm; the real binary keeps signals going to the server.
  const prof = args.profile ? ["--cpu-prof", `--cpu-prof-dir=${resolve(args.profile)}`] : [];
  if (bin === "tsx") return [process.execPath, ...prof, "--import", "tsx", ...rest];
  // A profile runs the sources: in the bundle every package is one file, and the summary groups by file.
  if (bin === "node" && args.profile)
    return [process.execPath, ...prof, "--import", "tsx", "apps/api/src/entry/node.ts"];
  if (bin === "node") {
    // `pnpm start` builds what is stale first; the bench always measures a bundle of the current sources.
    await buildServer();
    return [process.execPath, ...prof, ...rest];
  }
  return [bin!, ...rest];
}

const RUNTIME_COMMANDS: Record<string, () => Promise<string[]>> = {
  node: nodeStartCommand,
  bun: async () => [join(rootModules, "bun/bin/bun.exe"), "apps/api/src/entry/bun.ts"],
  deno: async () => [join(rootModules, "deno/deno"), "run", "-A", "apps/api/src/entry/deno.ts"],
};

async function runtimeVersion(name: string): Promise<string> {
  if (name === "node") return `Node ${process.version}`;
  const [command] = await RUNTIME_COMMANDS[name]!();
  const child = spawn(command!, ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => {
    out += c.toString();
  });
  await new Promise((done) => child.once("exit", done));
  const line = out.split("\n")[0]!.trim();
  return name === "bun" ? `Bun ${line}` : line.replace(/^deno/, "Deno").replace(/\s*\(.*$/, "");
}

interface Request {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

interface Row {
  server: string;
  runtime: string;
  name: string;
  rps: number;
  p50: number;
  p99: number;
  /** The server process's CPU time (user + system) per answered request. */
  cpuMs: number;
  failures: number;
}

/** User + system CPU time of a process so far, in ms (Linux /proc). */
async function cpuTimeMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat(5); the slice starts at field 3.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

async function load(
  baseUrl: string,
  request: Request,
  seconds: number,
  connections = CONNECTIONS,
  pid?: number,
) {
  const cpuBefore = pid ? await cpuTimeMs(pid) : 0;
  const result = await autocannon({
    url: baseUrl + request.path,
    method: request.method,
    headers: request.headers ?? {},
    ...(request.body === undefined ? {} : { body: request.body }),
    connections,
    duration: seconds,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMs: pid ? ((await cpuTimeMs(pid)) - cpuBefore) / Math.max(1, result.requests.total) : 0,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** Warm-up (JIT, caches, connection pools), then the measured run. */
async function measure(server: Server, request: Request) {
  if (WARMUP > 0) await load(server.url, request, WARMUP);
  return load(server.url, request, DURATION, CONNECTIONS, server.child.pid);
}

async function json(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/** Signs up a user, makes one ready file, and returns the requests each row sends. */
async function signetRequests(url: string) {
  const signUp = await fetch(`${url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url },
    body: JSON.stringify({
      email: `bench-${Date.now()}@example.com`,
      password: "correct horse battery",
      name: "Bench",
    }),
  });
  await json(signUp.clone());
  const token = signUp.headers.get("set-auth-token");
  if (!token) throw new Error("sign-up returned no bearer token");
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };

  const bytes = new TextEncoder().encode("hello from the API bench\n");
  const createBody = JSON.stringify({
    filename: "report.txt",
    contentType: "text/plain",
    size: bytes.length,
  });
  const upload = (
    (await json(
      await fetch(`${url}/trpc/files.createUpload`, { method: "POST", headers: auth, body: createBody }),
    )) as {
      result: { data: { fileId: string; url: string; headers: Record<string, string> } };
    }
  ).result.data;
  const { "content-length": _length, ...putHeaders } = upload.headers;
  const put = await fetch(upload.url, { method: "PUT", headers: putHeaders, body: bytes });
  if (!put.ok) throw new Error(`PUT to storage: ${put.status} ${await put.text()}`);
  await json(
    await fetch(`${url}/trpc/files.completeUpload`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ fileId: upload.fileId }),
    }),
  );
  const downloadInput = encodeURIComponent(JSON.stringify({ fileId: upload.fileId }));

  return {
    auth,
    health: { method: "GET", path: "/trpc/health" } satisfies Request,
    createUpload: {
      method: "POST",
      path: "/trpc/files.createUpload",
      headers: auth,
      body: createBody,
    } satisfies Request,
    restUpload: {
      method: "POST",
      path: "/api/uploads/pre-signed-url",
      headers: auth,
      body: JSON.stringify({ fileName: "report.txt", fileType: "text/plain", fileSize: bytes.length }),
    } satisfies Request,
    downloadUrl: {
      method: "GET",
      path: `/trpc/files.downloadUrl?input=${downloadInput}`,
      headers: { authorization: auth.authorization },
    } satisfies Request,
    listBatch: {
      method: "GET",
      path: `/trpc/${Array(MAX_BATCH).fill("files.list").join(",")}?batch=1&input=${encodeURIComponent(
        JSON.stringify(Object.fromEntries(Array.from({ length: MAX_BATCH }, (_, i) => [i, { limit: 100 }]))),
      )}`,
      headers: { authorization: auth.authorization },
    } satisfies Request,
  };
}

/**
 * `health` at a few connections while `abusers` other connections loop the largest allowed batches of
 * `files.list` (the abuse case of issue #12): the p99 a well-behaved client sees.
 */
async function healthUnderBatches(url: string, health: Request, batch: Request, abusers: number) {
  const abuser = load(url, batch, DURATION, abusers);
  const victim = await load(url, health, DURATION, 4);
  const abuse = await abuser;
  return { abusers, victim, abuse };
}

/** One measured row: which server, and the request autocannon repeats. */
interface Plan {
  server: Server;
  label: string;
  runtime: string;
  name: string;
  request: Request;
}

async function main() {
  const rows: Row[] = [];
  const notes: string[] = [];
  const loadStart = os.loadavg()[0]!;
  const servers: Server[] = [];
  const dataDirs: string[] = [];
  const plans: Plan[] = [];
  const abuse: Awaited<ReturnType<typeof healthUnderBatches>>[] = [];
  try {
    // Every server is started first and stays up (idle ones cost nothing), so the rounds below can take turns.
    const seed = await startServer(
      process.execPath,
      ["--import", "tsx", join(apiDir, "bench/seed-server.ts")],
      { PORT: "0" },
      /seed listening on (\S+)/,
    );
    servers.push(seed);
    plans.push({
      server: seed,
      label: "seed (Hono + AWS SDK getSignedUrl)",
      runtime: `Node ${process.version}`,
      name: "POST /api/uploads/pre-signed-url",
      request: {
        method: "POST",
        path: "/api/uploads/pre-signed-url",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ fileName: "report.txt", fileType: "text/plain", fileSize: 25 }),
      },
    });
    let nodeSignet: { server: Server; requests: Awaited<ReturnType<typeof signetRequests>> } | undefined;
    for (const runtime of args.runtimes!.split(",")) {
      const dataDir = await mkdtemp(join(os.tmpdir(), "signet-bench-"));
      dataDirs.push(dataDir);
      const [command, ...argv] = await RUNTIME_COMMANDS[runtime]!();
      const signet = await startServer(
        command!,
        argv,
        { ...SIGNET_ENV, DATA_DIR: dataDir },
        /signet listening on (\S+)/,
      );
      servers.push(signet);
      const requests = await signetRequests(signet.url);
      if (runtime === "node") nodeSignet = { server: signet, requests };
      const runtimeName = await runtimeVersion(runtime);
      const named: [string, Request][] = args.profile
        ? [[args["profile-row"]!, requests[args["profile-row"] as "health"]]]
        : (
            [
              ["health", "health", requests.health],
              ["createUpload", "files.createUpload (tRPC, bearer)", requests.createUpload],
              ["restUpload", "POST /api/uploads/pre-signed-url (REST, bearer)", requests.restUpload],
              ["downloadUrl", "files.downloadUrl (tRPC, bearer)", requests.downloadUrl],
            ] as const
          )
            .filter(([key]) => args.rows!.split(",").includes(key))
            .map(([, name, request]) => [name, request] as [string, Request]);
      for (const [name, request] of named) {
        plans.push({ server: signet, label: "Signet", runtime: runtimeName, name, request });
      }
    }

    // Rounds: every row takes its turn once per round; each row reports its best round (the machine is shared,
    // and a neighbour's burst lands on whichever row is running).
    const best = new Map<Plan, Row>();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const plan of plans) {
        const r = await measure(plan.server, plan.request);
        const row = { server: plan.label, runtime: plan.runtime, name: plan.name, ...r };
        const previous = best.get(plan);
        if (!previous || row.rps > previous.rps) best.set(plan, row);
        console.log(`round ${round}`, row);
      }
    }
    rows.push(...plans.map((plan) => best.get(plan)!));

    if (nodeSignet && !args.profile) {
      // One abusive client (the case), then four at once.
      for (const abusers of [1, 4]) {
        const { url } = nodeSignet.server;
        const { health, listBatch } = nodeSignet.requests;
        abuse.push(await healthUnderBatches(url, health, listBatch, abusers));
        console.log(abuse.at(-1));
      }
    }
  } finally {
    for (const server of servers) {
      if (server.problems.length) console.log(`${server.url} logged:\n${server.problems.join("\n")}`);
      await server.stop();
    }
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  }

  const baseline = rows[0]!.rps;
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  const lines = [
    "## @signet/api",
    "",
    "The issuance path under load, in one run: the seed tutorials' server (`apps/api/bench/seed-server.ts`: Hono +",
    "`@aws-sdk/s3-request-presigner` getSignedUrl, no auth, no database) and Signet started the way `pnpm start`",
    "starts it (the command after `exec` in the root start script; port 0, a temp DATA_DIR, the embedded local-s3",
    "and libSQL file) and through its Bun and Deno entries. One user with a bearer token; RATE_LIMIT_PER_MINUTE and",
    "USER_QUOTA_BYTES set so neither interferes. autocannon in the bench process (it shares the 2 cores with the",
    `server), ${CONNECTIONS} connections; all servers run side by side and the rows take turns for ${ROUNDS} rounds of`,
    `${WARMUP} s warm-up + ${DURATION} s measured; each row reports its best round. Ratios are against the seed server's`,
    "rate in the same run. Server CPU ms/req is the server process's user + system time over the measured",
    "seconds divided by the requests answered: it does not depend on what the neighbours do, so it is the",
    "figure to compare when the machine is busy. Run: `pnpm --filter @signet/api bench`.",
    "",
    `- Date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    `- Machine: ${cpu}, ${os.cpus().length} cores (shared), ${os.platform()} ${os.arch()}; 1-minute load average ${loadStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end`,
    "",
    "| server | runtime | request | req/s | p50 ms | p99 ms | vs seed | server CPU ms/req | failed |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.server} | ${r.runtime} | ${r.name} | ${Math.round(r.rps).toLocaleString("en-US")} | ${r.p50} | ${r.p99} | ${(r.rps / baseline).toFixed(2)}× | ${r.cpuMs.toFixed(2)} | ${r.failures} |`,
    ),
    "",
  ];
  if (abuse.length > 0) {
    lines.push(
      `Abuse rows (Node): \`health\` from 4 connections while other connections loop the largest allowed tRPC batch (${MAX_BATCH} × \`files.list\`, limit 100, each answering 100 rows):`,
      "",
      "| batch loops | health req/s | health p50 ms | health p99 ms | batches/s | batch p99 ms | failed |",
      "|---:|---:|---:|---:|---:|---:|---:|",
      ...abuse.map(
        (a) =>
          `| ${a.abusers} | ${Math.round(a.victim.rps)} | ${a.victim.p50} | ${a.victim.p99} | ${Math.round(a.abuse.rps)} | ${a.abuse.p99} | ${a.victim.failures + a.abuse.failures} |`,
      ),
      "",
    );
  }
  lines.push(...notes);
  const section = `${lines.join("\n")}\n`;
  console.log(section);
  if (!args["dry-run"] && !args.profile) await writeBenchmarksSection("## @signet/api", section);
}

/** Replaces BENCHMARKS.md's section under `heading` (up to the next `## `), or appends it when absent. */
async function writeBenchmarksSection(heading: string, section: string) {
  const path = join(rootDir, "BENCHMARKS.md");
  const current = await readFile(path, "utf8");
  const start = current.indexOf(heading);
  let next: string;
  if (start < 0) next = `${current.trimEnd()}\n\n${section}`;
  else {
    const end = current.indexOf("\n## ", start + 1);
    next = current.slice(0, start) + section + (end < 0 ? "" : current.slice(end + 1));
  }
  await writeFile(path, next);
}

/** An HTTP endpoint that accepts every request and keeps nothing (an OTLP collector, a webhook receiver). */
async function discardingSink(): Promise<{ url: string; close(): void }> {
  const { createServer } = await import("node:http");
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => response.writeHead(200, { "content-type": "application/json" }).end("{}"));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

const METRICS_TOKEN = "bench-metrics-token-0123456789";

/** One way of starting Signet, compared with the others on the same rows; `prepare` runs after sign-up. */
interface Variant {
  label: string;
  env: Record<string, string>;
  prepare?: (url: string, auth: Record<string, string>) => Promise<void>;
}

type Measured = Awaited<ReturnType<typeof measure>>;
type VariantPlan = { variant: string; name: string; server: Server; request: Request };

/**
 * Starts one Node server per variant side by side and measures `rows` on each, taking turns for ROUNDS rounds
 * (so that a noisy neighbour hits every variant alike), each round starting one server further along (so that no
 * variant always follows the same one); keeps each row's best round, the median of its rounds' CPU per request
 * (`cpuMs` of the kept figures), and each round's CPU figure (`cpuRounds`) for the paired comparisons of
 * `variantTable`: on a shared machine one round's CPU figure can be off by more than the differences measured
 * here, a median of many short rounds much less. `during` runs beside the load (a scraper) and returns how to
 * stop it.
 */
async function compareVariants(
  variants: Variant[],
  rows: (requests: Awaited<ReturnType<typeof signetRequests>>) => { name: string; request: Request }[],
  during?: (servers: Server[]) => () => void,
): Promise<{
  plans: VariantPlan[];
  best: Map<VariantPlan, Measured>;
  cpuRounds: Map<VariantPlan, number[]>;
}> {
  const servers: Server[] = [];
  const dataDirs: string[] = [];
  const plans: VariantPlan[] = [];
  const best = new Map<VariantPlan, Measured>();
  const cpu = new Map<VariantPlan, number[]>();
  let stop: (() => void) | undefined;
  try {
    for (const variant of variants) {
      const dataDir = await mkdtemp(join(os.tmpdir(), "signet-bench-"));
      dataDirs.push(dataDir);
      const [command, ...argv] = await RUNTIME_COMMANDS.node!();
      const server = await startServer(
        command!,
        argv,
        { ...SIGNET_ENV, ...variant.env, DATA_DIR: dataDir },
        /signet listening on (\S+)/,
      );
      servers.push(server);
      const requests = await signetRequests(server.url);
      await variant.prepare?.(server.url, requests.auth);
      for (const row of rows(requests)) plans.push({ variant: variant.label, server, ...row });
    }
    stop = during?.(servers);
    for (let round = 1; round <= ROUNDS; round++) {
      const shift = ((round - 1) * (plans.length / variants.length)) % plans.length;
      for (const plan of [...plans.slice(shift), ...plans.slice(0, shift)]) {
        const result = await measure(plan.server, plan.request);
        const previous = best.get(plan);
        if (!previous || result.rps > previous.rps) best.set(plan, result);
        cpu.set(plan, [...(cpu.get(plan) ?? []), result.cpuMs]);
        console.log(`round ${round}`, plan.variant, plan.name, result);
      }
    }
  } finally {
    stop?.();
    for (const server of servers) {
      if (server.problems.length) console.log(`${server.url} logged:\n${server.problems.join("\n")}`);
      await server.stop();
    }
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  }
  for (const [plan, figures] of cpu) best.set(plan, { ...best.get(plan)!, cpuMs: quantile(figures, 0.5) });
  return { plans, best, cpuRounds: cpu };
}

/** The `q` quantile of `values` (linear between the two nearest). */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = sorted[Math.floor(at)]!;
  return low + (sorted[Math.ceil(at)]! - low) * (at - Math.floor(at));
}

/**
 * The rows' table, each against the first variant's figures for the same request. The CPU comparison is paired:
 * each round's figure over the first variant's in the same round (minutes apart at most, so a neighbour's load
 * that comes and goes cancels), the median of those ratios, with the middle half of them beside it.
 */
function variantTable(
  column: string,
  { plans, best, cpuRounds }: Awaited<ReturnType<typeof compareVariants>>,
): string[] {
  const first = plans[0]!.variant;
  const baseOf = (name: string) => plans.find((p) => p.variant === first && p.name === name)!;
  const pct = (value: number) => `${value >= 0 ? "+" : ""}${(value * 100).toFixed(1)} %`;
  return [
    `| request | ${column} | req/s | p50 ms | p99 ms | server CPU ms/req | vs ${first} (req/s) | vs ${first} (CPU, paired median) | middle half of the rounds | failed |`,
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...plans.map((plan) => {
      const r = best.get(plan)!;
      const base = baseOf(plan.name);
      const baseRounds = cpuRounds.get(base)!;
      const ratios = cpuRounds.get(plan)!.map((cpu, round) => cpu / baseRounds[round]! - 1);
      const spread = `${pct(quantile(ratios, 0.25))} … ${pct(quantile(ratios, 0.75))}`;
      return `| ${plan.name} | ${plan.variant} | ${Math.round(r.rps).toLocaleString("en-US")} | ${r.p50} | ${r.p99} | ${r.cpuMs.toFixed(3)} | ${pct(r.rps / best.get(base)!.rps - 1)} | ${pct(quantile(ratios, 0.5))} | ${spread} | ${r.failures} |`;
    }),
  ];
}

function machineLines(): string[] {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  return [
    `- Date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    `- Machine: ${cpu}, ${os.cpus().length} cores (shared), ${os.platform()} ${os.arch()}; 1-minute load average ${os.loadavg()[0]!.toFixed(1)} at the end`,
  ];
}

/** Prints a section and, unless --dry-run, puts it in BENCHMARKS.md. */
async function writeSection(heading: string, section: string): Promise<void> {
  console.log(section);
  if (!args["dry-run"]) await writeBenchmarksSection(heading, section);
}

/**
 * Writes a comparison's section: `heading` with the bench flag that runs it, `prose` (what was compared and how),
 * the machine, and the variants' table with their label in `column`.
 */
async function writeComparison(
  heading: string,
  flag: string,
  column: string,
  result: Awaited<ReturnType<typeof compareVariants>>,
  prose: string[],
): Promise<void> {
  const lines = [
    `${heading} (\`pnpm --filter @signet/api bench -- ${flag}\`)`,
    "",
    ...prose,
    "",
    ...machineLines(),
    "",
    ...variantTable(column, result),
    "",
  ];
  await writeSection(heading, `${lines.join("\n")}\n`);
}

const UPLOAD_ROWS = (requests: Awaited<ReturnType<typeof signetRequests>>) => [
  { name: "files.createUpload (tRPC, bearer)", request: requests.createUpload },
  { name: "POST /api/uploads/pre-signed-url (REST, bearer)", request: requests.restUpload },
];

/** `--observability`: the issuance rows with metrics and tracing off, then on, taking turns for ROUNDS rounds. */
async function observabilityOverhead() {
  const sink = await discardingSink();
  const traced = (ratio?: number): Record<string, string> => ({
    METRICS_TOKEN,
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_SERVICE_NAME: "signet-bench",
    ...(ratio === undefined
      ? {}
      : { OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: String(ratio) }),
  });
  const variants: Variant[] = [
    { label: "off", env: { METRICS_ENABLED: "false" } },
    { label: "metrics on", env: { METRICS_TOKEN } },
    // The same as the one before, on a server of its own: how far two identical servers differ here.
    { label: "metrics on (control)", env: { METRICS_TOKEN } },
    { label: "metrics + tracing on", env: traced() },
    // What an operator bounds the cost with: a share of the traces kept (the bench sends no traceparent).
    { label: "metrics + tracing 1 in 10", env: traced(0.1) },
    { label: "metrics + tracing 1 in 100", env: traced(0.01) },
  ];
  // Prometheus' pace, a little faster than the usual 15 s: the scrape's own cost is part of "on".
  const scrape = (servers: Server[]) => {
    const scraper = setInterval(() => {
      for (const on of servers.slice(1)) {
        fetch(`${on.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
          .then((response) => response.arrayBuffer())
          .catch(() => {});
      }
    }, 5000);
    return () => clearInterval(scraper);
  };
  const result = await compareVariants(variants, UPLOAD_ROWS, scrape).finally(() => sink.close());
  await writeComparison("## Observability overhead", "--observability", "observability", result, [
    "Issuance on Node (`pnpm start`'s command, embedded local-s3 and libSQL file) five ways: `METRICS_ENABLED=false`",
    "and no OTLP endpoint (off); metrics on (the registry, the HTTP, database and storage measuring, a /metrics",
    "scrape every 5 s), twice, on two identical servers (the control: what this machine's noise alone makes of",
    "the same server); metrics plus traces with every request sampled (the default sampler), spans exported over",
    "OTLP/HTTP to a local sink that discards them; and the same with `OTEL_TRACES_SAMPLER=parentbased_traceidratio`",
    "and `OTEL_TRACES_SAMPLER_ARG=0.1` (one trace in ten) or `0.01` (one in a hundred). The servers run side by side",
    `and take turns for ${ROUNDS} rounds of ${WARMUP} s warm-up + ${DURATION} s at ${CONNECTIONS} connections (autocannon in the bench`,
    "process), each round starting with the next variant; req/s and latency are each row's best round.",
    "Server CPU ms/req (user + system time of the server process, all its threads, per answered request) is the",
    "figure to compare on a shared machine: the column is the median of its rounds, and the comparison with off is",
    "paired, each round against off's in the same round, with the middle half of those rounds beside it.",
  ]);
}

/** `--webhooks`: issuance with no webhook endpoint, then with one (every event type) for the benched user. */
async function webhookOverhead() {
  const sink = await discardingSink();
  const variants: Variant[] = [
    { label: "no endpoint", env: {} },
    {
      label: "one endpoint",
      env: { WEBHOOKS_ALLOW_PRIVATE: "true" },
      async prepare(url, auth) {
        const created = await fetch(`${url}/api/webhooks`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ url: `${sink.url}/hook` }),
        });
        await json(created);
      },
    },
  ];
  const rows = (requests: Awaited<ReturnType<typeof signetRequests>>) => [
    ...UPLOAD_ROWS(requests),
    { name: "files.downloadUrl (tRPC, bearer)", request: requests.downloadUrl },
  ];
  const result = await compareVariants(variants, rows).finally(() => sink.close());
  await writeComparison("## Webhook endpoint overhead", "--webhooks", "webhooks", result, [
    "Issuance on Node (`pnpm start`'s command, embedded local-s3 and libSQL file) for a user with no webhook",
    "endpoint, then for one with one enabled (non-blocking) endpoint taking every event type, its receiver a local",
    "sink. Issuing URLs writes no event, so the endpoint must cost issuance nothing: the target is within 5 % (issue",
    `#25). The servers run side by side and take turns for ${ROUNDS} rounds of ${WARMUP} s warm-up + ${DURATION} s at`,
    `${CONNECTIONS} connections; req/s and latency are each row's best round, server CPU ms/req the median of its rounds. On this shared machine compare the ratios, and the`,
    "server CPU per request above all.",
  ]);
}

await (args.observability ? observabilityOverhead() : args.webhooks ? webhookOverhead() : main());
