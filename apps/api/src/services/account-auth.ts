/**
 * The account features Better Auth provides, configured for Signet: password reset by mail (single-use link,
 * every session ended), email verification, change of email confirmed at the new address, rate limits on the
 * mail-sending endpoints, and no new session for an account that is being deleted. auth.ts plugs these in.
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
    rateLimit: {
      enabled: true,
      // In the database, so every API instance counts the same requests.
      storage: "database",
      modelName: "authRateLimit",
      // Better Auth takes the first rule whose path matches, in this order: the mail-sending endpoints get 3 per
      // minute per client address, and nothing else is counted here (no database write per auth request; sign-in
      // keeps its previous behaviour, and limiting it per account is future work).
      customRules: {
        "/request-password-reset": { window: 60, max: 3 },
        "/send-verification-email": { window: 60, max: 3 },
        "/**": false,
      },
    },
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
