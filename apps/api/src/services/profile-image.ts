/**
 * The profile image. It lives at one stable key per user (a UUID, assigned once); browsers upload to a staging key
 * (profile-image-upload.ts), and only a verified image is copied over the stable key, so a refused upload never
 * destroys the previous image. Earlier images are kept as versions (profile-history.ts) and can be restored.
 */

import { profileImage, user } from "@signet/db";
import type { HeadObjectResult } from "@signet/signer";
import { TRPCError } from "@trpc/server";
import { and, eq, isNull } from "drizzle-orm";
import type { InputOf } from "../contract/define.ts";
import type { DownloadLink } from "../contract/files.ts";
import type { ImageHistory, ProfileImageLink, profileContract } from "../contract/profile.ts";
import { actorEvent, recordAudit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { issueAudited, signGet } from "./downloads.ts";
import { sniffStoredImage } from "./image-sniff.ts";
import { consumeIssuance } from "./limits.ts";
import { isProfileImageKey, newProfileImageKey } from "./object-keys.ts";
import {
  type CurrentImage,
  clearVersions,
  findVersion,
  forgetVersion,
  listVersions,
  promote,
} from "./profile-history.ts";
import { type UploadTarget, verifyUpload } from "./upload.ts";
import type { ImageType } from "./validation.ts";

/** A profile image link when there is an image. */
export type ProfileImageUrl = Extract<ProfileImageLink, { hasImage: true }>;

export const EXTENSIONS: Record<ImageType, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "image/gif": "gif",
  "image/avif": "avif",
};

/** The image that is the profile image now, or null. */
export async function currentImage(ctx: ServiceContext): Promise<CurrentImage | null> {
  const [row] = await ctx.db
    .select({
      key: user.image,
      contentType: profileImage.contentType,
      size: profileImage.size,
      etag: profileImage.etag,
      version: profileImage.version,
      updatedAt: profileImage.updatedAt,
    })
    .from(user)
    .leftJoin(profileImage, eq(profileImage.userId, user.id))
    .where(eq(user.id, ctx.user.id));
  if (!row?.key || !row.contentType || row.version == null || !isProfileImageKey(row.key)) return null;
  return {
    key: row.key,
    contentType: row.contentType,
    size: row.size ?? 0,
    etag: row.etag ?? null,
    version: row.version,
    updatedAt: row.updatedAt ?? new Date(0),
  };
}

/**
 * An inline GET of one version of the image. Its download name carries the version, which makes every image's
 * URL its own.
 */
function signImage(
  ctx: ServiceContext,
  image: { key: string; version: number; contentType: string },
  expiresIn: number,
): Promise<DownloadLink> {
  const filename = `profile-${image.version}.${EXTENSIONS[image.contentType as ImageType] ?? "img"}`;
  return signGet(ctx, { key: image.key, filename, contentType: image.contentType }, "inline", expiresIn);
}

/**
 * Signs an inline GET of the image and records it. `counted`: as one URL issuance against the rate limit, in the
 * same batch as its event (TOO_MANY_REQUESTS over the limit); otherwise only recorded.
 */
export async function signImageUrl(
  ctx: ServiceContext,
  image: CurrentImage,
  counted: boolean,
): Promise<ProfileImageUrl> {
  const expiresIn = ctx.config.profileImageDownloadTtl;
  const signed = await signImage(ctx, image, expiresIn);
  const audit = actorEvent(ctx, "profile.image_url", { expiresIn }, image.key);
  await (counted ? issueAudited(ctx, audit) : recordAudit(ctx.db, ctx.clock, audit));
  return { hasImage: true, downloadUrl: signed.url, filename: signed.filename, expiresIn };
}

/**
 * `{ hasImage: false }` or a fresh inline GET for the image. The filename carries the upload's version, so the
 * URL changes after every completed upload and no cache can show the previous image.
 */
export async function imageDownloadUrl(ctx: ServiceContext): Promise<ProfileImageLink> {
  const image = await currentImage(ctx);
  if (!image) return { hasImage: false };
  return signImageUrl(ctx, image, true);
}

/**
 * The user's stable image key: assigned by the first call with one conditional UPDATE, so concurrent first
 * calls all end up with the same key.
 */
export async function stableImageKey(ctx: ServiceContext): Promise<string> {
  await ctx.db
    .update(user)
    .set({ image: newProfileImageKey() })
    .where(and(eq(user.id, ctx.user.id), isNull(user.image)));
  const [row] = await ctx.db.select({ image: user.image }).from(user).where(eq(user.id, ctx.user.id));
  if (!row?.image) throw new TRPCError({ code: "UNAUTHORIZED", message: "Your account no longer exists" });
  return row.image;
}

/**
 * Checks the object at `target.key` against what was recorded (size, type, checksum) and its bytes: a complete
 * image of the recorded type, whatever its Content-Type claims. `reason` is null when it is one.
 */
