/** Deleting a file's thumbnail, apart from thumbnails.ts so that deleting a file (file-record.ts) can reach it. */
import { fileThumbnail } from "@signet/db";
import { eq } from "drizzle-orm";
import type { ServiceContext } from "./context.ts";
import { releaseQuota } from "./limits.ts";

/**
 * Deletes the file's thumbnail, if any: its object, its row, and the bytes it reserved (deleting its row first,
 * so of two concurrent callers only one releases them).
 */
export async function removeThumbnail(
  ctx: Pick<ServiceContext, "db" | "storage">,
  fileId: string,
): Promise<void> {
  const removed = await ctx.db.delete(fileThumbnail).where(eq(fileThumbnail.fileId, fileId)).returning();
  const thumb = removed[0];
  if (!thumb) return;
  await ctx.storage.deleteObject(thumb.key);
  await releaseQuota(ctx.db, thumb.userId, thumb.size);
}
