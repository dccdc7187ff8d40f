/**
 * The browser-facing policies every request passes: security headers (CSP), CORS for the SPA's origin only,
 * the JSON body limit and the CSRF check. Refusals go through `refuse`, so each reaches its caller in the shape
 * of the route it aimed at (tRPC's own envelope under /trpc).
 */
import { TRPCError } from "@trpc/server";
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { NONCE, secureHeaders } from "hono/secure-headers";
import type { AppConfig } from "../deps.ts";
import { bodyLimit } from "./body-limit.ts";
import { bearerToken, type Env, type Refuse } from "./session.ts";

export const JSON_BODY_LIMIT = 64 * 1024;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The API reference page: Scalar's bundle, shipped with the SPA (same origin), started by one inline script. */
const DOCS_PAGE = "/api/docs";
/** Share links' pages (http/share-pages.ts). */
const SHARE_PAGES = "/s/";

/**
 * CSP and friends. The SPA shows images and offers downloads from the bucket's origin. The API reference page
 * (/api/docs) alone runs an inline script (Scalar's start-up, with a per-response nonce) and inline styles.
 */
export function securityHeaders(config: Pick<AppConfig, "s3Origin">): MiddlewareHandler<Env> {
  const app = appHeaders(config);
  // A share link's password form answers with a redirect to the bucket, and form-action governs redirects too;
  // the link's token is in the page's URL, so no Referer may carry it anywhere.
  const sharePage = appHeaders(config, { formTargets: [config.s3Origin], referrerPolicy: "no-referrer" });
  const docs = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: [NONCE, "'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      connectSrc: ["'self'"],
      imgSrc: ["'self'", "data:", "blob:"],
      fontSrc: ["'self'", "data:"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      frameAncestors: ["'none'"],
    },
  });
  return (c, next) => {
    if (c.req.path === DOCS_PAGE) return docs(c, next);
    return c.req.path.startsWith(SHARE_PAGES) ? sharePage(c, next) : app(c, next);
  };
}

function appHeaders(
  config: Pick<AppConfig, "s3Origin">,
  { formTargets = [], referrerPolicy = "strict-origin-when-cross-origin" } = {} as {
    formTargets?: string[];
    referrerPolicy?: string;
  },
): MiddlewareHandler<Env> {
  return secureHeaders({
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
      formAction: ["'self'", ...formTargets],
      frameAncestors: ["'none'"],
    },
    crossOriginResourcePolicy: "same-site",
    referrerPolicy,
  });
}

/**
 * CORS for the SPA's origin only. Any other origin gets no Access-Control-* header at all (hono's cors would
 * still send Allow-Credentials and the lists), so a browser keeps every answer from it.
 */
export function spaCors(config: Pick<AppConfig, "publicUrl">): MiddlewareHandler<Env> {
  const allow = cors({
    origin: config.publicUrl,
    credentials: true,
    allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["content-type", "authorization", "trpc-accept", "x-trpc-source"],
    exposeHeaders: ["set-auth-token", "x-request-id"],
    maxAge: 600,
  });
  return async (c, next) => {
    c.header("vary", "Origin", { append: true });
    if (c.req.header("origin") === config.publicUrl) return allow(c, next);
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method")) return c.body(null, 204);
    return next();
  };
}

/** API bodies are small JSON: files go straight to storage, never through the API. */
export function jsonBodyLimit(refuse: Refuse): MiddlewareHandler<Env> {
  return bodyLimit({
    maxSize: JSON_BODY_LIMIT,
    onError: (c) =>
      refuse(
        c,
        new TRPCError({
          code: "PAYLOAD_TOO_LARGE",
          message: `Request body over ${JSON_BODY_LIMIT} bytes; files go straight to storage, not through the API`,
        }),
      ),
  });
}

function originOf(value: string | undefined): string | null {
  if (!value) return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

/**
 * CSRF: a state-changing request that rides on the session cookie must come from the SPA's own origin.
 * Better Auth checks its own POSTs.
 */
export function csrf(config: Pick<AppConfig, "publicUrl">, refuse: Refuse): MiddlewareHandler<Env> {
  const forbidden = (message: string) => new TRPCError({ code: "FORBIDDEN", message });
  return async (c, next) => {
    const path = c.req.path;
    const guarded = path.startsWith("/trpc/") || (path.startsWith("/api/") && !path.startsWith("/api/auth/"));
    if (!guarded || bearerToken(c.req.raw.headers) || !c.req.header("cookie")) return next();
    // A top-level cross-site navigation carries the SameSite=Lax cookie, and the URL-issuing queries are GETs
    // with side effects (an audit row, a rate-limit slot): the browser's own word that it is cross-site settles it.
    if (c.req.header("sec-fetch-site") === "cross-site") {
      return refuse(c, forbidden("Cross-site request refused: open Signet from its own web app"));
    }
    if (SAFE_METHODS.has(c.req.method)) return next();
    const origin = originOf(c.req.header("origin")) ?? originOf(c.req.header("referer"));
    if (origin !== config.publicUrl) {
      return refuse(
        c,
        forbidden(
          "Cross-origin request refused: cookie-authenticated changes must come from the Signet web app",
        ),
      );
    }
    return next();
  };
}