export async function verifyImage(
  ctx: ServiceContext,
  target: UploadTarget,
): Promise<{ head: HeadObjectResult | null; reason: string | null }> {
  return verifyUpload(ctx.storage, target, {
    noun: "image",
    sniff: async (head) => {
      const actual = await sniffStoredImage(ctx.storage, target.key, head.size);
      if (actual === null) return "the file is not a complete PNG, JPEG, WebP, GIF or AVIF image";
      return actual === target.contentType ? null : `the file is ${actual}, not ${target.contentType}`;
    },
  });
}

/**
 * Deletes the current image and clears `user.image` (a later upload gets a new stable key). The earlier versions
 * are deleted too, unless `keepHistory`: they stay restorable under the key they were kept at.
 */
export async function removeImage(
  ctx: ServiceContext,
  input: { keepHistory?: boolean | undefined } = {},
): Promise<{ hasImage: false }> {
  const [row] = await ctx.db.select({ image: user.image }).from(user).where(eq(user.id, ctx.user.id));
  const versionsDeleted = input.keepHistory ? 0 : await clearVersions(ctx);
  if (row?.image || versionsDeleted > 0) {
    if (row?.image) {
      await ctx.storage.deleteObject(row.image);
      await ctx.db.delete(profileImage).where(eq(profileImage.userId, ctx.user.id));
      await ctx.db.update(user).set({ image: null, updatedAt: ctx.clock() }).where(eq(user.id, ctx.user.id));
    }
    await recordAudit(
      ctx.db,
      ctx.clock,
      actorEvent(
        ctx,
        "profile.image_remove",
        { keepHistory: input.keepHistory ?? false, versionsDeleted },
        row?.image ?? `user/${ctx.user.id}`,
      ),
    );
  }
  return { hasImage: false };
}

/**
 * The earlier profile images, newest first, each with a GET valid for DOWNLOAD_URL_TTL. Counts as one URL
 * issuance against the rate limit, however many versions it lists (at most PROFILE_IMAGE_HISTORY).
 */
export async function imageHistory(ctx: ServiceContext): Promise<ImageHistory> {
  const versions = await listVersions(ctx.db, ctx.user.id);
  const limit = ctx.config.profileImageHistory;
  if (versions.length === 0) return { limit, versions: [] };
  const expiresIn = ctx.config.downloadUrlTtl;
  const views = await Promise.all(
    versions.map(async (v) => {
      const signed = await signImage(ctx, v, expiresIn);
      return {
        version: v.version,
        contentType: v.contentType,
        size: v.size,
        createdAt: v.createdAt.toISOString(),
        archivedAt: v.archivedAt.toISOString(),
        downloadUrl: signed.url,
        filename: signed.filename,
        expiresIn,
      };
    }),
  );
  await issueAudited(ctx, actorEvent(ctx, "profile.image_history", { versions: views.length, expiresIn }));
  return { limit, versions: views };
}

/**
 * Makes an earlier version the profile image again, by a server-side copy of its verified bytes over the stable
 * key; the image it replaces becomes a version in turn. The restored image gets a new version number, so its URL
 * differs from every earlier one. NOT_FOUND for a version the user does not have.
 */
export async function restoreImage(
  ctx: ServiceContext,
  input: InputOf<typeof profileContract.restoreImage>,
): Promise<ProfileImageUrl> {
  // Counted like an upload: it copies objects and answers with a fresh URL.
  await consumeIssuance(ctx.db, ctx.clock, ctx.user.id, ctx.config.rateLimitPerMinute);
  const version = await findVersion(ctx.db, ctx.user.id, input.version);
  if (!version) {
    throw new TRPCError({
      code: "NOT_FOUND",
      message: `version: you have no earlier profile image ${input.version}; see profile.imageHistory`,
    });
  }
  const { head, reason } = await verifyImage(ctx, version);
  if (!head) {
    await forgetVersion(ctx, version);
    throw new TRPCError({
      code: "NOT_FOUND",
      message: `version: the earlier profile image ${input.version} is no longer stored`,
    });
  }
  if (reason) {
    throw new TRPCError({
      code: "PRECONDITION_FAILED",
      message: `version: the earlier profile image ${input.version} cannot be restored: ${reason}`,
    });
  }
  const key = await stableImageKey(ctx);
  const current = await currentImage(ctx);
  await promote(ctx, {
    key,
    current,
    source: version.key,
    sourceEtag: head.etag,
    contentType: version.contentType,
    size: version.size,
    restoring: version,
    audit: {
      actorId: ctx.user.id,
      action: "profile.image_restore",
      objectKey: key,
      request: ctx.request,
      detail: {
        version: version.version,
        replaced: current?.version ?? null,
        contentType: version.contentType,
      },
    },
  });
  const image = await currentImage(ctx);
  if (!image) {
    throw new TRPCError({
      code: "CONFLICT",
      message: "The profile image was removed while it was being restored; try again",
    });
  }
  // Already counted above, as the restore itself.
  return signImageUrl(ctx, image, false);
}
