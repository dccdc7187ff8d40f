/**
 * A full disk (the database's or the embedded storage's) is the operator's problem, not a bug and not the
 * caller's fault: it answers 503 SERVICE_UNAVAILABLE with a message saying so, and the log line carries the
 * underlying error (SQLITE_FULL, ENOSPC) instead of a generic 500.
 */
import { TRPCError } from "@trpc/server";
import type { Logger } from "../ground.ts";
import { describeError } from "../redact.ts";

export const STORAGE_FULL_MESSAGE =
  "The server is out of storage space, so nothing could be saved; try again later (the operator has been told)";

const FULL_CODES = new Set(["SQLITE_FULL", "ENOSPC", "EDQUOT"]);
const FULL_TEXT = /database or disk is full|no space left on device|disk quota exceeded/i;

/** Whether the error, or any error it wraps, says the disk is full. */
export function isStorageFull(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 8; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === "string" && FULL_CODES.has(code)) return true;
    if (typeof message === "string" && FULL_TEXT.test(message)) return true;
    e = cause;
  }
  return false;
}

/** Logs the underlying error under the request's id. */
export function logStorageFull(logger: Logger, error: unknown, fields: Record<string, unknown>) {
  logger({ level: "error", msg: "storage full", ...fields, error: describeError(error) });
}

/** The TRPCError a procedure answers for a full disk; the original error stays as its cause. */
export function storageFullError(cause: unknown): TRPCError {
  return new TRPCError({ code: "SERVICE_UNAVAILABLE", message: STORAGE_FULL_MESSAGE, cause });
}
