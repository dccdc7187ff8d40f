/**
 * The Signet HTTP app: Better Auth at /api/auth/*, tRPC at /trpc, the REST compat routes, the built SPA.
 * Runtime-agnostic (a Hono app: `app.fetch(request)`); each runtime entry only binds it to a port.
 */

import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { type TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { ZodError, type z } from "zod";
import type { AppDeps } from "./deps.ts";
import { bodyLimit } from "./http/body-limit.ts";
import { CLIENT_IP_HEADER, clientIp, type Peer } from "./http/client-ip.ts";
import { describeError, redactingLogger } from "./http/redact.ts";
import { spaHandler } from "./http/static.ts";
import { storageFullResponse } from "./http/storage-full.ts";
import type { Actor, ServiceContext } from "./services/context.ts";
import { createUpload } from "./services/files.ts";
import { retryAfterSeconds } from "./services/limits.ts";
import { createImageUpload, imageDownloadUrl } from "./services/profile.ts";
import { createInnerContext, describeZodError, MAX_BATCH_SIZE } from "./trpc/init.ts";
import { appRouter } from "./trpc/root.ts";
import { createImageUploadInput, createUploadInput } from "./trpc/schemas.ts";

/** `Bindings` is what the runtime entry hands beside each request: the connection's peer. */
type Env = { Bindings: Peer | undefined; Variables: { requestId: string; actor: Actor | null } };

const JSON_BODY_LIMIT = 64 * 1024;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function bearerToken(headers: Headers): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return m ? m[1]! : null;
}

