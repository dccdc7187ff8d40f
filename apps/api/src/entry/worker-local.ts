// Runs the Cloudflare Worker locally under workerd (miniflare), as `wrangler dev` would but with everything a
// test needs in hand: the bundle `wrangler deploy` would upload, a local D1 (persisted under DATA_DIR, migrated with
// the committed migrations), the SPA through the assets binding, and the embedded local-s3 in Node as the R2
// stand-in. Clients reach each Worker instance through worker-proxy.ts, which keeps their connections alive the way
// the Node entry does (workerd's own HTTP server drops them under scripts). Node-only (it is the Worker's local
// harness, not part of the Worker). Used by `pnpm dev:worker` and the Worker tests.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { closeDb, createDb, type Database } from "@signet/db";
import { migrate } from "@signet/db/migrate";
import { createLocalS3 } from "@signet/local-s3";
import { createSigner } from "@signet/signer";
import { Log, LogLevel, Miniflare, type WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { loadDevSecrets } from "../start.ts";
import { spaCorsRule } from "../storage/cors-rule.ts";
import { proxyToWorker } from "./worker-proxy.ts";

const apiDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The Worker's configuration, also what `wrangler deploy` reads. */
export const wranglerConfig = join(apiDir, "wrangler.jsonc");
const wranglerBin = resolve(apiDir, "node_modules/wrangler/bin/wrangler.js");

/**
 * Bundles the Worker exactly as `wrangler deploy` does (its esbuild, its workerd export conditions) into
 * `outDir`, without deploying. Needs the SPA built (apps/web/dist): wrangler checks the assets directory.
 */
export async function buildWorkerBundle(outDir?: string): Promise<string> {
  const dir = outDir ?? (await mkdtemp(join(tmpdir(), "signet-worker-")));
  const args = [wranglerBin, "deploy", "--dry-run", "--outdir", dir, "--config", wranglerConfig];
  const output = await new Promise<string>((done, fail) => {
    const child = spawn(process.execPath, args, {
      cwd: apiDir,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => {
      text += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      text += chunk;
    });
    child.once("error", fail);
    child.once("exit", (code) =>
      code === 0
        ? done(text)
        : fail(new Error(`wrangler could not bundle the Worker (exit ${code}):\n${text}`)),
    );
  });
  if (!/dry-run: exiting now/.test(output)) throw new Error(`unexpected wrangler output:\n${output}`);
  return join(dir, "worker.js");
}

export interface LocalWorkerOptions {
  /** Holds the D1 database (`d1/`), local-s3's objects (`s3/`) and the generated dev secrets. */
  dataDir: string;
  /** The bundle from `buildWorkerBundle`. */
  bundle: string;
  /** Port of the first instance (0 = any free port). Each instance is served through `proxyToWorker`. */
  port?: number;
  /** Port of local-s3 (default 0 = any free port). */
  s3Port?: number;
  /** How many Worker instances (separate isolates) share the one D1 database; each gets its own port. */
  instances?: number;
  /** Extra vars, as `wrangler.jsonc`'s `vars` (e.g. RATE_LIMIT_PER_MINUTE). */
  vars?: Record<string, string>;
  /** Receives each line the Worker writes (its JSON log); defaults to this process's stdout. */
  onOutput?: (line: string) => void;
}

export interface LocalWorker {
  /** One URL per instance; the first is the main one. */
  urls: string[];
  s3Endpoint: string;
  /** The shared D1 database seen from Node (through miniflare's proxy), for checks and seeding. */
  db: Database;
  /** Fires the Cron Trigger on one instance, as Cloudflare does once a minute. */
  scheduled(instance?: number): Promise<void>;
  close(): Promise<void>;
}

const HOST = "127.0.0.1";

/** Starts local-s3, then the Worker (with its D1 migrated) on workerd. */
export async function startLocalWorker(options: LocalWorkerOptions): Promise<LocalWorker> {
  const { dataDir, bundle } = options;
  const count = options.instances ?? 1;
  const secrets = await loadDevSecrets(dataDir);
  const credentials = { accessKeyId: secrets.accessKeyId, secretAccessKey: secrets.secretAccessKey };
  await mkdir(join(dataDir, "s3"), { recursive: true });
  const s3 = await createLocalS3({ dir: join(dataDir, "s3"), credentials: [credentials] }).listen({
    port: options.s3Port ?? 0,
    hostname: HOST,
  });
  const closers: (() => Promise<void>)[] = [() => s3.close()];
  try {
    const signer = createSigner({ endpoint: s3.url, bucket: "signet", ...credentials });
    await signer.createBucket();

    const { workerOptions } = unstable_getMiniflareWorkerOptions(wranglerConfig);
    // What `wrangler secret put` holds in production; the endpoint is local-s3 instead of R2.
    const bindings = {
      ...(workerOptions.bindings as Record<string, string>),
      S3_ENDPOINT: s3.url,
      S3_BUCKET: "signet",
      S3_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      BETTER_AUTH_SECRET: secrets.betterAuthSecret,
      ...options.vars,
    };
    const workers: WorkerOptions[] = Array.from({ length: count }, (_, i) => ({
      ...(workerOptions as WorkerOptions),
      name: i === 0 ? "signet" : `signet-${i + 1}`,
      modules: [{ type: "ESModule", path: bundle }],
      // Module names are relative to this root; workerd refuses names that climb out with "..".
      modulesRoot: dirname(bundle),
      bindings,
      // The first instance is served on Miniflare's own port; the others on sockets of their own.
      ...(i === 0 ? {} : { unsafeDirectSockets: [{ host: HOST, port: 0 }] }),
    }));
    const mf = new Miniflare({
      workers,
      host: HOST,
      // workerd's own sockets stay internal; clients reach each instance through its proxy below.
      port: 0,
      d1Persist: join(dataDir, "d1"),
      log: new Log(process.env.SIGNET_MF_DEBUG ? LogLevel.DEBUG : LogLevel.WARN),
      // No network here or in CI: the Request.cf placeholder instead of fetching the real one.
      cf: false,
      handleRuntimeStdio(stdout: Readable, stderr: Readable) {
        for (const stream of [stdout, stderr]) {
          createInterface({ input: stream }).on("line", options.onOutput ?? ((line) => console.log(line)));
        }
      },
    });
    closers.unshift(() => mf.dispose());
    const sockets = [(await mf.ready).origin];
    for (let i = 1; i < count; i++) sockets.push((await mf.unsafeGetDirectURL(workers[i]!.name!)).origin);
    const urls: string[] = [];
    for (const [i, socket] of sockets.entries()) {
      const proxy = await proxyToWorker(socket, HOST, i === 0 ? (options.port ?? 0) : 0);
      closers.unshift(() => proxy.close());
      urls.push(proxy.url);
    }

    const db = await createDb({ d1: (await mf.getD1Database("DB")) as never });
    closers.unshift(async () => closeDb(db));
    await migrate(db);

    // The browser PUTs to local-s3 from the Worker's origin (and its localhost spelling).
    const origins = urls.flatMap((url) => [url, url.replace(`//${HOST}:`, "//localhost:")]);
    await signer.putBucketCors([{ ...spaCorsRule(origins[0]!), allowedOrigins: origins }]);

    return {
      urls,
      s3Endpoint: s3.url,
      db,
      async scheduled(instance = 0) {
        const worker = await mf.getWorker(workers[instance]!.name!);
        const result = await worker.scheduled({ cron: "* * * * *" });
        if (result.outcome !== "ok") throw new Error(`scheduled event failed: ${result.outcome}`);
      },
      close: async () => {
        for (const close of closers.splice(0)) await close();
      },
    };
  } catch (error) {
    for (const close of closers.splice(0)) await close().catch(() => {});
    throw error;
  }
}
