/**
 * Who is calling and from where: the Hono environment every HTTP module shares, the signed-in actor (session
 * cookie, bearer session token or personal API key) and the request metadata for the audit trail.
 */
import type { TRPCError } from "@trpc/server";
import type { Context } from "hono";
import type { AppDeps } from "../deps.ts";
import type { Actor, Peer, RequestMeta, TraceScope } from "../ground.ts";
import { API_KEY_PREFIX, actorForApiKey } from "../services/api-keys.ts";
import { CLIENT_IP_HEADER, clientIp } from "./client-ip.ts";

/**
 * `Bindings` is what the runtime entry hands beside each request: the connection's peer. `trace` is the request's
 * place in a trace when it is sampled (set by observability's middleware).
 */
export type Env = {
  Bindings: Peer | undefined;
  Variables: { requestId: string; actor: Actor | null; trace: TraceScope | undefined };
};

/** Answers a refusal decided before any procedure ran, in the shape of the route it was aimed at. */
export type Refuse = (c: Context<Env>, error: TRPCError) => Response | Promise<Response>;

/** The bearer token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(headers: Headers): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return m ? m[1]! : null;
}

/** Resolves callers, their request metadata and the request's dependencies with the app's. */
export function sessions(deps: AppDeps) {
  const { auth, config, db, clock, observer } = deps;

  function requestMeta(c: Context<Env>): RequestMeta {
    return {
      requestId: c.get("requestId"),
      ip: clientIp(c.req.raw, c.env, config.trustProxy),
      userAgent: c.req.header("user-agent"),
    };
  }

  /** Who the request's credentials name (null: none, or none that hold). */
  async function authenticate(c: Context<Env>): Promise<Actor | null> {
    // A bearer request is authenticated by its token alone: ignoring its cookies is what makes exempting it
    // from the Origin check safe (a browser cannot attach an Authorization header cross-site without CORS).
    const token = bearerToken(c.req.raw.headers);
    if (token?.startsWith(API_KEY_PREFIX)) return actorForApiKey(db, clock, token);
    const lookup = new Headers(c.req.raw.headers);
    lookup.delete(CLIENT_IP_HEADER);
    if (token) lookup.delete("cookie");
    else lookup.delete("authorization");
    const session = await auth.api.getSession({ headers: lookup });
    return session ? { id: session.user.id, name: session.user.name, email: session.user.email } : null;
  }

  return {
    requestMeta,

    /** The signed-in user, also remembered on the context for the request's log line. */
    async actor(c: Context<Env>): Promise<Actor | null> {
      const trace = c.get("trace");
      const actor = await (trace ? trace.span("authenticate", () => authenticate(c)) : authenticate(c));
      c.set("actor", actor);
      return actor;
    },

    /** The dependencies the request's services get: a sampled request's database, storage and logger trace it. */
    deps(c: Context<Env>): AppDeps {
      const trace = c.get("trace");
      return trace && observer ? { ...deps, ...observer.traced(trace) } : deps;
    },

    /** The request as Better Auth sees it: the client address decided here, never a client-sent claim. */
    forAuth(c: Context<Env>): Request {
      const headers = new Headers(c.req.raw.headers);
      headers.delete(CLIENT_IP_HEADER);
      // Node's, Bun's and Deno's fetch send `Sec-Fetch-Mode: cors` with neither Origin nor Sec-Fetch-Site, which
      // Better Auth refuses as a browser without an origin. Browsers send Sec-Fetch-Site with every Sec-Fetch-Mode,
      // so a request lacking both it and Origin is a script: answered like curl, while every browser request
      // (and anything carrying a cookie) still gets Better Auth's origin checks unchanged.
      if (!headers.has("origin") && !headers.has("sec-fetch-site") && !headers.has("cookie")) {
        headers.delete("sec-fetch-mode");
        headers.delete("sec-fetch-dest");
      }
      const ip = requestMeta(c).ip;
      if (ip) headers.set(CLIENT_IP_HEADER, ip);
      return new Request(c.req.raw, { headers });
    },
  };
}

export type Sessions = ReturnType<typeof sessions>;
