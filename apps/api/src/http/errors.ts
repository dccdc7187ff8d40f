/**
 * The one error writer of the HTTP edge: REST routes, the Uppy routes, policy refusals and the app's last-resort
 * handler all answer `{ code, message, field?, error: { code, message } }` (the document's `Error` schema) with the
 * HTTP status of tRPC's own table and Retry-After when due. tRPC clients get tRPC's envelope from tRPC itself.
 */
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ErrorBody } from "../contract/common.ts";
import type { Logger } from "../ground.ts";
import { describeError } from "../redact.ts";
import { retryAfterSeconds } from "../services/limits.ts";
import { isStorageFull, logStorageFull, storageFullError } from "../services/storage-full.ts";
import { fieldOf, respellField } from "../trpc/field.ts";
import type { Env } from "./session.ts";

/** The refusal as a response; `statusText` for the clients (Uppy) that show only the reason phrase. */
export function errorResponse(c: Context<Env>, error: TRPCError, statusText?: string): Response {
  const retryAfter = retryAfterSeconds(error);
  if (retryAfter) c.header("retry-after", String(retryAfter));
  const message = respellField(error.message);
  const field = fieldOf(error);
  // `error` repeats the two fields in the envelope of Signet's first REST routes, which clients already read.
  const body: ErrorBody = {
    code: error.code,
    message,
    ...(field ? { field } : {}),
    error: { code: error.code, message },
  };
  const response = c.json(body, getHTTPStatusCodeFromError(error) as 400);
  if (statusText === undefined) return response;
  return new Response(response.body, { status: response.status, statusText, headers: response.headers });
}

/**
 * What an error that escaped a handler means to the caller: a full disk is SERVICE_UNAVAILABLE, hono's own
 * refusals of a body keep their meaning, and anything else is logged and answered INTERNAL_SERVER_ERROR with
 * the request id only.
 */
export function refusalOf(error: unknown, logger: Logger, requestId: string): TRPCError {
  if (error instanceof TRPCError && error.code !== "INTERNAL_SERVER_ERROR") return error;
  if (isStorageFull(error)) {
    logStorageFull(logger, error, { id: requestId });
    return storageFullError(error);
  }
  if (error instanceof HTTPException && error.status === 415) {
    return new TRPCError({
      code: "UNSUPPORTED_MEDIA_TYPE",
      message: "The body must be JSON, sent with content-type: application/json",
    });
  }
  logger({ level: "error", msg: "unexpected error", id: requestId, error: describeError(error) });
  return new TRPCError({
    code: "INTERNAL_SERVER_ERROR",
    message: `Internal error (request id ${requestId})`,
  });
}
