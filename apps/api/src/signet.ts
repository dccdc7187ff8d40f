/**
 * The one assembly: configuration and the outside world in, a running Signet out. Used by every runtime's
 * start-up (start.ts, and the Workers entry), the test harness and the CLI, so they all run the same wiring.
 * Runtime-agnostic: no file system and no embedded storage in here; whoever calls it opened those already.
 */
import { type Database, isFileDatabaseUrl } from "@signet/db";
import { createApp } from "./app.ts";
import { type Auth, createAuth } from "./auth.ts";
import type { AppConfig, AppDeps, EventSink, Storage } from "./deps.ts";
import type { Config } from "./env.ts";
import { type Clock, jsonLogger, type Logger, type Peer } from "./ground.ts";
import { createDevMailbox, type DevMailbox, type Mailer } from "./mail/mailer.ts";
import {
  createObservability,
  DEFAULT_OBSERVABILITY,
  type Observability,
} from "./observability/observability.ts";
import { redactingLogger } from "./redact.ts";
import { recordAudit } from "./services/audit.ts";
import { runHooks, type SignetHooks } from "./services/hooks.ts";
import { type SweepOptions, type SweepResult, sweep } from "./services/sweeper.ts";
import { deliverDue } from "./services/webhook-delivery.ts";

/** How long after an upload URL expires the sweeper waits before settling the upload. */
export const SWEEP_GRACE_SECONDS = 300;

/** What start-up decided beside the parsed configuration: where the SPA and the storage really are. */
export interface Decided {
  publicUrl: string;
  /** The S3 endpoint the browser talks to (only its origin is kept, for the CSP). */
  s3Endpoint: string;
  storage: "local" | "s3";
  /** Where the database is, when DATABASE_URL does not say (a D1 binding on Workers is remote). */
  database?: "file" | "remote";
}

/** The app's configuration, assembled once from the parsed environment and what start-up decided. */
export function appConfig(config: Config, decided: Decided): AppConfig {
  const database = decided.database ?? (isFileDatabaseUrl(config.databaseUrl) ? "file" : "remote");
  return {
    ...config.limits,
    publicUrl: decided.publicUrl,
    s3Origin: new URL(decided.s3Endpoint).origin,
    storage: decided.storage,
    database,
    trustProxy: config.trustProxy,
    sweepGraceSeconds: SWEEP_GRACE_SECONDS,
    requireEmailVerification: config.accounts.requireEmailVerification,
    observability: config.observability,
    // The readiness probe opens its own connection to a file database (a D1 binding is remote: not this URL).
    ...(database === "file" ? { databaseFileUrl: config.databaseUrl } : {}),
    webhooks: config.webhooks,
  };
}

/** The outside world Signet runs against. */
export interface SignetDeps {
  db: Database;
  storage: Storage;
  /** At least 32 characters; signs session cookies and tokens. */
  authSecret: string;
  clock?: Clock;
  logger?: Logger;
  /** Where account mail goes (reset, verification); a fresh development mailbox when not given. */
  mailer?: Mailer;
  /** The development mailbox to show at /dev/mail, when mail stays on this machine. */
  devMailbox?: DevMailbox;
  /** Serves the built SPA (GET/HEAD outside the API): files on disk, or Workers' static assets. */
  spa?: AppDeps["spa"];
  /** Called after each event commits, typed by event (file.ready, …); errors are logged, never fatal. */
  hooks?: SignetHooks;
  /**
   * Keeps work started after a response alive (the first webhook attempt, the hooks): Workers pass the
   * request's `waitUntil`; elsewhere the process simply keeps running it.
   */
  background?: (work: Promise<unknown>) => void;
}

export interface Signet {
  /** The HTTP app (Hono): tRPC, Better Auth, the REST routes and the SPA. */
  app: ReturnType<typeof createApp>;
  /** The app's handler; `peer` is the connection's other end as the runtime reports it. */
  fetch(request: Request, peer?: Peer): Response | Promise<Response>;
  /** One sweeper pass: settles every pending upload that is due (runtimes call it on a timer or a cron). */
  sweep(options?: SweepOptions): Promise<SweepResult>;
  auth: Auth;
  /** The inner context's building blocks, for in-process callers (tests, CLI). */
  deps: AppDeps;
  /** Metrics, tracing and readiness (flush traces before the process exits). */
  observability: Observability;
}

/** Wires auth, the services and the HTTP app over the given database and storage. */
export function createSignet(config: AppConfig, outside: SignetDeps): Signet {
  const clock = outside.clock ?? (() => new Date());
  const { db } = outside;
  const logger = redactingLogger(outside.logger ?? jsonLogger);
  const { observability, storage } = createObservability(config.observability ?? DEFAULT_OBSERVABILITY, {
    db,
    storage: outside.storage,
    logger,
    origin: config.publicUrl,
    sweepGraceSeconds: config.sweepGraceSeconds,
    clock,
    databaseFileUrl: config.databaseFileUrl,
  });
  const devMailbox = outside.mailer ? outside.devMailbox : (outside.devMailbox ?? createDevMailbox(clock));
  const auth = createAuth({
    db,
    secret: outside.authSecret,
    publicUrl: config.publicUrl,
    clock,
    logger,
    mailer: outside.mailer ?? devMailbox,
    requireEmailVerification: config.requireEmailVerification === true,
    onProfileUpdate: (event) =>
      recordAudit(db, clock, {
        actorId: event.userId,
        action: "profile.update",
        objectKey: `user/${event.userId}`,
        request: event.request,
        detail: { via: event.via },
      }),
  });
  const deps: AppDeps = {
    db,
    storage,
    auth,
    config,
    clock,
    logger,
    observer: observability,
    ...(devMailbox ? { devMailbox } : {}),
    ...(outside.spa ? { spa: outside.spa } : {}),
  };
  // The first delivery attempt follows the commit at once, bounded by its timeout; retries come from sweep().
  const events: EventSink = {
    committed(rows) {
      const work = Promise.all([
        runHooks(outside.hooks ?? {}, rows, logger),
        deliverDue(deps, {
          budgetMs: config.webhooks.timeoutMs + 1000,
          eventIds: rows.map((r) => r.id),
        }).catch((error: unknown) =>
          logger({ level: "warn", msg: "first webhook attempt failed", error: String(error) }),
        ),
      ]);
      outside.background?.(work);
    },
  };
  deps.events = events;
  const app = createApp(deps, observability);
  return {
    app,
    fetch: (request, peer) => app.fetch(request, peer),
    sweep: (options) =>
      observability.tracing
        .root("sweep", (scope) => sweep(scope ? { ...deps, ...observability.traced(scope) } : deps, options))
        .then(
          (result) => {
            observability.swept(result);
            return result;
          },
          (error: unknown) => {
            observability.swept(undefined);
            throw error;
          },
        ),
    auth,
    deps,
    observability,
  };
}
