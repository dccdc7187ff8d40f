/** The tRPC mount at /trpc: one context per request, Retry-After on rate limits, internal errors logged. */
import type { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { Context } from "hono";
import { describeError } from "../redact.ts";
import { retryAfterSeconds } from "../services/limits.ts";
import { createInnerContext, MAX_BATCH_SIZE } from "../trpc/init.ts";
import { appRouter } from "../trpc/root.ts";
import type { Env, Sessions } from "./session.ts";

/**
 * Answers a /trpc request. With `refusal` (decided by a policy before any procedure ran), tRPC itself answers
 * every call of the request with that error, in its own envelope, and the body is never read.
 */
export function trpcMount(session: Sessions) {
  return async (c: Context<Env>, refusal?: TRPCError): Promise<Response> => {
    const actor = refusal ? null : await session.actor(c);
    const requestDeps = session.deps(c);
    const req = refusal
      ? new Request(c.req.url, { method: c.req.method, headers: c.req.raw.headers })
      : c.req.raw;
    return fetchRequestHandler({
      endpoint: "/trpc",
      req,
      router: appRouter,
      allowMethodOverride: false,
      maxBatchSize: MAX_BATCH_SIZE,
      createContext: () => {
        if (refusal) throw refusal;
        return createInnerContext(requestDeps, actor, session.requestMeta(c));
      },
      responseMeta({ errors }) {
        const seconds = Math.max(0, ...errors.map((e) => retryAfterSeconds(e) ?? 0));
        return seconds > 0 ? { headers: { "retry-after": String(seconds) } } : {};
      },
      onError({ error, path }) {
        if (error.code === "INTERNAL_SERVER_ERROR") {
          requestDeps.logger({
            level: "error",
            msg: "unexpected error",
            id: c.get("requestId"),
            procedure: path ?? null,
            error: describeError(error.cause ?? error),
          });
        }
      },
    });
  };
}
