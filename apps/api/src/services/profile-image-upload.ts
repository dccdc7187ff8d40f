/**
 * Uploading a profile image: the upload pipeline (upload.ts) with the image's own rules. A staging key per upload,
 * no quota, magic-byte sniffing at verify, and a settle step that copies the verified object over the user's
 * stable key (profile-history.ts keeps the image it replaces).
 */

import { profileImage, profileImageUpload } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, desc, eq, isNull } from "drizzle-orm";
import type { InputOf } from "../contract/define.ts";
import type { ImageUploadTicket, profileContract } from "../contract/profile.ts";
import { observeImageVerification } from "../observability/audit-hook.ts";
import { assertMayUpload } from "./account-standing.ts";
import { actorEvent, recordAudit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { stagingKey as stagingKeyOf } from "./object-keys.ts";
import { promote } from "./profile-history.ts";
import {
  currentImage,
  EXTENSIONS,
  type ProfileImageUrl,
  signImageUrl,
  stableImageKey,
  verifyImage,
} from "./profile-image.ts";
import { announce, signUpload } from "./upload.ts";
import { essence, IMAGE_TYPES, type ImageType } from "./validation.ts";

/** Signs a PUT of a new profile image (image types only, ≤ MAX_AVATAR_BYTES) to a fresh staging key. */
export async function createImageUpload(
  ctx: ServiceContext,
  input: InputOf<typeof profileContract.createImageUpload>,
): Promise<ImageUploadTicket> {
  const { clock, config } = ctx;
  const type = essence(input.contentType);
  if (!(IMAGE_TYPES as readonly string[]).includes(type) || type !== input.contentType) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `contentType: must be one of ${IMAGE_TYPES.join(", ")} (got ${input.contentType})`,
    });
  }
  if (input.fileSize > config.maxAvatarBytes) {
    throw new TRPCError({
      code: "PAYLOAD_TOO_LARGE",
      message: `fileSize: a profile image is at most ${config.maxAvatarBytes} bytes (got ${input.fileSize})`,
    });
  }
  await assertMayUpload(ctx);
  const key = await stableImageKey(ctx);
  const uploadId = crypto.randomUUID();
  const stagingKey = stagingKeyOf(ctx.user.id, uploadId);
  const now = clock();
  const originalFilename = input.originalFilename ?? `profile.${EXTENSIONS[type as ImageType]}`;
  const target = {
    key: stagingKey,
    contentType: type,
    size: input.fileSize,
    checksumSha256: input.checksumSha256,
  };
  const signed = await signUpload(ctx, { ...target, originalFilename, uploadedAt: now });
  await announce(ctx, {
    // A profile image replaces the previous one and is bounded by MAX_AVATAR_BYTES: it takes no quota.
    reserveBytes: 0,
    row: {
      table: profileImageUpload,
      values: {
        id: uploadId,
        userId: ctx.user.id,
        stagingKey,
        contentType: type,
        size: input.fileSize,
        checksumSha256: input.checksumSha256 ?? null,
        originalFilename,
        createdAt: now,
        expiresAt: signed.expiresAt,
      },
      key: "id",
    },
    audit: actorEvent(ctx, "profile.image_upload_url", { contentType: type, size: input.fileSize }, key),
  });
  return {
    presignedUrl: signed.url,
    method: "PUT",
    headers: signed.headers,
    key,
    contentType: type,
    fileSize: input.fileSize,
    expiresIn: config.uploadUrlTtl,
    uploadedBy: ctx.user.id,
    uploadedAt: now.toISOString(),
    originalFilename,
  };
}

/**
 * Verifies the latest staged upload (size, type, magic bytes, complete file) and makes it the profile image;
 * anything else is deleted and refused with BAD_REQUEST, leaving the previous image in place.
 */
export async function completeImageUpload(ctx: ServiceContext): Promise<ProfileImageUrl> {
  const { db, clock } = ctx;
  const [staged] = await db
    .select()
    .from(profileImageUpload)
    .where(eq(profileImageUpload.userId, ctx.user.id))
    .orderBy(desc(profileImageUpload.createdAt))
    .limit(1);
  // Only the latest signed upload counts; once claimed, completing again has nothing to complete.
  if (!staged || staged.claimedAt) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: "No profile image upload in progress; call profile.createImageUpload first",
    });
  }
  // Claim the staged upload: of concurrent completions only one verifies and copies it. The row itself stays
  // until its URL expires, for the sweeper to delete the staging key once more (a replayed PUT lands there).
  const claimed = await db
    .update(profileImageUpload)
    .set({ claimedAt: clock() })
    .where(and(eq(profileImageUpload.id, staged.id), isNull(profileImageUpload.claimedAt)))
    .returning({ id: profileImageUpload.id });
  if (claimed.length === 0) {
    throw new TRPCError({
      code: "CONFLICT",
      message:
        "This profile image upload is already being completed; ask profile.imageDownloadUrl for the result",
    });
  }
  const key = await stableImageKey(ctx);
  // Storage failed before anything changed: hand the claim back so the same upload can be completed again.
  const unclaim = () =>
    db.update(profileImageUpload).set({ claimedAt: null }).where(eq(profileImageUpload.id, staged.id));
  let verified: Awaited<ReturnType<typeof verifyImage>>;
  try {
    verified = await verifyImage(ctx, { ...staged, key: staged.stagingKey });
  } catch (error) {
    await unclaim();
    throw error;
  }
  const { reason, head: stagedHead } = verified;
  observeImageVerification(db, reason ?? (stagedHead ? null : "the image was not uploaded"), staged.size);
  if (reason || !stagedHead) {
    await ctx.storage.deleteObject(staged.stagingKey);
    await recordAudit(db, clock, actorEvent(ctx, "profile.image_reject", { reason }, key));
    throw new TRPCError({ code: "BAD_REQUEST", message: `Profile image refused: ${reason}` });
  }
  try {
    await promote(ctx, {
      key,
      current: await currentImage(ctx),
      source: staged.stagingKey,
      sourceEtag: stagedHead.etag,
      contentType: staged.contentType,
      size: staged.size,
      audit: actorEvent(
        ctx,
        "profile.image_complete",
        { contentType: staged.contentType, size: staged.size },
        key,
      ),
    });
  } catch (error) {
    if (error instanceof TRPCError) {
      // Refused (over quota, or the image changed meanwhile): the previous image stays, this upload is done.
      await ctx.storage.deleteObject(staged.stagingKey);
    } else {
      await unclaim();
    }
    throw error;
  }
  await ctx.storage.deleteObject(staged.stagingKey).catch((error: unknown) => {
    // The image is already in place; the sweeper deletes the staging key with its row once the URL expires.
    ctx.logger({
      level: "warn",
      msg: "staging delete failed; the sweeper retries",
      id: ctx.request.requestId,
      error: String(error),
    });
  });
  // Not counted against the rate limit: the upload URL already was, and the new image is stored by now, so a
  // TOO_MANY_REQUESTS here would report a failure for an upload that succeeded.
  const image = await currentImage(ctx);
  if (!image) {
    // profile.removeImage ran while this upload was being completed, and removal is the later word: the key is
    // no longer the user's (a new upload gets a new one), so what was copied there and recorded goes too.
    await ctx.storage.deleteObject(key);
    await db.delete(profileImage).where(eq(profileImage.userId, ctx.user.id));
    throw new TRPCError({
      code: "CONFLICT",
      message: "The profile image was removed while this upload completed; upload it again to use it",
    });
  }
  return signImageUrl(ctx, image, false);
}
