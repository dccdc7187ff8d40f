/**
 * Traces: an OTLP/HTTP receiver on port 0 collects what Signet sends, in process and from the real Node and Bun
 * entries; each request is one trace under the caller's `traceparent`, with the spans the issue names.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "../../build.ts";
import { buildWorkerBundle, type LocalWorker, startLocalWorker } from "../entry/worker-local.ts";
import { groupCommitStats } from "../services/group-commit.ts";
import { createHarness, type Harness } from "../testing/harness.ts";
import { noTracing } from "./tracing.ts";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** An OTLP/HTTP (JSON) receiver: every span posted to /v1/traces. */
async function otlpReceiver(): Promise<{ url: string; spans: OtlpSpan[]; server: Server }> {
  const spans: OtlpSpan[] = [];
  const server = createServer(async (request, response) => {
    let body = "";
    for await (const chunk of request) body += chunk;
    if (request.url === "/v1/traces" && request.headers["content-type"]?.includes("json")) {
      const parsed = JSON.parse(body) as {
        resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const resource of parsed.resourceSpans)
        for (const scope of resource.scopeSpans) spans.push(...scope.spans);
    }
    response.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, spans, server };
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** A caller's W3C trace context. */
function callerContext() {
  const traceId = randomHex(16);
  const spanId = randomHex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** Polls until `spans` holds every name in `names` for `traceId` (bounded). */
async function spansOf(
  spans: OtlpSpan[],
  traceId: string,
  names: string[],
  ms = 20_000,
): Promise<OtlpSpan[]> {
  const deadline = performance.now() + ms;
  for (;;) {
    const mine = spans.filter((span) => span.traceId === traceId);
    if (names.every((name) => mine.some((span) => span.name === name))) return mine;
    if (performance.now() > deadline) {
      throw new Error(
        `spans of ${traceId}: wanted ${names.join(", ")}; got ${mine.map((s) => s.name).join(", ")}`,
      );
    }
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Checks one request's trace: its server span is the caller's child, and every other span descends from it. */
function expectOneTrace(mine: OtlpSpan[], caller: { spanId: string }, root: string) {
  const roots = mine.filter((span) => span.parentSpanId === caller.spanId);
  expect(roots.map((span) => span.name)).toEqual([root]);
  const ids = new Set(mine.map((span) => span.spanId));
  for (const span of mine) if (span !== roots[0]) expect(ids.has(span.parentSpanId ?? "")).toBe(true);
}

const UPLOAD_SPANS = ["POST /trpc/files.createUpload", "authenticate", "db batch", "sign presignPut"];

let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
beforeAll(async () => {
  receiver = await otlpReceiver();
});
afterAll(async () => {
  receiver?.server.close();
});

describe("tracing in process", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({
      observability: {
        metricsEnabled: true,
        doctorIntervalSeconds: 0,
        otel: {
          tracesEndpoint: `${receiver.url}/v1/traces`,
          headers: {},
          serviceName: "signet-test",
          resourceAttributes: {},
        },
      },
    });
  });
  afterAll(() => h?.[Symbol.asyncDispose]());

  it("makes one trace per request under the caller's traceparent, with auth, announce, signing and storage spans", async () => {
    const alice = await h.signUp();
    const caller = callerContext();
    const response = await h.app.request("/trpc/files.createUpload", {
      method: "POST",
      headers: {
        authorization: `Bearer ${alice.token}`,
        "content-type": "application/json",
        traceparent: caller.traceparent,
      },
      body: JSON.stringify({ filename: "t.txt", contentType: "text/plain", size: 3 }),
    });
    expect(response.status).toBe(200);
    const { result } = (await response.json()) as { result: { data: { fileId: string } } };
    await h.signet.observability.tracing.flush();
    const mine = await spansOf(receiver.spans, caller.traceId, UPLOAD_SPANS);
    expectOneTrace(mine, caller, "POST /trpc/files.createUpload");

    const completing = callerContext();
    await h.app.request("/trpc/files.completeUpload", {
      method: "POST",
      headers: {
        authorization: `Bearer ${alice.token}`,
        "content-type": "application/json",
        traceparent: completing.traceparent,
      },
      body: JSON.stringify({ fileId: result.data.fileId }),
    });
    await h.signet.observability.tracing.flush();
    // Verify (HEAD), then the settle: the conditional UPDATE of the row, then the audit event.
    const settle = await spansOf(receiver.spans, completing.traceId, ["storage headObject", "db update"]);
    expectOneTrace(settle, completing, "POST /trpc/files.completeUpload");

    const line = h.logs.find((entry) => entry.msg === "request" && entry.trace_id === caller.traceId);
    expect(line?.span_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it("gives each of many concurrent requests its own trace, the commit they shared in each", async () => {
    const alice = await h.signUp();
    const callers = Array.from({ length: 12 }, () => callerContext());
    const before = groupCommitStats();
    const responses = await Promise.all(
      callers.map((caller, i) =>
        h.app.request("/trpc/files.createUpload", {
          method: "POST",
          headers: {
            authorization: `Bearer ${alice.token}`,
            "content-type": "application/json",
            traceparent: caller.traceparent,
          },
          body: JSON.stringify({ filename: `c${i}.txt`, contentType: "text/plain", size: 3 }),
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(callers.map(() => 200));
    // Fewer commits than requests: some batches were committed together.
    expect(groupCommitStats().commits - before.commits).toBeLessThan(callers.length);
    await h.signet.observability.tracing.flush();
    for (const caller of callers) {
      const mine = await spansOf(receiver.spans, caller.traceId, UPLOAD_SPANS);
      expectOneTrace(mine, caller, "POST /trpc/files.createUpload");
      expect(mine.filter((span) => span.name === "db batch")).toHaveLength(1);
    }
  });

  it("traces a sweeper pass as its own trace, its statements under it", async () => {
    const before = receiver.spans.length;
    await h.signet.sweep();
    await h.signet.observability.tracing.flush();
    const sweep = receiver.spans.slice(before).find((span) => span.name === "sweep");
    expect(sweep?.parentSpanId ?? "").toBe("");
    const children = receiver.spans.filter((span) => span.parentSpanId === sweep?.spanId);
    expect(children.some((span) => span.name.startsWith("db "))).toBe(true);
  });

  it("starts a new trace for a request without traceparent", async () => {
    const before = receiver.spans.length;
    expect((await h.app.request("/livez")).status).toBe(200);
    await h.signet.observability.tracing.flush();
    const fresh = receiver.spans.slice(before).find((span) => span.name === "GET /livez");
    expect(fresh).toBeDefined();
    expect(fresh?.parentSpanId ?? "").toBe("");
  });
});

describe("tracing with OTEL_TRACES_SAMPLER=parentbased_always_off", () => {
  it("drops a request that starts its own trace and keeps one whose caller sampled it, children included", async () => {
    await using h = await createHarness({
      observability: {
        metricsEnabled: true,
        doctorIntervalSeconds: 0,
        otel: {
          tracesEndpoint: `${receiver.url}/v1/traces`,
          headers: {},
          serviceName: "signet-sampled",
          resourceAttributes: {},
          sampler: { name: "parentbased_always_off", ratio: 1 },
        },
      },
    });
    const alice = await h.signUp();
    const before = receiver.spans.length;
    const upload = (traceparent?: string) =>
      h.app.request("/trpc/files.createUpload", {
        method: "POST",
        headers: {
          authorization: `Bearer ${alice.token}`,
          "content-type": "application/json",
          ...(traceparent ? { traceparent } : {}),
        },
        body: JSON.stringify({ filename: "s.txt", contentType: "text/plain", size: 3 }),
      });
    expect((await upload()).status).toBe(200);
    const unsampled = callerContext();
    expect((await upload(unsampled.traceparent.replace(/-01$/, "-00"))).status).toBe(200);
    const caller = callerContext();
    expect((await upload(caller.traceparent)).status).toBe(200);
    await h.signet.observability.tracing.flush();
    const mine = await spansOf(receiver.spans, caller.traceId, UPLOAD_SPANS);
    expectOneTrace(mine, caller, "POST /trpc/files.createUpload");
    // Everything sent since is the sampled caller's: the other two requests made no span, nor did their children.
    expect(receiver.spans.slice(before).filter((span) => span.traceId !== caller.traceId)).toEqual([]);
  });
});

describe("tracing off", () => {
  it("is the no-op seam, and no log line carries a trace id", async () => {
    await using h = await createHarness({
      observability: { metricsEnabled: true, doctorIntervalSeconds: 0 },
    });
    expect(h.signet.observability.tracing).toBe(noTracing);
    await h.app.request("/livez", { headers: { traceparent: callerContext().traceparent } });
    expect(h.logs.some((entry) => "trace_id" in entry)).toBe(false);
  });
});

const apiDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const rootModules = resolve(apiDir, "../../node_modules");
const ENTRIES: Record<string, string[]> = {
  node: [join(rootModules, ".bin/tsx"), "src/entry/node.ts"],
  bun: [join(rootModules, "bun/bin/bun.exe"), "src/entry/bun.ts"],
  deno: [join(rootModules, "deno/deno"), "run", "-A", "src/entry/deno.ts"],
  // The bundle `pnpm start` runs: its chunks hand the CommonJS SDK packages over differently from the sources.
  "built node": [process.execPath],
};
/** Inside apps/api, so the bundle resolves its one external dependency (libsql) as dist/ does. */
const builtDir = join(apiDir, "node_modules/.cache", `signet-otel-build-${process.pid}`);

/** Starts a runtime's real entry with traces to the receiver; resolves with its URL once it listens. */
async function startEntry(runtime: string, dir: string, env: Record<string, string>) {
  const [command, ...args] =
    runtime === "built node" ? [process.execPath, await buildServer(builtDir)] : ENTRIES[runtime]!;
  const child = spawn(command!, args, {
    cwd: apiDir,
    env: {
      ...process.env,
      DATA_DIR: dir,
      PORT: "0",
      LOCAL_S3_PORT: "0",
      WEB_DIST_DIR: join(dir, "no-dist"),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: `signet-${runtime}`,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const base = await new Promise<string>((done, fail) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /signet listening on (http:\/\/localhost:\d+)/.exec(output);
      if (match) done(match[1]!);
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.once("exit", () => fail(new Error(`${runtime} exited before listening:\n${output}`)));
  });
  return { child, base };
}

async function stop(child: ChildProcess | undefined) {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
}

/** Signs up over HTTP and announces one upload under a fresh caller context; returns that context. */
async function tracedUpload(base: string, email: string) {
  const signUp = await fetch(`${base}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: base },
    body: JSON.stringify({ email, password: "correct horse battery", name: "T" }),
  });
  const token = signUp.headers.get("set-auth-token");
  expect(token, `sign-up answered ${signUp.status}: ${await signUp.text()}`).toBeTruthy();
  const caller = callerContext();
  const response = await fetch(`${base}/trpc/files.createUpload`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      traceparent: caller.traceparent,
    },
    body: JSON.stringify({ filename: "t.txt", contentType: "text/plain", size: 3 }),
  });
  expect(response.status).toBe(200);
  return caller;
}

describe.each(Object.keys(ENTRIES))("tracing from the %s entry", (runtime) => {
  let child: ChildProcess | undefined;
  let dir: string;
  let base: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `signet-otel-${runtime}-`));
    // The SDK's own variable: send each batch after 100 ms rather than 5 s.
    ({ child, base } = await startEntry(runtime, dir, { OTEL_BSP_SCHEDULE_DELAY: "100" }));
  }, 120_000);
  afterAll(async () => {
    await stop(child);
    if (dir) await rm(dir, { recursive: true, force: true });
    if (runtime === "built node") await rm(builtDir, { recursive: true, force: true });
  });

  it("sends one trace per request, parented to the caller's traceparent", async () => {
    const caller = await tracedUpload(base, `${runtime.replace(" ", "-")}@example.com`);
    const mine = await spansOf(receiver.spans, caller.traceId, UPLOAD_SPANS);
    expectOneTrace(mine, caller, "POST /trpc/files.createUpload");
  }, 30_000);
});

describe("stopping the Node entry", () => {
  it("sends the spans still waiting in the batch before it exits", async () => {
    const dir = await mkdtemp(join(tmpdir(), "signet-otel-stop-"));
    let child: ChildProcess | undefined;
    try {
      // A batch delay far past the test: only the flush at shutdown can deliver these spans.
      const started = await startEntry("node", dir, { OTEL_BSP_SCHEDULE_DELAY: "600000" });
      child = started.child;
      const caller = await tracedUpload(started.base, "stop@example.com");
      expect(receiver.spans.some((span) => span.traceId === caller.traceId)).toBe(false);
      await stop(child);
      expect(child.exitCode).toBe(0);
      // Sent before the process exited; the bound only covers a slow machine's receiver.
      await spansOf(receiver.spans, caller.traceId, UPLOAD_SPANS, 15_000);
    } finally {
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("tracing from the Worker entry (workerd)", () => {
  let dir: string;
  let local: LocalWorker | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "signet-otel-worker-"));
    local = await startLocalWorker({
      dataDir: dir,
      bundle: await buildWorkerBundle(join(dir, "bundle")),
      instances: 1,
      vars: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "signet-worker" },
      onOutput: () => {},
    });
  }, 180_000);
  afterAll(async () => {
    await local?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("sends one trace per request over OTLP/HTTP, parented to the caller's traceparent", async () => {
    const caller = await tracedUpload(local!.urls[0]!, "worker@example.com");
    const mine = await spansOf(receiver.spans, caller.traceId, UPLOAD_SPANS);
    expectOneTrace(mine, caller, "POST /trpc/files.createUpload");
  }, 30_000);
});
