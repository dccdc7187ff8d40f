// A/B of two checkouts on the issuance rows: Signet started from each tree (`node --import tsx
// apps/api/src/entry/node.ts`, the embedded local-s3 and a temp DATA_DIR), driven in turns by autocannon at 64
// connections; reports each server's CPU ms per request (median of the rounds) and the ratio B/A. Taking turns in
// one script keeps a busy neighbour from favouring either side.
//   git worktree add --detach /tmp/base HEAD~1 && (cd /tmp/base && pnpm install --offline)
//   pnpm --filter @signet/api exec tsx bench/compare.ts /tmp/base "$PWD/../.." [--rows health,createUpload]
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { benchArgs } from "./args.ts";

const { values: args, positionals: trees } = benchArgs({
  allowPositionals: true,
  options: {
    rows: { type: "string", default: "health,createUpload,downloadUrl" },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "4" },
  },
});
if (trees.length !== 2)
  throw new Error("usage: compare.ts <tree A> <tree B> [--rows a,b] [--rounds n] [--seconds n]");

interface Request {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** User + system CPU time of a process so far, in ms (Linux /proc, 100 ticks a second). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function post(url: string, headers: Record<string, string>, body: unknown): Promise<Response> {
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response;
}

/** Starts Signet from `tree`, signs up, makes one ready file, and returns the rows' requests. */
async function start(
  tree: string,
): Promise<{ child: ChildProcess; url: string; requests: Record<string, Request> }> {
  const child = spawn(process.execPath, ["--import", "tsx", "apps/api/src/entry/node.ts"], {
    cwd: tree,
    env: {
      ...process.env,
      PORT: "0",
      LOCAL_S3_PORT: "0",
      DATA_DIR: mkdtempSync(join(os.tmpdir(), "signet-compare-")),
      RATE_LIMIT_PER_MINUTE: "1000000000",
      USER_QUOTA_BYTES: String(2 ** 50),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let head = "";
  const url = await new Promise<string>((resolve) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      head += chunk.toString();
      const match = /signet listening on (\S+)/.exec(head);
      if (match) resolve(match[1]!);
    });
  });
  const signUp = await post(
    `${url}/api/auth/sign-up/email`,
    { "content-type": "application/json", origin: url },
    { email: `compare-${Date.now()}@example.com`, password: "correct horse battery", name: "Compare" },
  );
  const auth = {
    authorization: `Bearer ${signUp.headers.get("set-auth-token")}`,
    "content-type": "application/json",
  };
  const createBody = JSON.stringify({ filename: "r.txt", contentType: "text/plain", size: 5 });
  const created = (await (
    await post(`${url}/trpc/files.createUpload`, auth, JSON.parse(createBody))
  ).json()) as {
    result: { data: { fileId: string; url: string; headers: Record<string, string> } };
  };
  const upload = created.result.data;
  const { "content-length": _length, ...putHeaders } = upload.headers;
  await fetch(upload.url, { method: "PUT", headers: putHeaders, body: "hello" });
  await post(`${url}/trpc/files.completeUpload`, auth, { fileId: upload.fileId });
  const input = encodeURIComponent(JSON.stringify({ fileId: upload.fileId }));
  return {
    child,
    url,
    requests: {
      health: { method: "GET", path: "/trpc/health" },
      createUpload: { method: "POST", path: "/trpc/files.createUpload", headers: auth, body: createBody },
      downloadUrl: { method: "GET", path: `/trpc/files.downloadUrl?input=${input}`, headers: auth },
    },
  };
}

const servers = [await start(trees[0]!), await start(trees[1]!)];
const samples = new Map<string, [number[], number[]]>();
try {
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const row of args.rows!.split(",")) {
      for (const [side, server] of servers.entries()) {
        const request = server.requests[row];
        if (!request) throw new Error(`no row ${row}`);
        const options = {
          url: server.url + request.path,
          method: request.method,
          headers: request.headers ?? {},
          connections: 64,
          ...(request.body === undefined ? {} : { body: request.body }),
        };
        await autocannon({ ...options, duration: 1 });
        const before = cpuMs(server.child.pid!);
        const result = await autocannon({ ...options, duration: Number(args.seconds) });
        const perRequest = (cpuMs(server.child.pid!) - before) / Math.max(1, result.requests.total);
        if (!samples.has(row)) samples.set(row, [[], []]);
        samples.get(row)![side]!.push(perRequest);
        console.log(`round ${round + 1} ${row} ${side ? "B" : "A"}: ${perRequest.toFixed(2)} ms/req`);
      }
    }
  }
} finally {
  for (const server of servers) server.child.kill("SIGTERM");
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [row, [a, b]] of samples) {
  console.log(
    `${row}: A ${median(a).toFixed(2)} ms/req, B ${median(b).toFixed(2)} ms/req, B/A ${(median(b) / median(a)).toFixed(2)}`,
  );
}
