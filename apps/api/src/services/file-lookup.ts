import { file } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, eq, ne } from "drizzle-orm";
import type { ServiceContext } from "./context.ts";

/**
 * The id of the caller's own file stored under `key` (seed clients name files by their object key). Never any
 * other key in the bucket: another user's key, like an unknown one, is NOT_FOUND.
 */
export async function ownFileIdByKey(ctx: ServiceContext, key: string): Promise<string> {
  const [row] = await ctx.db
    .select({ id: file.id })
    .from(file)
    .where(and(eq(file.key, key), eq(file.ownerId, ctx.user.id), ne(file.status, "deleted")));
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "fileName: no such file" });
  return row.id;
}
