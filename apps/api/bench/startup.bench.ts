// What an operator's `pnpm start` costs: launch to the first answer and the idle RSS of every process it leaves
// running, on a fresh data directory (migrations, secrets, bucket) and again on the same, now existing, one.
//   pnpm --filter @signet/api exec tsx bench/startup.bench.ts [-- --command "pnpm start" --runs 3]
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { benchArgs } from "./args.ts";

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const { values: args } = benchArgs({
  options: {
    command: { type: "string", default: "pnpm start" },
    /** The checkout to run it in (default this one), e.g. another commit's tree for a before/after. */
    cwd: { type: "string", default: rootDir },
    runs: { type: "string", default: "3" },
    /**
     * How long the server sits idle before its RSS is read, in ms. V8's memory reducer shrinks the heap that
     * start-up grew some 10-20 s after the process goes quiet; the figure 3 s after the first answer is kept too.
     */
    idle: { type: "string", default: "25000" },
  },
});

/** Every process in the tree rooted at `root` (Linux /proc), with its RSS in KiB and its command line. */
async function processTree(root: number): Promise<{ pid: number; rssKiB: number; command: string }[]> {
  const parents = new Map<number, number>();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, "utf8");
      // Field 4 (ppid) follows the command in parentheses, which may itself hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(name), ppid);
    } catch {
      // The process ended while the table was read.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  const result = [];
  for (const pid of tree) {
    try {
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const command = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").join(" ").trim();
      result.push({ pid, rssKiB, command });
    } catch {
      // Gone already.
    }
  }
  return result;
}

async function once(dataDir: string) {
  const [bin, ...argv] = args.command!.split(" ");
  const started = performance.now();
  // Its own process group, so the whole tree (pnpm, sh, the server) is stopped together.
  const child = spawn(bin!, argv, {
    cwd: args.cwd,
    detached: true,
    env: { ...process.env, DATA_DIR: dataDir, PORT: "0", LOCAL_S3_PORT: "0", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((done, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /signet listening on (\S+)/.exec(output);
      if (match) done(match[1]!);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", () => fail(new Error(`exited before listening:\n${output}`)));
  });
  const health = await fetch(`${url}/trpc/health`);
  if (!health.ok) throw new Error(`health answered ${health.status}`);
  await health.arrayBuffer();
  const firstAnswerMs = performance.now() - started;
  await new Promise((done) => setTimeout(done, 3000));
  const early = await processTree(child.pid!);
  await new Promise((done) => setTimeout(done, Math.max(0, Number(args.idle) - 3000)));
  const tree = await processTree(child.pid!);
  const exited = new Promise((done) => child.once("exit", done));
  process.kill(-child.pid!, "SIGTERM");
  await exited;
  return { firstAnswerMs, early, tree };
}

const rows: string[] = [];
for (let run = 1; run <= Number(args.runs); run++) {
  const dataDir = await mkdtemp(join(os.tmpdir(), "signet-startup-"));
  try {
    for (const state of ["fresh", "existing"]) {
      const { firstAnswerMs, early, tree } = await once(dataDir);
      const mib = (processes: typeof tree) =>
        (processes.reduce((sum, p) => sum + p.rssKiB, 0) / 1024).toFixed(0);
      const parts = tree.map((p) => `${p.command.slice(0, 60)} ${(p.rssKiB / 1024).toFixed(0)} MiB`);
      const row = `| ${run} | ${state} | ${Math.round(firstAnswerMs)} | ${mib(early)} | ${mib(tree)} | ${parts.join("; ")} |`;
      console.log(row);
      rows.push(row);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
console.log(
  [
    `\`${args.command}\` in ${args.cwd}, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${os.cpus()[0]?.model.trim()}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`,
    "",
    `| run | data dir | launch → first answer ms | RSS MiB 3 s after it | idle RSS MiB (${Number(args.idle) / 1000} s) | processes (idle RSS) |`,
    "|---:|---|---:|---:|---:|---|",
    ...rows,
  ].join("\n"),
);
