/**
 * The account features Better Auth provides, configured for Signet: password reset by mail (single-use link,
 * every session ended), email verification, change of email confirmed at the new address, no new session for an
 * account that is being deleted, and the limits on sign-in, sign-up, reset and email change in front of Better
 * Auth's handler (`limitAuthRequests`). auth.ts plugs these in.
 */
import type { Database } from "@signet/db";
import { accountDeletion } from "@signet/db";
import type { BetterAuthOptions } from "better-auth";
import { APIError } from "better-auth/api";
import { eq } from "drizzle-orm";
import type { Clock, Logger } from "../ground.ts";
import type { Mail, Mailer } from "../mail/mailer.ts";
import { resetPasswordMail, verifyEmailMail } from "../mail/messages.ts";
import { recordAudit } from "./audit.ts";
import {
  AUTH_LIMITS,
  type AuthRoute,
  claimSignInAttempt,
  clearSignInFailures,
  consumeWindow,
  PASSWORD_ROUTES,
  type WindowRule,
} from "./limits.ts";

/** A reset link lives one hour; a verification link one day. */
export const RESET_TOKEN_SECONDS = 3600;
export const VERIFY_TOKEN_SECONDS = 86_400;

export interface AccountAuthOptions {
  db: Database;
  mailer: Mailer;
  clock: Clock;
  logger?: Logger | undefined;
  /** Send the verification mail on sign-up (REQUIRE_EMAIL_VERIFICATION). */
  requireEmailVerification?: boolean | undefined;
}

/**
 * Better Auth options for the account features, merged into createAuth's. `sessionCreateBefore` belongs in
 * `databaseHooks.session.create.before`.
 */
export function accountAuthOptions(options: AccountAuthOptions) {
  const { db, mailer, clock } = options;
  const log = options.logger ?? (() => {});

  // Handed off without waiting: the answer to a reset request takes the same time whether or not the address
  // has an account, and a slow mail server never holds a request. Failures are logged without the mail.
  function deliver(mail: Mail, kind: string) {
    void mailer.send(mail).catch((error: unknown) => {
      log({ level: "error", msg: "mail not sent", kind, error: String(error) });
    });
  }

  return {
    emailAndPassword: {
      sendResetPassword: async ({ user, url }) => {
        deliver(resetPasswordMail(user.email, url, RESET_TOKEN_SECONDS / 60), "reset-password");
      },
      resetPasswordTokenExpiresIn: RESET_TOKEN_SECONDS,
      revokeSessionsOnPasswordReset: true,
      onPasswordReset: async ({ user }) => {
        // The owner got back in by mail: whatever an attacker's failures made the account wait is over.
        await clearSignInFailures(db, accountKey(user.email));
        await recordAudit(db, clock, {
          actorId: user.id,
          action: "account.password_reset",
          objectKey: `user/${user.id}`,
        });
      },
    },
    emailVerification: {
      sendVerificationEmail: async ({ user, url }) => {
        // A change of address sends to the new address; the token says which kind it is.
        deliver(verifyEmailMail(user.email, url, isChangeToken(url)), "verify-email");
      },
      sendOnSignUp: options.requireEmailVerification === true,
      autoSignInAfterVerification: true,
      expiresIn: VERIFY_TOKEN_SECONDS,
    },
    user: { changeEmail: { enabled: true } },
    // Better Auth's own limiter counts per address only, with its own clock and no Retry-After:
    // `limitAuthRequests` (limits.ts's AUTH_LIMITS) stands in front of the handler instead.
    rateLimit: { enabled: false },
    sessionCreateBefore: async (session: { userId: string }) => {
      const [deleting] = await db
        .select({ userId: accountDeletion.userId })
        .from(accountDeletion)
        .where(eq(accountDeletion.userId, session.userId));
      if (deleting) {
        throw new APIError("FORBIDDEN", { message: "This account has been deleted" });
      }
    },
  } satisfies Partial<Omit<BetterAuthOptions, "emailAndPassword">> & {
    emailAndPassword: Partial<NonNullable<BetterAuthOptions["emailAndPassword"]>>;
    sessionCreateBefore: unknown;
  };
}

