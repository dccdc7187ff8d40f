/**
 * A real Prometheus (Debian's package; .ci/run installs it) scrapes a running Signet with its token, and the
 * counters of an upload, a refused upload and a download are read back through Prometheus' query API. The
 * shipped alert rules and dashboard queries are loaded and run by the same Prometheus.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveNode } from "../entry/node-serve.ts";
import { spaCorsRule } from "../storage/cors-rule.ts";
import {
  createHarness,
  type Harness,
  PUBLIC_URL,
  type TestUser,
  uploadTextOverHttp,
} from "../testing/harness.ts";

const TOKEN = "prometheus-scrape-token-0123456789";
const opsDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../ops");
const rulesFile = join(opsDir, "prometheus/signet-alerts.yml");
const dashboardFile = join(opsDir, "grafana/signet-dashboard.json");

/** A port nobody listens on right now (listen on 0, read it, close). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Polls `check` every 250 ms until it returns a value, for at most `ms`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = performance.now() + ms;
  let last: unknown;
  while (performance.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

interface QueryAnswer {
  status: string;
  error?: string;
  data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

let h: Harness;
let alice: TestUser;
let signetServer: { port: number; close(): Promise<void> };
let prometheus: ChildProcess;
let prometheusUrl: string;
let dir: string;
let prometheusLog = "";

async function query(expr: string): Promise<QueryAnswer> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await response.json()) as QueryAnswer;
}

/** The value of a query with one series, once Prometheus has it. */
async function sampleValue(expr: string): Promise<number | undefined> {
  const answer = await query(expr);
  const first = answer.data?.result[0];
  return first ? Number(first.value[1]) : undefined;
}

beforeAll(async () => {
  h = await createHarness({
    userQuotaBytes: 1000,
    observability: { metricsEnabled: true, metricsToken: TOKEN, doctorIntervalSeconds: 3600 },
  });
  // The bucket as `pnpm start` configures it, so the doctor's probes behind signet_bucket_check pass.
  await h.signer.putBucketCors([spaCorsRule(PUBLIC_URL)]);
  alice = await h.signUp();
  signetServer = await serveNode(h.signet.fetch, { port: 0, hostname: "127.0.0.1" });

  dir = await mkdtemp(join(tmpdir(), "signet-prometheus-"));
  const config = join(dir, "prometheus.yml");
  await writeFile(
    config,
    [
      "global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }",
      `rule_files: [${JSON.stringify(rulesFile)}]`,
      "scrape_configs:",
      "  - job_name: signet",
      `    authorization: { credentials: ${JSON.stringify(TOKEN)} }`,
      `    static_configs: [{ targets: ["127.0.0.1:${signetServer.port}"] }]`,
      "",
    ].join("\n"),
  );
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  prometheus.stderr?.on("data", (chunk: Buffer) => {
    if (prometheusLog.length < 20_000) prometheusLog += chunk.toString();
  });
  await eventually("Prometheus to be ready", async () => {
    const ready = await fetch(`${prometheusUrl}/-/ready`);
    return ready.ok ? true : undefined;
  });
}, 60_000);

afterAll(async () => {
  prometheus?.kill("SIGTERM");
  if (prometheus && prometheus.exitCode === null) {
    await new Promise((done) => prometheus.once("exit", done));
  }
  await signetServer?.close();
  await h?.[Symbol.asyncDispose]();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("Prometheus scraping Signet", () => {
  it("scrapes with the token and reads back an upload, a refused upload and a download", async () => {
    const fileId = await uploadTextOverHttp(h, alice, "scraped by prometheus\n");
    const over = await h.trpc(
      "files.createUpload",
      { filename: "big.bin", contentType: "application/octet-stream", size: 999 },
      { token: alice.token },
    );
    expect(over).toMatchObject({ ok: false, code: "PAYLOAD_TOO_LARGE" });
    const download = await h.trpc("files.downloadUrl", { fileId }, { token: alice.token }, "query");
    expect(download.ok).toBe(true);

    const expected: [string, number][] = [
      ['up{job="signet"}', 1],
      ['signet_urls_issued_total{kind="upload",outcome="issued"}', 1],
      ['signet_urls_issued_total{kind="upload",outcome="over_quota"}', 1],
      ['signet_urls_issued_total{kind="download",outcome="issued"}', 1],
      ['signet_urls_issued_total{kind="download",outcome="rate_limited"}', 0],
      ['signet_verifications_total{outcome="ready"}', 1],
      ["signet_verified_bytes_total", 22],
      ['signet_dependency_up{dependency="bucket"}', 1],
      ['signet_bucket_check{check="cors_etag"}', 1],
    ];
    for (const [expr, value] of expected) {
      const got = await eventually(
        `${expr} = ${value} (Prometheus log: ${prometheusLog.slice(-2000)})`,
        async () => ((await sampleValue(expr)) === value ? value : undefined),
      );
      expect(got, expr).toBe(value);
    }
  }, 90_000);

  it("loads the shipped alert rules, which evaluate without errors and none fires on a healthy Signet", async () => {
    const checked = spawnSync("promtool", ["check", "rules", rulesFile], { encoding: "utf8" });
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    const rules = await eventually("the rules to be evaluated", async () => {
      const answer = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as {
        data: { groups: { name: string; rules: { name: string; health: string; state: string }[] }[] };
      };
      const group = answer.data.groups.find((g) => g.name === "signet");
      return group?.rules.every((rule) => rule.health === "ok") ? group.rules : undefined;
    });
    expect(rules.map((rule) => rule.name)).toContain("SignetBucketCheckFailing");
    // Not "inactive": on a loaded machine one slow scrape may put a rule in "pending", never past its `for`.
    expect(rules.filter((rule) => rule.state === "firing").map((rule) => rule.name)).toEqual([]);
  }, 60_000);

  it("answers every query of the shipped Grafana dashboard", async () => {
    const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8")) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const expr = target.expr.replaceAll("$instance", ".*").replaceAll("$__rate_interval", "1m");
        const answer = await query(expr);
        expect(answer, `${panel.title}: ${expr}`).toMatchObject({ status: "success" });
        // Every series a panel reads exists in Signet's exposition (a renamed metric fails here).
        for (const name of expr.match(/\bsignet_[a-z_]+/g) ?? []) {
          expect((await query(`count(${name})`)).data?.result.length, `${panel.title}: ${name}`).toBe(1);
        }
      }
    }
  }, 60_000);
});
