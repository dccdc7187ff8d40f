/**
 * What the app needs from the outside world. Everything here is injected, so tests wire real pieces (a libSQL
 * file, a local-s3 on port 0, a fixed clock) and each runtime entry wires the same ones.
 */
import type { Database, event } from "@signet/db";
import type { Signer } from "@signet/signer";
import type { Auth } from "./auth.ts";
import type { Limits, ObservabilityConfig, WebhooksConfig } from "./env.ts";
import type { Clock, Logger, TraceScope } from "./ground.ts";
import type { DevMailbox } from "./mail/mailer.ts";

export type { Clock, LogEntry, Logger } from "./ground.ts";

/** The part of @signet/signer's `Signer` the API uses. */
export type Storage = Pick<
  Signer,
  | "presignPut"
  | "presignGet"
  | "headObject"
  | "getObjectRange"
  | "copyObject"
  | "deleteObject"
  | "listObjects"
  | "abortMultipartUpload"
  | "createMultipartUpload"
  | "presignUploadPart"
  | "listParts"
  | "completeMultipartUpload"
  | "listMultipartUploads"
>;

/** What the app is configured with: the limits of `Config`, plus what start-up decided. Built by `appConfig`. */
export interface AppConfig extends Limits {
  /** Origin of the SPA: CORS, CSRF and Better Auth's base URL. */
  publicUrl: string;
  /** Origin of the S3 endpoint the browser talks to (for the CSP). */
  s3Origin: string;
  storage: "local" | "s3";
  database: "file" | "remote";
  /**
   * Believe X-Forwarded-For (a proxy in front of Signet sets it). Otherwise the audit trail and Better Auth use
   * the socket's address when the runtime gives it, and nothing a client could forge.
   */
  trustProxy: boolean;
  /** How long after an upload URL expires the sweeper waits before resolving the upload. */
  sweepGraceSeconds: number;
  /** Webhook delivery and the receivers allowed. */
  webhooks: WebhooksConfig;
  /** REQUIRE_EMAIL_VERIFICATION: unverified accounts may sign in but not issue upload URLs. */
  requireEmailVerification?: boolean;
  /** Metrics, readiness and traces; defaults when not given (metrics on, bucket checks every 300 s, no traces). */
  observability?: ObservabilityConfig;
  /** A file database's URL (`file:`), for the readiness probe's own connection. */
  databaseFileUrl?: string;
}

/** Whether the database and the bucket answer (observability/readiness.ts). */
export interface ReadinessReport {
  ok: boolean;
  checks: Record<"database" | "bucket", { ok: boolean; error?: string }>;
}

/** What the app reports to, and asks of, observability (observability/observability.ts implements it). */
export interface Observer {
  /** Whether this instance can serve: the answer of /readyz and of the `health` procedure. */
  readiness(): Promise<ReadinessReport>;
  /** A tRPC procedure finished (REST routes call procedures too): counts the URLs it issued or was refused. */
  procedureSettled(path: string, error: { code: string; message: string } | undefined): void;
  /**
   * The database, storage and logger of one sampled request (or background pass): each statement and storage
   * call a span under `scope`, each log line carrying its ids.
   */
  traced(scope: TraceScope): Pick<AppDeps, "db" | "storage" | "logger">;
}

/** Told about outbox events after their batch committed (typed hooks, the first delivery attempt). */
export interface EventSink {
  committed(events: (typeof event.$inferSelect)[]): void;
}

/** The inner context's building blocks: no HTTP in here. */
export interface AppDeps {
  db: Database;
  storage: Storage;
  auth: Auth;
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  /** Metrics, readiness and traces (set by createSignet). */
  observer?: Observer | undefined;
  /** Hears of events once their batch committed: the typed hooks and the first webhook attempt (signet.ts). */
  events?: EventSink | undefined;
  /** The development mailbox, served at /dev/mail, when no SMTP server is configured. */
  devMailbox?: DevMailbox | undefined;
  /**
   * Answers GET/HEAD outside /api and /trpc with the built SPA, if given. A runtime seam: files from WEB_DIST_DIR
   * on Node, Bun and Deno (http/static.ts), the static assets binding on Workers.
   */
  spa?: (request: Request) => Promise<Response>;
}
