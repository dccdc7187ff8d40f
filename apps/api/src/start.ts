/**
 * Start-up shared by every runtime: configuration, dev secrets, database, storage (the embedded local-s3 or a
 * real bucket), the app, the sweeper. The runtime seam is `serve`, passed in by each entry file.
 */
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { closeDb, type Database, isFileDatabaseUrl } from "@signet/db";
import { migrate } from "@signet/db/migrate";
import { cacheStatements } from "@signet/db/native";
import { createLocalS3, generateCredentials } from "@signet/local-s3";
import { createSigner, type Signer } from "@signet/signer";
import { markInstance } from "./backup/instances.ts";
import { scheduleBackups } from "./backup/schedule.ts";
import { databaseFilePath } from "./backup/sqlite.ts";
import { bucketSigner, connectDatabase } from "./connect.ts";
import { type Config, parseEnv, readEnv } from "./env.ts";
import { jsonLogger, type Logger, type Peer } from "./ground.ts";
import { builtSpaDir, spaHandler } from "./http/static.ts";
import { mailerFor } from "./mail/smtp.ts";
import { redactingLogger } from "./redact.ts";
import { appConfig, createSignet } from "./signet.ts";
import { spaCorsRule } from "./storage/cors-rule.ts";
import { warnAboutStorage } from "./storage/doctor.ts";

/** Serves a fetch handler on a port (0 = any free port); the only runtime-specific piece. */
export type Serve = (
  /** `peer` is the connection's other end, as the runtime reports it. */
  fetch: (request: Request, peer?: Peer) => Response | Promise<Response>,
  options: { port: number; hostname: string },
) => Promise<{ port: number; close(): Promise<void> }>;

export interface StartOptions {
  /** Raw environment variables; defaults to the process environment. */
  env?: Record<string, string | undefined>;
  /** Values for process environment variables that are unset or empty (ignored when `env` is given). */
  envDefaults?: Record<string, string>;
  serve: Serve;
  /** Where the "listening" lines go; defaults to stdout. */
  print?: (line: string) => void;
  logger?: Logger;
  /** How often the sweeper runs, in ms (default one minute; 0 disables it). */
  sweepIntervalMs?: number;
}

export interface RunningSignet {
  publicUrl: string;
  port: number;
  s3Endpoint: string;
  close(): Promise<void>;
}

/** Secrets generated on first start when the environment gives none, kept under DATA_DIR. */
interface DevSecrets {
  betterAuthSecret: string;
  accessKeyId: string;
  secretAccessKey: string;
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, (c) =>
    c === "+" ? "-" : c === "/" ? "_" : "",
  );
}

async function readDevSecrets(path: string): Promise<DevSecrets | null> {
  try {
    const stored = JSON.parse(await readFile(path, "utf8")) as Partial<DevSecrets>;
    if (stored.betterAuthSecret && stored.accessKeyId && stored.secretAccessKey) return stored as DevSecrets;
    throw new Error("incomplete");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return null;
    throw new Error(`${path}: unreadable dev secrets file`);
  }
}

/**
 * Reads `DATA_DIR/dev-secrets.json`, creating it (owner-only) on first start. Creation is a complete temp file
 * hard-linked into place, which fails if the file exists: of several starts racing on a fresh data directory,
 * one writes the secrets and the others read exactly those (never a half-written file, never a second set).
 */
