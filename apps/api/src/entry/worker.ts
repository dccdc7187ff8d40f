// Cloudflare Workers entry (wrangler.jsonc): `{ fetch, scheduled }` over the same app every runtime serves.
// What differs from Node is only here and in @signet/db's factory: settings come from bindings, the database is
// D1 (or libSQL over HTTP), storage is a real S3 endpoint (R2; no embedded local-s3, Workers have no disk), the
// SPA comes from the static assets binding, and the sweeper runs on a Cron Trigger instead of a timer.
import type { D1Database, ExecutionContext, Fetcher, ScheduledController } from "@cloudflare/workers-types";
import { createDb, type Database, isFileDatabaseUrl } from "@signet/db";
import { bucketSigner, connectDatabase } from "../connect.ts";
import type { Storage } from "../deps.ts";
import { type Config, ConfigError, parseBindings } from "../env.ts";
import { jsonLogger, type Logger } from "../ground.ts";
import { MAIL_NOT_CONFIGURED, unconfiguredMailer } from "../mail/mailer.ts";
import { redactingLogger } from "../redact.ts";
import { appConfig, createSignet, type Signet } from "../signet.ts";

/** What wrangler.jsonc binds: the D1 database, the built SPA, and the vars/secrets `parseBindings` reads. */
export interface WorkerEnv {
  DB?: D1Database;
  ASSETS?: Fetcher;
  [name: string]: unknown;
}

/** The parts that need no request: enough for the Cron Trigger's sweep. */
interface Core {
  config: Config;
  db: Database;
  storage: Storage;
  logger: Logger;
}

async function openCore(env: WorkerEnv): Promise<Core> {
  const config = parseBindings(env);
  if (!config.s3.endpoint) {
    throw new ConfigError(
      "S3_ENDPOINT: required on Workers, which have no embedded storage (or set CLOUDFLARE_ACCOUNT_ID for R2)",
    );
  }
  let db: Database;
  if (env.DB) db = await createDb({ d1: env.DB });
  else if (isFileDatabaseUrl(config.databaseUrl)) {
    throw new ConfigError(
      "DATABASE_URL: Workers cannot open files: bind a D1 database as DB or set a libsql:// URL",
    );
  } else {
    db = await connectDatabase(config);
  }
  const storage = bucketSigner(config.s3.endpoint, config.s3);
  const logger = redactingLogger(jsonLogger);
  // Workers cannot speak SMTP through nodemailer; until a mail binding exists, account mail is refused loudly.
  logger({ level: "warn", msg: MAIL_NOT_CONFIGURED });
  return { config, db, storage, logger };
}

/**
 * Assembles the app from a Worker's bindings with the same `createSignet` as every other runtime. PUBLIC_URL
 * defaults to the origin of the first request the isolate serves (wrangler dev's or workers.dev's URL); set it in
 * production.
 */
export function composeWorker(core: Core, origin: string, assets: Fetcher | undefined): Signet {
  const { config, db, storage, logger } = core;
  return createSignet(
    appConfig(config, {
      publicUrl: config.publicUrl ?? origin,
      s3Endpoint: config.s3.endpoint!,
      storage: "s3",
      database: "remote",
    }),
    {
      db,
      storage,
      authSecret: config.betterAuthSecret!,
      logger,
      mailer: unconfiguredMailer(),
      background: (work) => {
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
      },
      // The assets binding answers with immutable headers; a copy lets the app add its security headers.
      ...(assets
        ? {
            spa: async (request: Request) => {
              const response = await assets.fetch(request as never);
              return new Response(response.body as BodyInit | null, response as unknown as ResponseInit);
            },
          }
        : {}),
    },
  );
}

/**
 * Work started after a commit (the first webhook attempt, the hooks): the request that started it hands it to
 * `waitUntil`, so the isolate is not stopped under it once the response is sent.
 */
const inFlight = new Set<Promise<unknown>>();

// One assembly per isolate and bindings object; a failed one is retried by the next event.
const cores = new WeakMap<object, Promise<Core>>();
const signets = new WeakMap<object, Promise<Signet>>();

function coreFor(env: WorkerEnv): Promise<Core> {
  let core = cores.get(env);
  if (!core) {
    core = openCore(env);
    cores.set(env, core);
    core.catch(() => cores.delete(env));
  }
  return core;
}

function signetFor(env: WorkerEnv, origin: string): Promise<Signet> {
  let signet = signets.get(env);
  if (!signet) {
    signet = coreFor(env).then((core) => composeWorker(core, origin, env.ASSETS));
    signets.set(env, signet);
    signet.catch(() => signets.delete(env));
  }
  return signet;
}

function misconfigured(error: unknown): Response {
  const logger = redactingLogger(jsonLogger);
  const detail = error instanceof ConfigError ? error.message : String((error as Error)?.stack ?? error);
  logger({ level: "error", msg: "worker start failed", error: detail });
  // The variable's name tells the operator what to fix; the full message (with the value) stays in the log.
  const what = error instanceof ConfigError ? error.message.split(":")[0] : "see the Worker's logs";
  return new Response(`Signet is not configured correctly: ${what}\n`, {
    status: 500,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx?: ExecutionContext): Promise<Response> {
    let signet: Signet;
    try {
      signet = await signetFor(env, new URL(request.url).origin);
    } catch (error) {
      return misconfigured(error);
    }
    // Cloudflare sets CF-Connecting-IP itself (a client's copy never reaches the Worker): the connection's peer.
    const response = await signet.fetch(request, {
      address: request.headers.get("cf-connecting-ip") ?? undefined,
    });
    // A Worker's timers stop once it has answered: the request's spans are sent while it may still run.
    if (signet.observability.tracing.enabled) ctx?.waitUntil(signet.observability.tracing.flush());
    if (inFlight.size > 0) ctx?.waitUntil(Promise.allSettled([...inFlight]));
    return response;
  },

  /** The Cron Trigger: the same sweep the Node timer runs. */
  async scheduled(_controller: ScheduledController, env: WorkerEnv): Promise<void> {
    const core = await coreFor(env);
    // Not the cached app: a sweep needs no origin, and must not fix PUBLIC_URL before a request does.
    const signet = composeWorker(core, core.config.publicUrl ?? "http://localhost", undefined);
    const result = await signet.sweep();
    if (Object.values(result).some((n) => n > 0)) core.logger({ level: "info", msg: "sweep", ...result });
  },
};
