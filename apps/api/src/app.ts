/**
 * The Signet HTTP app: Better Auth at /api/auth/*, tRPC at /trpc, the REST compat routes, the built SPA.
 * Runtime-agnostic (a Hono app: `app.fetch(request, peer)`); each runtime entry only binds it to a port. This
 * file only composes; each concern lives in its own module under http/.
 */
import { TRPCError } from "@trpc/server";
import { type Context, Hono } from "hono";
import type { AppDeps } from "./deps.ts";
import { errorResponse, refusalOf } from "./http/errors.ts";
import { csrf, jsonBodyLimit, securityHeaders, spaCors } from "./http/policy.ts";
import { requestLog } from "./http/request-log.ts";
import { restApi } from "./http/rest.ts";
import { type Env, type Refuse, sessions } from "./http/session.ts";
import { SHARE_PREFIX, sharePages } from "./http/share-pages.ts";
import { trpcMount } from "./http/trpc.ts";
import { isUppyCompletion, UPPY_PREFIX, uppyRoutes } from "./http/uppy.ts";
import { devMailboxRoutes } from "./mail/dev-mailbox-page.ts";
import { observeRequests, operatorRoutes } from "./observability/http.ts";
import type { Observability } from "./observability/observability.ts";
import { redactingLogger } from "./redact.ts";
import { appRouter } from "./trpc/root.ts";

/** Builds the app from its dependencies; `observability` measures it and serves /metrics, /livez, /readyz. */
export function createApp(unsafeDeps: AppDeps, observability?: Observability) {
  const deps: AppDeps = { ...unsafeDeps, logger: redactingLogger(unsafeDeps.logger) };
  const { auth, config, logger } = deps;
  const session = sessions(deps);
  const trpc = trpcMount(session);
  // A policy's refusal reaches a tRPC client from tRPC itself, and a REST client in the REST shape.
  const refuse: Refuse = (c, error) =>
    c.req.path.startsWith("/trpc/") ? trpc(c, error) : errorResponse(c, error);

  const app = new Hono<Env>();
  // Outermost, so the request's span is active for everything inside (its log line carries the trace id).
  if (observability)
    app.use("*", observeRequests(observability, new Set(Object.keys(appRouter._def.procedures))));
  app.use("*", requestLog(logger));
  app.use("*", securityHeaders(config));
  if (observability) app.route("/", operatorRoutes(observability));
  const bodyLimit = jsonBodyLimit(refuse);
  for (const path of ["/trpc/*", "/api/*"]) {
    app.use(path, spaCors(config));
    app.use(path, (c, next) => (isUppyCompletion(c.req.path) ? next() : bodyLimit(c, next)));
  }
  app.use("*", csrf(config, refuse));

  app.on(["GET", "POST"], "/api/auth/*", (c) => auth.handler(session.forAuth(c)));
  app.all("/trpc/*", (c) => trpc(c));
  app.route("/", restApi(session));
  app.route(UPPY_PREFIX, uppyRoutes(deps, session));
  app.route(SHARE_PREFIX, sharePages(session));
  app.all("/api/*", (c) =>
    errorResponse(
      c,
      new TRPCError({ code: "NOT_FOUND", message: `No API route ${c.req.method} ${c.req.path}` }),
    ),
  );

  if (deps.devMailbox) {
    app.route(
      "/dev/mail",
      devMailboxRoutes(deps.devMailbox, (c) => session.requestMeta(c as Context<Env>).ip),
    );
  }

  const { spa } = deps;
  if (spa) app.on(["GET", "HEAD"], "*", (c) => spa(c.req.raw));

  // The last resort, in the one error shape: a full disk is 503, anything unexpected a logged 500.
  app.onError((error, c) => errorResponse(c, refusalOf(error, logger, c.get("requestId"))));

  return app;
}

export type SignetApp = ReturnType<typeof createApp>;