function originOf(value: string | undefined): string | null {
  if (!value) return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

/** Builds the app from its dependencies. */
export function createApp(deps: AppDeps) {
  const logger = redactingLogger(deps.logger);
  const safeDeps: AppDeps = { ...deps, logger };
  const { auth, config } = deps;
  const app = new Hono<Env>();

  async function resolveActor(headers: Headers): Promise<Actor | null> {
    // A bearer request is authenticated by its token alone: ignoring its cookies is what makes exempting it from
    // the Origin check safe (a browser cannot attach an Authorization header cross-site without CORS consent).
    const lookup = new Headers(headers);
    lookup.delete(CLIENT_IP_HEADER);
    if (bearerToken(headers)) lookup.delete("cookie");
    else lookup.delete("authorization");
    const session = await auth.api.getSession({ headers: lookup });
    if (!session) return null;
    return { id: session.user.id, name: session.user.name, email: session.user.email };
  }

  function serviceContext(c: Context<Env>, actor: Actor): ServiceContext {
    return { ...safeDeps, user: actor, request: requestMeta(c) };
  }

  function requestMeta(c: Context<Env>) {
    return {
      requestId: c.get("requestId"),
      ip: clientIp(c.req.raw, c.env, config.trustProxy === true),
      userAgent: c.req.header("user-agent"),
    };
  }

  /** The request as Better Auth sees it: the client address decided here, never a client-sent claim. */
  function forAuth(c: Context<Env>): Request {
    const headers = new Headers(c.req.raw.headers);
    headers.delete(CLIENT_IP_HEADER);
    const ip = requestMeta(c).ip;
    if (ip) headers.set(CLIENT_IP_HEADER, ip);
    return new Request(c.req.raw, { headers });
  }

  // Request id and one log line per request.
  app.use("*", async (c, next) => {
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
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      userId: c.get("actor")?.id ?? null,
    });
  });

  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        connectSrc: ["'self'", config.s3Origin],
        imgSrc: ["'self'", "data:", "blob:", config.s3Origin],
        mediaSrc: ["'self'", "blob:", config.s3Origin],
        fontSrc: ["'self'", "data:"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      // The SPA shows images and offers downloads from the bucket's origin.
      crossOriginResourcePolicy: "same-site",
      referrerPolicy: "strict-origin-when-cross-origin",
    }),
  );

  // CORS for the SPA's origin only. Any other origin gets no Access-Control-* header at all (hono's cors would
  // still send Allow-Credentials and the lists), so a browser keeps every answer from it.
  const spaCors = cors({
    origin: config.publicUrl,
    credentials: true,
    allowMethods: ["GET", "POST", "OPTIONS"],
    allowHeaders: ["content-type", "authorization", "trpc-accept", "x-trpc-source"],
    exposeHeaders: ["set-auth-token", "x-request-id"],
    maxAge: 600,
  });
  for (const path of ["/trpc/*", "/api/*"]) {
    app.use(path, async (c, next) => {
      c.header("vary", "Origin", { append: true });
      if (c.req.header("origin") === config.publicUrl) return spaCors(c, next);
      if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method"))
        return c.body(null, 204);
      return next();
    });
    app.use(
      path,
      bodyLimit({
        maxSize: JSON_BODY_LIMIT,
        onError: (c) =>
          refuse(
            c,
            "PAYLOAD_TOO_LARGE",
            `Request body over ${JSON_BODY_LIMIT} bytes; files go straight to storage, not through the API`,
          ),
      }),
    );
  }

  // CSRF: a state-changing request that rides on the session cookie must come from the SPA's own origin.
  // Better Auth checks its own POSTs.
  app.use("*", async (c, next) => {
    const path = c.req.path;
    const guarded = path.startsWith("/trpc/") || (path.startsWith("/api/") && !path.startsWith("/api/auth/"));
    if (!guarded || bearerToken(c.req.raw.headers) || !c.req.header("cookie")) return next();
    // A top-level cross-site navigation carries the SameSite=Lax cookie, and the URL-issuing queries are GETs
    // with side effects (an audit row, a rate-limit slot): the browser's own word that it is cross-site settles it.
    if (c.req.header("sec-fetch-site") === "cross-site") {
      return refuse(c, "FORBIDDEN", "Cross-site request refused: open Signet from its own web app");
    }
    if (SAFE_METHODS.has(c.req.method)) return next();
    const origin = originOf(c.req.header("origin")) ?? originOf(c.req.header("referer"));
    if (origin !== config.publicUrl) {
      return refuse(
        c,
        "FORBIDDEN",
        "Cross-origin request refused: cookie-authenticated changes must come from the Signet web app",
      );
    }
    return next();
  });

  app.on(["GET", "POST"], "/api/auth/*", (c) => auth.handler(forAuth(c)));

  app.all("/trpc/*", async (c) => {
    const actor = await resolveActor(c.req.raw.headers);
    c.set("actor", actor);
    return fetchRequestHandler({
      endpoint: "/trpc",
      req: c.req.raw,
      router: appRouter,
      allowMethodOverride: false,
      maxBatchSize: MAX_BATCH_SIZE,
      createContext: () => createInnerContext(safeDeps, actor, requestMeta(c)),
      responseMeta({ errors }) {
        const seconds = Math.max(0, ...errors.map((e) => retryAfterSeconds(e) ?? 0));
        return seconds > 0 ? { headers: { "retry-after": String(seconds) } } : {};
      },
      onError({ error, path }) {
        if (error.code === "INTERNAL_SERVER_ERROR") {
          logger({
            level: "error",
            msg: "unexpected error",
            id: c.get("requestId"),
            procedure: path ?? null,
            error: describeError(error.cause ?? error),
          });
        }
      },
    });
  });

  /** A REST route: authenticate, validate the JSON body with the procedure's schema, call the same service. */
  function rest<S extends z.ZodType, R>(
    schema: S | null,
    aliases: Record<string, string[]>,
    run: (ctx: ServiceContext, input: z.output<S>) => Promise<R>,
  ) {
    return async (c: Context<Env>) => {
      const actor = await resolveActor(c.req.raw.headers);
      c.set("actor", actor);
      try {
        if (!actor)
          throw new TRPCError({
            code: "UNAUTHORIZED",
            message: "Sign in first (session cookie or bearer token)",
          });
        let input: unknown;
        if (schema) {
          try {
            input = await c.req.json();
          } catch {
            throw new TRPCError({ code: "BAD_REQUEST", message: "body: must be a JSON object" });
          }
          if (typeof input !== "object" || input === null || Array.isArray(input)) {
            throw new TRPCError({ code: "BAD_REQUEST", message: "body: must be a JSON object" });
          }
          input = schema.parse(withAliases(input, aliases));
        }
        return c.json((await run(serviceContext(c, actor), input as z.output<S>)) as object);
      } catch (error) {
        if (error instanceof ZodError) {
          return c.json({ error: { code: "BAD_REQUEST", message: describeZodError(error) } }, 400);
        }
        if (error instanceof TRPCError && error.code !== "INTERNAL_SERVER_ERROR") {
          const status = getHTTPStatusCodeFromError(error) as 400;
          const retryAfter = retryAfterSeconds(error);
          if (retryAfter) c.header("retry-after", String(retryAfter));
          return c.json({ error: { code: error.code, message: error.message } }, status);
        }
        throw error;
      }
    };
  }

  app.post(
    "/api/uploads/pre-signed-url",
    rest(
      createUploadInput,
      { filename: ["fileName"], contentType: ["fileType"], size: ["fileSize"] },
      // Clients written against the seed contract read `presignedUrl`, as the profile image route names it.
      async (ctx, input) => {
        const upload = await createUpload(ctx, input);
        return { ...upload, presignedUrl: upload.url };
      },
    ),
  );
  app.post(
    "/api/user/profile/image",
    rest(
      createImageUploadInput,
      { contentType: ["fileType"], fileSize: ["size"], originalFilename: ["fileName", "filename"] },
      (ctx, input) => createImageUpload(ctx, input),
    ),
  );
  app.get(
    "/api/user/profile/image",
    rest(null, {}, (ctx) => imageDownloadUrl(ctx)),
  );

  app.all("/api/*", (c) =>
    c.json({ error: { code: "NOT_FOUND", message: `No API route ${c.req.method} ${c.req.path}` } }, 404),
  );

  if (config.webDistDir) {
    const spa = spaHandler(config.webDistDir);
    app.on(["GET", "HEAD"], "*", (c) => spa(c.req.raw));
  }

  app.onError((error, c) => {
    const requestId = c.get("requestId");
    const full = storageFullResponse(error, logger, requestId);
    if (full) return full;
    logger({ level: "error", msg: "unexpected error", id: requestId, error: describeError(error) });
    return c.json(
      { error: { code: "INTERNAL_SERVER_ERROR", message: `Internal error (request id ${requestId})` } },
      500,
    );
  });

  return app;
}

