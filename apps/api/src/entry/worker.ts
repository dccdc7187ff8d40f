// Cloudflare Workers entry (wrangler.jsonc): `{ fetch, scheduled }` over the same app every runtime serves.
// What differs from Node is only here and in @signet/db's factory: settings come from bindings, the database is
// D1 (or libSQL over HTTP), storage is a real S3 endpoint (R2; no embedded local-s3, Workers have no disk), the
// SPA comes from the static assets binding, and the sweeper runs on a Cron Trigger instead of a timer.
import type { D1Database, Fetcher, ScheduledController } from "@cloudflare/workers-types";
import { createDb, type Database, isFileDatabaseUrl } from "@signet/db";
import { createSigner } from "@signet/signer";
import { createApp } from "../app.ts";
import { createAuth } from "../auth.ts";
import { type AppDeps, jsonLogger } from "../deps.ts";
import { type Config, ConfigError, parseBindings } from "../env.ts";
import { redactingLogger } from "../http/redact.ts";
import { SWEEP_GRACE_SECONDS, sweep } from "../services/sweeper.ts";

/** What wrangler.jsonc binds: the D1 database, the built SPA, and the vars/secrets `parseBindings` reads. */
export interface WorkerEnv {
  DB?: D1Database;
  ASSETS?: Fetcher;
  [name: string]: unknown;
}

type Handler = (request: Request) => Promise<Response>;

/** The parts that need no request: enough for the Cron Trigger's sweep. */
interface Core {
  config: Config;
  db: Database;
  signer: AppDeps["signer"];
  logger: AppDeps["logger"];
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
    db = await createDb({
      url: config.databaseUrl,
      ...(config.databaseAuthToken ? { authToken: config.databaseAuthToken } : {}),
    });
  }
  const signer = createSigner({
    endpoint: config.s3.endpoint,
    bucket: config.s3.bucket,
    region: config.s3.region,
    accessKeyId: config.s3.accessKeyId!,
    secretAccessKey: config.s3.secretAccessKey!,
  });
  return { config, db, signer, logger: redactingLogger(jsonLogger) };
}

/**
 * Assembles the app from a Worker's bindings, as start.ts does for the other runtimes. PUBLIC_URL defaults to
 * the origin of the first request the isolate serves (wrangler dev's or workers.dev's URL); set it in production.
 */
export function composeWorker(core: Core, origin: string, assets: Fetcher | undefined): Handler {
  const { config, db, signer, logger } = core;
  const publicUrl = config.publicUrl ?? origin;
  const clock = () => new Date();
  const auth = createAuth({ db, secret: config.betterAuthSecret!, publicUrl, clock });
  const deps: AppDeps = {
    db,
    signer,
    auth,
    clock,
    logger,
    config: {
      publicUrl,
      s3Origin: new URL(config.s3.endpoint!).origin,
      storage: "s3",
      database: "remote",
      ...config.limits,
      sweepGraceSeconds: SWEEP_GRACE_SECONDS,
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
  };
  const app = createApp(deps);
  // Cloudflare sets CF-Connecting-IP itself (a client's copy never reaches the Worker): the connection's peer.
  return async (request) =>
    app.fetch(request, { address: request.headers.get("cf-connecting-ip") ?? undefined });
}

// One assembly per isolate and bindings object; a failed one is retried by the next event.
const cores = new WeakMap<object, Promise<Core>>();
const handlers = new WeakMap<object, Promise<Handler>>();

function coreFor(env: WorkerEnv): Promise<Core> {
  let core = cores.get(env);
  if (!core) {
    core = openCore(env);
    cores.set(env, core);
    core.catch(() => cores.delete(env));
  }
  return core;
}

function handlerFor(env: WorkerEnv, origin: string): Promise<Handler> {
  let handler = handlers.get(env);
  if (!handler) {
    handler = coreFor(env).then((core) => composeWorker(core, origin, env.ASSETS));
    handlers.set(env, handler);
    handler.catch(() => handlers.delete(env));
  }
  return handler;
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
  async fetch(request: Request, env: WorkerEnv): Promise<Response> {
    let handler: Handler;
    try {
      handler = await handlerFor(env, new URL(request.url).origin);
    } catch (error) {
      return misconfigured(error);
    }
    return handler(request);
  },

  /** The Cron Trigger: the same sweep the Node timer runs. */
  async scheduled(_controller: ScheduledController, env: WorkerEnv): Promise<void> {
    const core = await coreFor(env);
    const result = await sweep({
      ...core,
      clock: () => new Date(),
      config: { sweepGraceSeconds: SWEEP_GRACE_SECONDS },
    });
    if (result.ready + result.rejected + result.stagingRemoved + result.purged > 0) {
      core.logger({ level: "info", msg: "sweep", ...result });
    }
  },
};
