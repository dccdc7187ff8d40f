/**
 * The profile record: the display name and the image's presence. The image itself is profile-image.ts (and its
 * upload profile-image-upload.ts); the profile router reaches all three through this file.
 */

import { user } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import type { InputOf } from "../contract/define.ts";
import type { ProfileName, ProfileView, profileContract } from "../contract/profile.ts";
import { actorEvent, recordAudit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { currentImage, signImageUrl } from "./profile-image.ts";

export { imageDownloadUrl, imageHistory, removeImage, restoreImage } from "./profile-image.ts";
export { completeImageUpload, createImageUpload } from "./profile-image-upload.ts";

/** The caller's profile with a fresh image URL when there is an image. */
export async function getProfile(ctx: ServiceContext): Promise<ProfileView> {
  const [row] = await ctx.db
    .select({ id: user.id, name: user.name, email: user.email })
    .from(user)
    .where(eq(user.id, ctx.user.id));
  if (!row)
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Your account no longer exists; sign in again" });
  const current = await currentImage(ctx);
  if (!current) return { ...row, image: { hasImage: false } };
  try {
    const image = await signImageUrl(ctx, current, true);
    return { ...row, image: { hasImage: true, downloadUrl: image.downloadUrl, expiresIn: image.expiresIn } };
  } catch (error) {
    // Over the rate limit the profile still loads: it says there is an image, just without a fresh URL
    // (`downloadUrl` is optional for exactly this), instead of failing the whole page with 429.
    if (error instanceof TRPCError && error.code === "TOO_MANY_REQUESTS") {
      return { ...row, image: { hasImage: true } };
    }
    throw error;
  }
}

/** Changes the display name; the image is never touched. */
export async function updateProfile(
  ctx: ServiceContext,
  input: InputOf<typeof profileContract.update>,
): Promise<ProfileName> {
  const [row] = await ctx.db
    .update(user)
    .set({ name: input.name, updatedAt: ctx.clock() })
    .where(eq(user.id, ctx.user.id))
    .returning({ id: user.id, name: user.name, email: user.email });
  if (!row)
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Your account no longer exists; sign in again" });
  // Straight through Drizzle, past Better Auth's hooks: cached sessions carry the old name.
  ctx.auth.sessionCache.invalidateUser(ctx.user.id);
  await recordAudit(ctx.db, ctx.clock, actorEvent(ctx, "profile.update", { field: "name" }));
  return row;
}
