/**
 * An account's standing: whether it may be issued upload URLs (it exists, is not being deleted, and is verified
 * when REQUIRE_EMAIL_VERIFICATION asks for it), and what the SPA shows about that.
 */
import { accountDeletion, user } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { eq, type SQL, sql } from "drizzle-orm";
import type { AccountStatus } from "../contract/account.ts";
import type { ServiceContext } from "./context.ts";
import type { Bindable } from "./sql.ts";

/**
 * SQL: whether the user may be issued upload URLs: the account exists, is not being deleted, and is verified when
 * REQUIRE_EMAIL_VERIFICATION asks for it. The announce batch admits a row only under it, so no separate read.
 */
export function mayUploadSql(userId: Bindable<string>, requireEmailVerification: boolean): SQL<boolean> {
  const verified = requireEmailVerification ? sql` and ${user.emailVerified}` : sql``;
  return sql<boolean>`exists (select 1 from ${user} where ${user.id} = ${userId}${verified} and not exists (select 1 from ${accountDeletion} where ${accountDeletion.userId} = ${userId}))`;
}

/** Why the caller may not upload (UNAUTHORIZED or FORBIDDEN), or null when they may. */
export function uploadRefusal(
  ctx: ServiceContext,
  state: { emailVerified: boolean; deleting: string | null } | undefined,
): TRPCError | null {
  if (!state || state.deleting) {
    return new TRPCError({ code: "UNAUTHORIZED", message: "This account has been deleted" });
  }
  if (ctx.config.requireEmailVerification && !state.emailVerified) {
    return new TRPCError({
      code: "FORBIDDEN",
      message: `Verify your email address first: open the link mailed to ${ctx.user.email} (or ask for a new one on your profile page)`,
    });
  }
  return null;
}

/** The columns `uploadRefusal` decides on, for a select from `user` left-joined with `accountDeletion`. */
export const uploadStateColumns = { emailVerified: user.emailVerified, deleting: accountDeletion.userId };

/**
 * Refuses a caller who may not upload. The single-PUT announcement checks this inside its batch instead; this
 * read is for the paths that touch storage before they announce (multipart creation).
 */
export async function assertMayUpload(ctx: ServiceContext): Promise<void> {
  const [row] = await ctx.db
    .select(uploadStateColumns)
    .from(user)
    .leftJoin(accountDeletion, eq(accountDeletion.userId, user.id))
    .where(eq(user.id, ctx.user.id));
  const refusal = uploadRefusal(ctx, row);
  if (refusal) throw refusal;
}

/** What the SPA needs to show the verification banner. */
export async function accountStatus(ctx: ServiceContext): Promise<AccountStatus> {
  const [row] = await ctx.db
    .select({ email: user.email, emailVerified: user.emailVerified })
    .from(user)
    .where(eq(user.id, ctx.user.id));
  if (!row) throw new TRPCError({ code: "UNAUTHORIZED", message: "Your account no longer exists" });
  const required = ctx.config.requireEmailVerification === true;
  return { ...row, requireEmailVerification: required, mayUpload: !required || row.emailVerified };
}

/** Refuses a caller whose account is being deleted. */
export async function assertNotDeleting(ctx: ServiceContext): Promise<void> {
  const [row] = await ctx.db
    .select({ userId: accountDeletion.userId })
    .from(accountDeletion)
    .where(eq(accountDeletion.userId, ctx.user.id));
  if (row) throw new TRPCError({ code: "UNAUTHORIZED", message: "This account has been deleted" });
}
