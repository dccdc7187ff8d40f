/**
 * Leaving Signet with everything: the export of every completed file of a person, each with a download link
 * valid for a chosen time.
 */
import { file } from "@signet/db";
import { and, asc, eq } from "drizzle-orm";
import type { AccountExport, accountContract } from "../contract/account.ts";
import type { InputOf } from "../contract/define.ts";
import { assertNotDeleting } from "./account-standing.ts";
import { actorEvent } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { boundTtl, issueAudited, signFileExport } from "./downloads.ts";

/** Most files one export lists (oldest first). */
export const EXPORT_MAX_FILES = 5000;

/**
 * Every completed file of the caller with a download link valid for `expiresIn` seconds (at most
 * SHARE_URL_MAX_TTL). One export counts as one URL issuance against the rate limit.
 */
export async function exportFiles(
  ctx: ServiceContext,
  input: InputOf<typeof accountContract.export>,
): Promise<AccountExport> {
  const expiresIn = boundTtl(input.expiresIn, ctx.config.shareUrlMaxTtl);
  await assertNotDeleting(ctx);
  const rows = await ctx.db
    .select()
    .from(file)
    .where(and(eq(file.ownerId, ctx.user.id), eq(file.status, "ready")))
    .orderBy(asc(file.createdAt), asc(file.id))
    .limit(EXPORT_MAX_FILES);
  const now = ctx.clock();
  const files: AccountExport["files"] = [];
  for (const row of rows) {
    const signed = await signFileExport(ctx, row, expiresIn);
    files.push({
      id: row.id,
      filename: row.originalFilename,
      contentType: row.contentType,
      size: row.size,
      checksumSha256: row.checksumSha256,
      createdAt: row.createdAt.toISOString(),
      url: signed.url,
    });
  }
  await issueAudited(ctx, actorEvent(ctx, "account.export", { files: files.length, expiresIn }));
  return {
    generatedAt: now.toISOString(),
    expiresIn,
    expiresAt: new Date(now.getTime() + expiresIn * 1000).toISOString(),
    files,
  };
}
