/**
 * The REST API: every procedure as a resource-shaped route generated from its contract (rest-routes.ts) and
 * mounted with @hono/zod-openapi, which gives validation and the OpenAPI 3.1 document at /api/openapi.json
 * (browsable at /api/docs). A route
 * calls its procedure through tRPC's in-process caller, so REST and tRPC share the input rules, the services,
 * the API-key scopes and the error meanings; a refusal answers through the one error writer (errors.ts).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { TRPCError } from "@trpc/server";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ZodError } from "zod";
import { badInput } from "../trpc/field.ts";
import { createInnerContext } from "../trpc/init.ts";
import { createCaller } from "../trpc/root.ts";
import { errorResponse, refusalOf } from "./errors.ts";
import { DOCS_PATH, DOCS_SCRIPT_PATH, OPENAPI_PATH, restRouteTable } from "./rest-routes.ts";
import type { Env, Sessions } from "./session.ts";

const notAnObject = () => new TRPCError({ code: "BAD_REQUEST", message: "body: must be a JSON object" });

/** The REST app: mount it with `app.route("/", restApi(session))`. */
export function restApi(session: Sessions) {
  const api = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const error = result.error as ZodError;
      const whole = result.target === "json" && error.issues.some((issue) => issue.path.length === 0);
      return errorResponse(c, whole ? notAnObject() : badInput(error));
    },
  });

  // hono's validators throw before any hook sees the body: a malformed body (400) or one that is not JSON (415)
  // is the caller's mistake, answered like any other refusal.
  api.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 400) {
      return errorResponse(c, notAnObject());
    }
    return errorResponse(c, refusalOf(error, session.deps(c).logger, c.get("requestId")));
  });

  for (const { route, call } of restRouteTable()) {
    api.openapi(route, (async (c: Context<Env>) => {
      const actor = await session.actor(c);
      const ctx = createInnerContext(session.deps(c), actor, session.requestMeta(c));
      const caller = createCaller(ctx);
      const valid = c.req as unknown as { valid(target: string): unknown };
      try {
        const result = await call(
          caller,
          {
            params: route.request?.params ? valid.valid("param") : undefined,
            query: route.request?.query ? valid.valid("query") : undefined,
            body: route.request?.body ? valid.valid("json") : undefined,
          },
          ctx,
        );
        return c.json(result as object, (Number(Object.keys(route.responses)[0]) || 200) as 200);
      } catch (error) {
        if (!(error instanceof TRPCError)) throw error;
        // The caller wraps what it did not expect: the error handler logs the original.
        if (error.code === "INTERNAL_SERVER_ERROR") throw error.cause ?? error;
        if (error.cause instanceof ZodError) return errorResponse(c, badInput(error.cause));
        return errorResponse(c, error);
      }
    }) as never);
  }

  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description:
      "A personal API key (`sgk_…`, created on the profile page or with POST /api/api-keys) or the session token " +
      "from the `set-auth-token` header of POST /api/auth/sign-in/email",
  });
  api.doc31(OPENAPI_PATH, {
    openapi: "3.1.0",
    info: {
      title: "Signet API",
      version: "1",
      description:
        "Upload and download files directly to your bucket with pre-signed URLs. Every route is also a tRPC " +
        "procedure at /trpc with the same rules. Errors are `{ code, message, field? }` with tRPC's HTTP status.",
    },
    security: [{ bearer: [] }],
  });
  // The nonce is the one the page's CSP allows (http/policy.ts). Scalar's bundle comes with the SPA's build
  // (apps/web/vite.config.ts), and the page asks for no web fonts: it renders with no network beyond this origin.
  api.get(
    DOCS_PATH,
    Scalar((c) => ({
      url: OPENAPI_PATH,
      cdn: DOCS_SCRIPT_PATH,
      withDefaultFonts: false,
      pageTitle: "Signet API",
      nonce: c.get("secureHeadersNonce"),
    })),
  );
  return api;
}
