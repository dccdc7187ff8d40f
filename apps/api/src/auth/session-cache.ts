/**
 * A short-lived in-process cache of sessions by bearer token or session cookie (and the shortcut for requests with
 * no credentials). Every API request of a script carries the same bearer token, and every request of the SPA the
 * same cookie; Better Auth answers each one with two signature checks, an endpoint context and two statements
 * (session, then user). The cache answers a repeated token or cookie from memory for a few seconds instead.
 *
 * Correctness on this instance: every session delete (sign-out, revoke-session(s), a password change that revokes
 * the others, user deletion) and every user update goes through Better Auth's database hooks, which this module
 * plugs in; they drop the affected entries before the delete commits and again after, and a lookup that was in
 * flight across an invalidation is not stored. Another instance's sign-out reaches this one after at most `ttlMs`.
 */
import type { BetterAuthPlugin } from "better-auth";

/** How long a looked-up session is answered from memory. */
export const SESSION_CACHE_TTL_MS = 10_000;
const MAX_ENTRIES = 10_000;

/** The part of Better Auth's getSession result the cache reads. */
interface SessionResult {
  session: { token: string; userId: string; expiresAt: Date | string };
  user: { id: string };
}

interface Entry {
  value: SessionResult;
  storedAt: number;
}

export interface SessionCacheOptions {
  ttlMs?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export interface SessionCache {
  /** The Better Auth plugin whose database hooks invalidate entries. */
  plugin: BetterAuthPlugin;
  /** Wraps Better Auth's `api.getSession` so bearer-only and cookie-only lookups go through the cache. */
  wrap<F extends (args: never) => Promise<unknown>>(getSession: F): F;
  /** Drops every entry of the session with this (unsigned) token. */
  invalidateSession(token: string): void;
  /** Drops every entry of this user. */
  invalidateUser(userId: string): void;
  /** Entries currently held (tests, diagnostics). */
  readonly size: number;
}

/** Better Auth's session cookie (with the `__Secure-` prefix it gets on HTTPS). */
const SESSION_COOKIE = /(?:^|;\s*)(?:__Secure-)?better-auth\.session_token=([^;]+)/;

/**
 * What a plain lookup (headers only) carries: a bearer token alone, the session cookie without any
 * Authorization, no credentials at all, or anything else (other schemes, both a cookie and a token, query flags,
 * asResponse, returnHeaders), which Better Auth answers itself. The key is the exact signed string the client
 * sent, so a hit means Better Auth verified that very string before.
 */
function credentialsOf(args: unknown): { key: string } | "none" | "other" {
  if (typeof args !== "object" || args === null) return "other";
  const { headers, ...rest } = args as { headers?: unknown };
  if (!(headers instanceof Headers) || Object.keys(rest).length > 0) return "other";
  const authorization = headers.get("authorization");
  const cookie = headers.get("cookie");
  if (cookie !== null) {
    if (authorization !== null) return "other";
    const m = SESSION_COOKIE.exec(cookie);
    return m ? { key: `cookie:${m[1]}` } : "none";
  }
  if (authorization === null) return "none";
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m ? { key: `bearer:${m[1]}` } : "other";
}

/** Creates an empty cache; plug `plugin` into Better Auth's plugins and wrap its `api.getSession`. */
export function createSessionCache({
  ttlMs = SESSION_CACHE_TTL_MS,
  now = Date.now,
}: SessionCacheOptions = {}): SessionCache {
  // Keyed by the exact bearer or cookie string: a hit means this very string was verified by Better Auth before.
  const entries = new Map<string, Entry>();
  // Bumped by every invalidation; a lookup that saw another epoch when it started is not stored.
  let epoch = 0;

  function dropWhere(match: (value: SessionResult) => boolean) {
    epoch++;
    for (const [key, entry] of entries) if (match(entry.value)) entries.delete(key);
  }
  const invalidateSession = (token: string) => dropWhere((v) => v.session.token === token);
  const invalidateUser = (userId: string) => dropWhere((v) => v.user.id === userId);

  function fresh(entry: Entry): boolean {
    const t = now();
    return t - entry.storedAt < ttlMs && new Date(entry.value.session.expiresAt).getTime() > t;
  }

  function store(key: string, value: SessionResult) {
    if (entries.size >= MAX_ENTRIES) {
      // Map iteration is insertion order: the first key is the oldest.
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    entries.set(key, { value, storedAt: now() });
  }

  const onSession = async (session: { token: string }) => {
    invalidateSession(session.token);
  };
  const onUser = async (user: { id: string }) => {
    invalidateUser(user.id);
  };

  return {
    plugin: {
      id: "signet-session-cache",
      init: () => ({
        options: {
          databaseHooks: {
            session: { delete: { before: onSession, after: onSession }, update: { after: onSession } },
            user: { update: { after: onUser }, delete: { before: onUser, after: onUser } },
          },
        },
      }),
    },
    wrap(getSession) {
      const cached = async (args: never) => {
        const credentials = credentialsOf(args);
        // No cookie and no token: there is no session to find, and asking Better Auth still costs a full
        // endpoint context (a third of an anonymous request such as `health`).
        if (credentials === "none") return null;
        if (credentials === "other") return getSession(args);
        const key = credentials.key;
        const hit = entries.get(key);
        if (hit && fresh(hit)) return hit.value;
        if (hit) entries.delete(key);
        const started = epoch;
        const value = (await getSession(args)) as SessionResult | null;
        if (value && started === epoch) store(key, value);
        return value;
      };
      return cached as typeof getSession;
    },
    invalidateSession,
    invalidateUser,
    get size() {
      return entries.size;
    },
  };
}
