/**
 * The REST API: every procedure as a resource-shaped route, declared once with zod (@hono/zod-openapi), which
 * gives validation, types and the OpenAPI 3.1 document at /api/openapi.json (browsable at /api/docs). A route
 * calls its procedure through tRPC's in-process caller, so REST and tRPC share the input rules, the services,
 * the API-key scopes and the error meanings; a refusal answers `{ code, message, field? }` with the HTTP status
 * of tRPC's own table.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ZodError } from "zod";
import type { AppDeps } from "../deps.ts";
import { retryAfterSeconds } from "../services/limits.ts";
import { createInnerContext, describeZodError } from "../trpc/init.ts";
import { createCaller } from "../trpc/root.ts";
import { DOCS_PATH, DOCS_SCRIPT_PATH, OPENAPI_PATH, restRouteTable } from "./rest-routes.ts";
import type { Env, Sessions } from "./session.ts";

/** A refusal in the REST shape: `{ code, message, field? }`, with tRPC's status and Retry-After when due. */
export function restError(c: Context<Env>, error: TRPCError): Response {
  const retryAfter = retryAfterSeconds(error);
  if (retryAfter) c.header("retry-after", String(retryAfter));
  const status = getHTTPStatusCodeFromError(error) as 400;
  const field =
    error.cause instanceof ZodError
      ? fieldOf(error.cause)
      : INPUT_CODES.has(error.code)
        ? fieldInMessage(error.message)
        : undefined;
  // `error` repeats the two fields in the envelope of Signet's first REST routes, which clients already read.
  return c.json(
    {
      code: error.code,
      message: error.message,
      ...(field ? { field } : {}),
      error: { code: error.code, message: error.message },
    },
    status,
  );
}

// Refusals about a value the caller sent; the others (NOT_FOUND, …) are about the resource, not a field.
const INPUT_CODES = new Set(["BAD_REQUEST", "PAYLOAD_TOO_LARGE"]);

function fieldOf(error: ZodError): string | undefined {
  const path = error.issues[0]?.path;
  return path?.length ? path.join(".") : undefined;
}

// The services name the field at fault as the message's first word ("expiresIn: at most 900 seconds").
function fieldInMessage(message: string): string | undefined {
  return /^([A-Za-z][\w.]*): /.exec(message)?.[1];
}

/** A validation failure, named by its field, as BAD_REQUEST. */
export function badInput(error: ZodError): TRPCError {
  return new TRPCError({ code: "BAD_REQUEST", message: describeZodError(error), cause: error });
}

const notAnObject = () => new TRPCError({ code: "BAD_REQUEST", message: "body: must be a JSON object" });

/** The REST app: mount it with `app.route("/", restApi(deps, session))`. */
export function restApi(deps: AppDeps, session: Sessions) {
  const api = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const error = result.error as ZodError;
      const whole = result.target === "json" && error.issues.some((issue) => issue.path.length === 0);
      return restError(c, whole ? notAnObject() : badInput(error));
    },
  });

  // hono's JSON validator throws before any hook sees the body: a malformed body is the caller's mistake.
  api.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 400) {
      return restError(c, notAnObject());
    }
    throw error;
  });

  for (const { route, call } of restRouteTable()) {
    api.openapi(route, (async (c: Context<Env>) => {
      const actor = await session.actor(c);
      const ctx = createInnerContext(deps, actor, session.requestMeta(c));
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
        // The caller wraps what it did not expect: the app's error handler logs the original.
        if (error.code === "INTERNAL_SERVER_ERROR") throw error.cause ?? error;
        if (error.cause instanceof ZodError) return restError(c, badInput(error.cause));
        return restError(c, error);
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