export async function loadDevSecrets(dataDir: string): Promise<DevSecrets> {
  const path = join(dataDir, "dev-secrets.json");
  const existing = await readDevSecrets(path);
  if (existing) return existing;
  const secrets: DevSecrets = { betterAuthSecret: randomSecret(), ...generateCredentials() };
  await mkdir(dataDir, { recursive: true });
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  await writeFile(temp, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  try {
    await link(temp, path);
    return secrets;
  } catch (error) {
    if ((error as { code?: string }).code !== "EEXIST") throw error;
    const winner = await readDevSecrets(path);
    if (!winner) throw error;
    return winner;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/** Opens (creating the directory of a file database) and migrates the database. */
export async function openDatabase(config: Config): Promise<Database> {
  if (isFileDatabaseUrl(config.databaseUrl)) {
    const path = config.databaseUrl.slice("file:".length);
    if (path && !path.startsWith(":memory:")) {
      const fsPath = path.startsWith("//") ? fileURLToPath(config.databaseUrl) : path;
      await mkdir(dirname(fsPath), { recursive: true });
    }
    cacheStatements();
  }
  const db = await connectDatabase(config);
  await migrate(db);
  return db;
}

function urlHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "::") return "localhost";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/** The storage the app signs for: a real bucket as configured, or the embedded local-s3 started here. */
export async function startStorage(
  config: Config,
  serve: Serve,
  dev: () => Promise<DevSecrets>,
): Promise<{ signer: Signer; endpoint: string; local: boolean; close(): Promise<void> }> {
  if (config.s3.endpoint) {
    const signer = bucketSigner(config.s3.endpoint, config.s3);
    return { signer, endpoint: config.s3.endpoint, local: false, close: async () => {} };
  }
  const secrets = await dev();
  const credentials = {
    accessKeyId: config.s3.accessKeyId ?? secrets.accessKeyId,
    secretAccessKey: config.s3.secretAccessKey ?? secrets.secretAccessKey,
  };
  await mkdir(config.localS3.dir, { recursive: true });
  const localS3 = createLocalS3({
    dir: config.localS3.dir,
    credentials: [credentials],
    region: config.s3.region,
  });
  const server = await serve(localS3.fetch, { port: config.localS3.port, hostname: config.host });
  const endpoint = `http://${urlHost(config.host)}:${server.port}`;
  const signer = createSigner({
    endpoint,
    bucket: config.s3.bucket,
    region: config.s3.region,
    ...credentials,
  });
  await signer.createBucket();
  return { signer, endpoint, local: true, close: () => server.close() };
}

/** Starts Signet: migrate, storage, bind the API, build the app, sweep periodically. */
export async function startSignet(options: StartOptions): Promise<RunningSignet> {
  const config = options.env ? parseEnv(options.env) : readEnv(options.envDefaults);
  const print = options.print ?? ((line: string) => console.log(line));
  const logger = redactingLogger(options.logger ?? jsonLogger);
  let secrets: Promise<DevSecrets> | undefined;
  const dev = () => {
    secrets ??= loadDevSecrets(config.dataDir);
    return secrets;
  };

  const db = await openDatabase(config);
  const closers: (() => Promise<void>)[] = [async () => closeDb(db)];
  try {
    // A mark beside a file database that `signet restore` checks; removed last, once the database is closed.
    const databaseFile = databaseFilePath(config.databaseUrl);
    if (databaseFile) closers.push(await markInstance(databaseFile));
    const storage = await startStorage(config, options.serve, dev);
    closers.unshift(storage.close);
    if (storage.local) print(`local-s3 listening on ${storage.endpoint}`);

    // Bind first: with PORT=0 and no PUBLIC_URL the public URL depends on the port we get.
    let handler: ((request: Request, peer?: Peer) => Response | Promise<Response>) | undefined;
    const api = await options.serve(
      (request, peer) => (handler ? handler(request, peer) : new Response("Starting", { status: 503 })),
      { port: config.port, hostname: config.host },
    );
    closers.unshift(api.close);
    const publicUrl = config.publicUrl ?? `http://localhost:${api.port}`;

    if (storage.local) {
      await storage.signer.putBucketCors([spaCorsRule(publicUrl)]);
    } else {
      // The quick doctor against a real bucket, in the background: warnings only, never a refused start.
      void warnAboutStorage({ storage: storage.signer, origin: publicUrl, logger });
    }

    const settled = appConfig(config, {
      publicUrl,
      s3Endpoint: storage.endpoint,
      storage: storage.local ? "local" : "s3",
    });
    const authSecret = config.betterAuthSecret ?? (await dev()).betterAuthSecret;
    const { mailer, devMailbox, missing } = mailerFor(config.accounts, !storage.local);
    if (missing) logger({ level: "warn", msg: missing });
    const signet = createSignet(settled, {
      db,
      storage: storage.signer,
      authSecret,
      logger,
      mailer,
      devMailbox,
      spa: spaHandler(config.webDistDir ?? builtSpaDir),
    });
    handler = signet.fetch;
    // Spans still batched go out once the API has drained its last requests (right after its closer).
    closers.splice(closers.indexOf(api.close) + 1, 0, () =>
      signet.observability.tracing.shutdown().catch((error: unknown) => {
        logger({ level: "warn", msg: "traces: the last export failed", error: String(error) });
      }),
    );

    const interval = options.sweepIntervalMs ?? 60_000;
    if (interval > 0) {
      let running = false;
      const timer = setInterval(async () => {
        if (running) return;
        running = true;
        try {
          const result = await signet.sweep();
          if (Object.values(result).some((n) => n > 0)) {
            logger({ level: "info", msg: "sweep", ...result });
          }
        } catch (error) {
          logger({ level: "warn", msg: "sweep failed", error: String(error) });
        } finally {
          running = false;
        }
      }, interval);
      // Never keep the process alive just for the sweeper.
      (timer as { unref?: () => void }).unref?.();
      closers.unshift(async () => clearInterval(timer));
    }

    if (config.backup) closers.unshift(scheduleBackups(db, config.databaseUrl, config.backup, logger));

    print(devMailbox ? `mail: development mailbox at ${publicUrl}/dev/mail` : `mail: ${mailer.description}`);
    print(`signet listening on ${publicUrl}`);
    return {
      publicUrl,
      port: api.port,
      s3Endpoint: storage.endpoint,
      close: async () => {
        for (const close of closers.splice(0)) await close();
      },
    };
  } catch (error) {
    for (const close of closers.splice(0)) await close().catch(() => {});
    throw error;
  }
}
