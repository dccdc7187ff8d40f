import type { Database } from "@signet/db";
import * as schema from "@signet/db/schema";
import { betterAuth } from "better-auth";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { bearer } from "better-auth/plugins";
import { nameRulesPlugin } from "./auth/name-rules.ts";
import { createSessionCache } from "./auth/session-cache.ts";
import { CLIENT_IP_HEADER, type Clock, type Logger, type RequestMeta } from "./ground.ts";
import { createDevMailbox, type Mailer } from "./mail/mailer.ts";
import { accountAuthOptions, limitAuthRequests } from "./services/account-auth.ts";

/** A profile change made through Better Auth's own routes (update-user), for the caller to audit. */
export interface AuthProfileUpdate {
  userId: string;
  request: RequestMeta;
  /** The Better Auth route that made the change. */
  via: string;
}

export interface AuthOptions {
  db: Database;
  /** At least 32 characters; signs session cookies and tokens. */
  secret: string;
  /** The SPA's origin; the only origin Better Auth trusts. */
  publicUrl: string;
  /** Told about every profile change Better Auth makes itself; the assembly audits it. */
  onProfileUpdate?: (event: AuthProfileUpdate) => Promise<void>;
  /** Time for the audit events written on Better Auth's behalf. */
  clock?: Clock;
  /** Where password reset and verification mails go; a fresh development mailbox when not given. */
  mailer?: Mailer;
  requireEmailVerification?: boolean;
  logger?: Logger;
}

/**
 * Better Auth: email + password, the session cookie for the SPA and bearer tokens (the `set-auth-token` response
 * header) for scripts, stored through Drizzle in Signet's database. Telemetry is off.
 */
export function createAuth({
  db,
  secret,
  publicUrl,
  onProfileUpdate,
  clock = () => new Date(),
  ...rest
}: AuthOptions) {
  const accounts = accountAuthOptions({ db, clock, ...rest, mailer: rest.mailer ?? createDevMailbox(clock) });
  const sessions = createSessionCache();
  const auth = betterAuth({
    appName: "Signet",
    baseURL: publicUrl,
    basePath: "/api/auth",
    secret,
    trustedOrigins: [publicUrl],
    database: drizzleAdapter(db, { provider: "sqlite", schema }),
    emailAndPassword: {
      enabled: true,
      minPasswordLength: 8,
      maxPasswordLength: 128,
      ...accounts.emailAndPassword,
    },
    emailVerification: accounts.emailVerification,
    user: accounts.user,
    rateLimit: accounts.rateLimit,
    plugins: [bearer(), nameRulesPlugin, sessions.plugin],
    telemetry: { enabled: false },
    // Better Auth skips its origin (CSRF) check when it detects a test runner; stating it keeps the check on
    // everywhere, so the tests exercise what production runs.
    advanced: {
      disableOriginCheck: false,
      // The app puts the client address it decided on (socket, or X-Forwarded-For under TRUST_PROXY) in this
      // header and drops any client-sent copy; Better Auth's default, X-Forwarded-For, is anyone's to forge.
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
    },
    databaseHooks: {
      session: { create: { before: accounts.sessionCreateBefore } },
      user: {
        // `user.image` is the profile image's object key and only the profile service assigns it; a client
        // setting it through sign-up or update-user could otherwise point it at someone else's object.
        create: {
          before: async (user) => ({ data: { ...user, image: null } }),
        },
        update: {
          // Better Auth's update-user changes the profile without passing profile.update: whoever assembled
          // the app hears of it and audits it the same way.
          after: async (user, context) => {
            if (!context || !onProfileUpdate) return;
            const headers = context.headers;
            await onProfileUpdate({
              userId: user.id,
              request: {
                requestId: crypto.randomUUID(),
                ip: headers?.get(CLIENT_IP_HEADER) ?? undefined,
                userAgent: headers?.get("user-agent") ?? undefined,
              },
              via: String(context.path ?? "better-auth"),
            });
          },
          before: async (user) => {
            if (!("image" in user)) return;
            // Better Auth merges the returned data over the original, so the key is overwritten, not omitted.
            const { image: _ignored, updatedAt: _time, ...rest } = user;
            if (Object.keys(rest).length === 0) return false;
            return { data: { ...user, image: undefined } };
          },
        },
      },
    },
  });
  auth.api.getSession = sessions.wrap(auth.api.getSession);
  auth.handler = limitAuthRequests(auth.handler, {
    db,
    clock,
    addressOf: (request) => request.headers.get(CLIENT_IP_HEADER) ?? undefined,
    sessionEmailOf: async (request) => (await auth.api.getSession({ headers: request.headers }))?.user.email,
  });
  // Code that deletes sessions or users without Better Auth (straight through Drizzle) must tell the cache:
  // `auth.sessionCache.invalidateUser(id)`.
  return Object.assign(auth, { sessionCache: sessions });
}

export type Auth = ReturnType<typeof createAuth>;
