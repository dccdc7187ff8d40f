/** A request id on every answer, `no-store` on API answers, and one log line per request. */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../ground.ts";
import type { Env } from "./session.ts";

export function requestLog(logger: Logger): MiddlewareHandler<Env> {
  return async (c, next) => {
    const requestId = crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("actor", null);
    const started = performance.now();
    await next();
    c.res.headers.set("x-request-id", requestId);
    // API answers carry signed URLs and account data: no cache, shared or private, may keep them.
    const path = c.req.path;
    if ((path.startsWith("/trpc/") || path.startsWith("/api/")) && !c.res.headers.has("cache-control")) {
      c.res.headers.set("cache-control", "no-store");
    }
    logger({
      level: "info",
      msg: "request",
      id: requestId,
      method: c.req.method,
      // A link's token is its secret: the line names the route, never the token.
      path: c.req.path.replace(/^\/(s|u)\/[^/]+/, "/$1/:token"),
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      userId: c.get("actor")?.id ?? null,
      ...c.get("trace")?.ids,
    });
  };
}
