/**
 * The HTTP side: a middleware that measures (and traces) every request by its route template, and the operator
 * endpoints /metrics, /livez and /readyz.
 */
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { routePath } from "hono/route";
import type { ReadinessReport } from "../deps.ts";
import type { Env } from "../http/session.ts";
import type { Observability } from "./observability.ts";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * The route label: the template the answering handler was registered with (`/api/files/:id`, never the id),
 * and for /trpc the procedure when it is one of the router's, so one label per procedure and never a path a
 * client made up.
 */
export function routeLabel(c: Context, procedures: ReadonlySet<string>): string {
  const route = routePath(c);
  if (route !== "/trpc/*") return route;
  const name = c.req.path.slice("/trpc/".length);
  if (name.includes(",")) return "/trpc/(batch)";
  return procedures.has(name) ? `/trpc/${name}` : "/trpc/(unknown)";
}

/** Measures each request: `signet_http_request_duration_seconds{route,method,status_class}` and its span. */
export function observeRequests(
  observability: Observability,
  procedures: ReadonlySet<string>,
): MiddlewareHandler<Env> {
  const { metrics, tracing } = observability;
  return (c, next) =>
    tracing.request(c.req.raw, async (span) => {
      c.set("trace", span.scope);
      const started = performance.now();
      await next();
      const status = c.res.status;
      const route = routeLabel(c, procedures);
      span.end(route, status);
      metrics?.httpDuration.observe(
        {
          route,
          method: METHODS.has(c.req.method) ? c.req.method : "other",
          status_class: `${Math.floor(status / 100)}xx`,
        },
        (performance.now() - started) / 1000,
      );
    });
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** Compares two strings in time that depends only on their lengths. */
function sameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i]!;
  return diff === 0;
}

/**
 * Who may read /metrics: with METRICS_TOKEN, `Authorization: Bearer <token>` (401 without credentials, 403 with
 * wrong ones); without it, a loopback peer that came through no proxy (403 otherwise). Null: allowed.
 */
function metricsRefusal(c: Context<Env>, token: string | undefined): Response | null {
  if (token) {
    const header = c.req.header("authorization");
    const given = header?.match(/^Bearer\s+(.+)$/i)?.[1];
    if (!given) {
      return c.json({ code: "UNAUTHORIZED", message: "Send Authorization: Bearer <METRICS_TOKEN>" }, 401, {
        "www-authenticate": 'Bearer realm="metrics"',
      });
    }
    return sameSecret(given, token)
      ? null
      : c.json({ code: "FORBIDDEN", message: "Wrong metrics token" }, 403);
  }
  const address = c.env?.address;
  // A proxy on this machine would make every visitor look local: a forwarded request needs the token.
  const proxied = c.req.header("x-forwarded-for") !== undefined || c.req.header("forwarded") !== undefined;
  if (address && LOOPBACK.test(address) && !proxied) return null;
  return c.json(
    {
      code: "FORBIDDEN",
      message: "Metrics answer loopback only; set METRICS_TOKEN to scrape from elsewhere",
    },
    403,
  );
}

/** The readiness answer with each dependency's `ok` only. */
export function withoutErrors(ready: ReadinessReport): ReadinessReport {
  return {
    ok: ready.ok,
    checks: { database: { ok: ready.checks.database.ok }, bucket: { ok: ready.checks.bucket.ok } },
  };
}

/** GET /metrics, /livez and /readyz. */
export function operatorRoutes(observability: Observability): Hono<Env> {
  const routes = new Hono<Env>();
  const { metrics } = observability;

  routes.get("/livez", (c) => c.json({ ok: true }));

  routes.get("/readyz", async (c) => {
    const ready = await observability.readiness();
    const failing = Object.entries(ready.checks)
      .filter(([, state]) => !state.ok)
      .map(([dependency]) => dependency);
    // The dependencies' own error texts (hosts, paths) only for those who may read /metrics; the log has them too.
    const answer = metricsRefusal(c, observability.config.metricsToken) ? withoutErrors(ready) : ready;
    return c.json({ ...answer, ...(failing.length ? { failing } : {}) }, ready.ok ? 200 : 503);
  });

  routes.get("/metrics", async (c) => {
    if (!metrics) return c.json({ code: "NOT_FOUND", message: "Metrics are off (METRICS_ENABLED)" }, 404);
    const refused = metricsRefusal(c, observability.config.metricsToken);
    if (refused) return refused;
    await observability.refresh();
    return c.body(await metrics.registry.metrics(), 200, {
      "content-type": metrics.registry.contentType,
      "cache-control": "no-store",
    });
  });

  return routes;
}