/** Whether a verification link carries a change-of-email token (its JWT payload names `updateTo`). */
function isChangeToken(url: string): boolean {
  try {
    const token = new URL(url).searchParams.get("token") ?? "";
    const payload = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as {
      updateTo?: unknown;
    };
    return typeof payload.updateTo === "string";
  } catch {
    return false;
  }
}

/** How an account is named in its counters: the email as Better Auth matches it (case-insensitively). */
function accountKey(email: string): string {
  return email.trim().toLowerCase();
}

/** The route a request to Better Auth is for, when AUTH_LIMITS limits it. */
function limitedRoute(request: Request): AuthRoute | undefined {
  if (request.method !== "POST") return undefined;
  const path = new URL(request.url).pathname.replace(/^\/api\/auth\//, "").replace(/\/+$/, "");
  const route = path === "sign-in/email" ? "sign-in" : path === "sign-up/email" ? "sign-up" : path;
  // Better Auth's older name for the same route.
  if (route === "forget-password") return "request-password-reset";
  return Object.hasOwn(AUTH_LIMITS, route) ? (route as AuthRoute) : undefined;
}

export interface AuthLimitOptions {
  db: Database;
  clock: Clock;
  /** The client address the app decided on (TRUST_PROXY), never a client's claim. */
  addressOf: (request: Request) => string | undefined;
  /** The signed-in user's email, for the routes that act on the caller's own account (change-email, -password). */
  sessionEmailOf: (request: Request) => Promise<string | undefined>;
}

/**
 * Puts AUTH_LIMITS in front of Better Auth's handler: each limited route is counted per client address and per
 * account before Better Auth sees it, and a request over a limit gets 429 with Retry-After. A try of the account's
 * password (PASSWORD_ROUTES) counts as a failure until it answers 200.
 */
export function limitAuthRequests(
  handler: (request: Request) => Promise<Response>,
  { db, clock, addressOf, sessionEmailOf }: AuthLimitOptions,
) {
  return async (request: Request): Promise<Response> => {
    const route = limitedRoute(request);
    if (!route) return handler(request);
    const rules: { perAddress: WindowRule; perAccount?: WindowRule } = AUTH_LIMITS[route];
    const address = addressOf(request);
    if (address) {
      const wait = await consumeWindow(db, clock, `${route}:ip:${addressBucket(address)}`, rules.perAddress);
      if (wait) return tooManyRequests(wait, "from this address");
    }
    const account = await accountOf(route, request);
    if (account && rules.perAccount) {
      const wait = await consumeWindow(db, clock, `${route}:account:${account}`, rules.perAccount);
      if (wait) return tooManyRequests(wait, "for this account");
    }
    if (!PASSWORD_ROUTES.includes(route) || !account) return handler(request);
    const wait = await claimSignInAttempt(db, clock, account);
    if (wait) return tooManyRequests(wait, "after wrong passwords for this account");
    const response = await handler(request);
    if (response.status === 200) await clearSignInFailures(db, account);
    return response;
  };

  async function accountOf(route: AuthRoute, request: Request): Promise<string | undefined> {
    if (route === "change-email" || route === "change-password") {
      const email = await sessionEmailOf(request);
      return email ? accountKey(email) : undefined;
    }
    const body = (await request
      .clone()
      .json()
      .catch(() => null)) as { email?: unknown } | null;
    return typeof body?.email === "string" && body.email.trim() ? accountKey(body.email) : undefined;
  }
}

/**
 * The part of an address one client controls: an IPv4 address, or an IPv6 /64 (one subscriber's network holds
 * 2^64 addresses, each as cheap to use as the next).
 */
export function addressBucket(address: string): string {
  if (!address.includes(":")) return address;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = address.includes("::") && tail ? tail.split(":") : [];
  const groups = address.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

function tooManyRequests(retryAfterSeconds: number, what: string): Response {
  const message = `Too many attempts ${what}; try again in ${retryAfterSeconds} s`;
  return new Response(JSON.stringify({ code: "TOO_MANY_REQUESTS", message }), {
    status: 429,
    headers: { "content-type": "application/json", "retry-after": String(retryAfterSeconds) },
  });
}
