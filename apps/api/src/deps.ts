/**
 * What the app needs from the outside world. Everything here is injected, so tests wire real pieces (a libSQL
 * file, a local-s3 on port 0, a fixed clock) and each runtime entry wires the same ones.
 */
import type { Database } from "@signet/db";
import type { Signer } from "@signet/signer";
import type { Auth } from "./auth.ts";
import type { Limits } from "./env.ts";

/** The current time. Injected so expiry can be tested without waiting. */
export type Clock = () => Date;

/** One structured log line. Never contains secrets, tokens, cookies or signed URLs. */
export type LogEntry = { level: "info" | "warn" | "error"; msg: string } & Record<string, unknown>;
export type Logger = (entry: LogEntry) => void;

/** Writes one JSON line per entry to stdout. */
export const jsonLogger: Logger = (entry) => {
  console.log(JSON.stringify({ time: new Date().toISOString(), ...entry }));
};

/** The part of @signet/signer's `Signer` the API uses. */
export type Storage = Pick<
  Signer,
  "presignPut" | "presignGet" | "headObject" | "getObjectRange" | "copyObject" | "deleteObject"
>;

/** What the app is configured with: the limits of `Config`, plus what start-up decided. */
export interface AppConfig extends Omit<Limits, "trustProxy"> {
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
  trustProxy?: boolean;
  /** How long after an upload URL expires the sweeper waits before resolving the upload. */
  sweepGraceSeconds: number;
}

/** The inner context's building blocks: no HTTP in here. */
export interface AppDeps {
  db: Database;
  signer: Storage;
  auth: Auth;
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  /**
   * Answers GET/HEAD outside /api and /trpc with the built SPA, if given. A runtime seam: files from WEB_DIST_DIR
   * on Node, Bun and Deno (http/static.ts), the static assets binding on Workers.
   */
  spa?: (request: Request) => Promise<Response>;
}