export type SignetApp = ReturnType<typeof createApp>;

/**
 * The REST routes accept the names of the seed contracts and of common upload guides as aliases
 * (`fileName`/`fileType`/`fileSize`). Unknown keys are dropped by the schema afterwards.
 */
function withAliases(body: unknown, aliases: Record<string, string[]>): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const b = { ...(body as Record<string, unknown>) };
  for (const [to, from] of Object.entries(aliases)) {
    if (b[to] !== undefined) continue;
    const name = from.find((n) => b[n] !== undefined);
    if (name) b[to] = b[name];
  }
  return b;
}

/**
 * An error answered before tRPC or a REST route runs. Under /trpc it takes tRPC's own error envelope (one per
 * call of a batch), so a tRPC client reads the code like any other TRPCError; elsewhere the REST routes' shape.
 */
function refuse(c: Context, code: TRPC_ERROR_CODE_KEY, message: string): Response {
  const httpStatus = getHTTPStatusCodeFromError(new TRPCError({ code })) as 400;
  if (!c.req.path.startsWith("/trpc/")) return c.json({ error: { code, message } }, httpStatus);
  let paths: string[];
  try {
    paths = decodeURIComponent(c.req.path.slice("/trpc/".length)).split(",");
  } catch {
    paths = [c.req.path.slice("/trpc/".length)];
  }
  const envelope = (path: string) => ({
    error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus, path } },
  });
  return c.json(c.req.query("batch") ? paths.map(envelope) : envelope(paths[0] ?? ""), httpStatus);
}
