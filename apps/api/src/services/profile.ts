/**
 * The profile and its image. The image lives at one stable key per user (a UUID, assigned once). Browsers upload
 * to a per-upload staging key; only a verified image is copied over the stable key, so a refused upload never
 * destroys the previous image.
 */

import { profileImage, profileImageUpload, user } from "@signet/db";
import type { HeadObjectResult } from "@signet/signer";
import { contentDisposition } from "@signet/signer";
import { TRPCError } from "@trpc/server";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { assertMayUpload } from "./account.ts";
import { recordAudit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { HEAD_BYTES, sniffImage, TAIL_BYTES } from "./image-sniff.ts";
import { consumeIssuance } from "./limits.ts";
import {
  type CurrentImage,
  clearVersions,
  findVersion,
  forgetVersion,
  listVersions,
  promote,
} from "./profile-history.ts";
import { announce, signUpload, type UploadTarget, verifyUpload } from "./upload.ts";
import { essence, IMAGE_TYPES, type ImageType } from "./validation.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const EXTENSIONS: Record<ImageType, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "image/gif": "gif",
  "image/avif": "avif",
};

export interface ProfileImageUrl {
  hasImage: true;
  downloadUrl: string;
  filename: string;
  expiresIn: number;
}

export interface ProfileView {
  id: string;
  name: string;
  email: string;
  image: { hasImage: boolean; downloadUrl?: string; expiresIn?: number };
}

async function currentImage(ctx: ServiceContext): Promise<CurrentImage | null> {
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
  if (!row?.key || !row.contentType || row.version == null || !UUID.test(row.key)) return null;
  return {
    key: row.key,
    contentType: row.contentType,
    size: row.size ?? 0,
    etag: row.etag ?? null,
    version: row.version,
    updatedAt: row.updatedAt ?? new Date(0),
  };
}

/** The download name of one version of the image: the version in it makes every image's URL its own. */
function imageFilename(version: number, contentType: string): string {
  return `profile-${version}.${EXTENSIONS[contentType as ImageType] ?? "img"}`;
}

/** Signs and audits an inline GET of the image; the caller decides whether it counts against the rate limit. */
async function signImageUrl(ctx: ServiceContext, image: CurrentImage): Promise<ProfileImageUrl> {
  const expiresIn = ctx.config.profileImageDownloadTtl;
  const filename = imageFilename(image.version, image.contentType);
  const signed = await ctx.storage.presignGet(image.key, {
    expiresIn,
    responseContentDisposition: contentDisposition(filename, "inline"),
    responseContentType: image.contentType,
  });
  await recordAudit(ctx.db, ctx.clock, {
    actorId: ctx.user.id,
    action: "profile.image_url",
    objectKey: image.key,
    request: ctx.request,
    detail: { expiresIn },
  });
  return { hasImage: true, downloadUrl: signed.url, filename, expiresIn };
}

/**
 * `{ hasImage: false }` or a fresh inline GET for the image. The filename carries the upload's version, so the
 * URL changes after every completed upload and no cache can show the previous image.
 */
export async function imageDownloadUrl(ctx: ServiceContext): Promise<ProfileImageUrl | { hasImage: false }> {
  const image = await currentImage(ctx);
  if (!image) return { hasImage: false };
  await consumeIssuance(ctx.db, ctx.clock, ctx.user.id, ctx.config.rateLimitPerMinute);
  return signImageUrl(ctx, image);
}

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
    await consumeIssuance(ctx.db, ctx.clock, ctx.user.id, ctx.config.rateLimitPerMinute);
  } catch (error) {
    // Over the rate limit the profile still loads: it says there is an image, just without a fresh URL
    // (`downloadUrl` is optional for exactly this), instead of failing the whole page with 429.
    if (error instanceof TRPCError && error.code === "TOO_MANY_REQUESTS") {
      return { ...row, image: { hasImage: true } };
    }
    throw error;
  }
  const image = await signImageUrl(ctx, current);
  return { ...row, image: { hasImage: true, downloadUrl: image.downloadUrl, expiresIn: image.expiresIn } };
}

/** Changes the display name; the image is never touched. */
export async function updateProfile(ctx: ServiceContext, input: { name: string }) {
  const [row] = await ctx.db
    .update(user)
    .set({ name: input.name, updatedAt: ctx.clock() })
    .where(eq(user.id, ctx.user.id))
    .returning({ id: user.id, name: user.name, email: user.email });
  if (!row)
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Your account no longer exists; sign in again" });
  // Straight through Drizzle, past Better Auth's hooks: cached sessions carry the old name.
  ctx.auth.sessionCache.invalidateUser(ctx.user.id);
  await recordAudit(ctx.db, ctx.clock, {
    actorId: ctx.user.id,
    action: "profile.update",
    objectKey: `user/${ctx.user.id}`,
    request: ctx.request,
    detail: { field: "name" },
  });
  return row;
}

/**
 * The user's stable image key: assigned by the first call with one conditional UPDATE, so concurrent first
 * calls all end up with the same key.
 */
async function stableImageKey(ctx: ServiceContext): Promise<string> {
  await ctx.db
    .update(user)
    .set({ image: crypto.randomUUID() })
    .where(and(eq(user.id, ctx.user.id), isNull(user.image)));
  const [row] = await ctx.db.select({ image: user.image }).from(user).where(eq(user.id, ctx.user.id));
  if (!row?.image) throw new TRPCError({ code: "UNAUTHORIZED", message: "Your account no longer exists" });
  return row.image;
}

export interface CreateImageUploadInput {
  contentType: string;
  fileSize: number;
  originalFilename?: string | undefined;
  checksumSha256?: string | undefined;
}

export interface CreateImageUploadResult {
  presignedUrl: string;
  method: "PUT";
  headers: Record<string, string>;
  key: string;
  contentType: string;
  fileSize: number;
  expiresIn: number;
  uploadedBy: string;
  uploadedAt: string;
  originalFilename: string;
}

/** Signs a PUT of a new profile image (image types only, ≤ MAX_AVATAR_BYTES) to a fresh staging key. */
export async function createImageUpload(
  ctx: ServiceContext,
  input: CreateImageUploadInput,
): Promise<CreateImageUploadResult> {
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
  const stagingKey = `staging/${ctx.user.id}/${uploadId}`;
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
      exists: sql`exists (select 1 from ${profileImageUpload} where ${profileImageUpload.id} = ${uploadId})`,
    },
    audit: {
      actorId: ctx.user.id,
      action: "profile.image_upload_url",
      objectKey: key,
      request: ctx.request,
      detail: { contentType: type, size: input.fileSize },
    },
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
 * Checks the object at `target.key` against what was recorded (size, type, checksum) and its bytes: a complete
 * image of the recorded type, whatever its Content-Type claims. `reason` is null when it is one.
 */
async function verifyImage(
  ctx: ServiceContext,
  target: UploadTarget,
): Promise<{ head: HeadObjectResult | null; reason: string | null }> {
  return verifyUpload(ctx.storage, target, {
    noun: "image",
    sniff: async (head) => {
      const first = await ctx.storage.getObjectRange(target.key, 0, Math.min(HEAD_BYTES, head.size) - 1);
      const last = await ctx.storage.getObjectRange(
        target.key,
        Math.max(0, head.size - TAIL_BYTES),
        head.size - 1,
      );
      const actual = sniffImage(first, last, head.size);
      if (actual === null) return "the file is not a complete PNG, JPEG, WebP, GIF or AVIF image";
      return actual === target.contentType ? null : `the file is ${actual}, not ${target.contentType}`;
    },
  });
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
  if (reason || !stagedHead) {
    await ctx.storage.deleteObject(staged.stagingKey);
    await recordAudit(db, clock, {
      actorId: ctx.user.id,
      action: "profile.image_reject",
      objectKey: key,
      request: ctx.request,
      detail: { reason },
    });
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
      audit: {
        actorId: ctx.user.id,
        action: "profile.image_complete",
        objectKey: key,
        request: ctx.request,
        detail: { contentType: staged.contentType, size: staged.size },
      },
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
  return signImageUrl(ctx, image);
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
    await recordAudit(ctx.db, ctx.clock, {
      actorId: ctx.user.id,
      action: "profile.image_remove",
      objectKey: row?.image ?? `user/${ctx.user.id}`,
      request: ctx.request,
      detail: { keepHistory: input.keepHistory ?? false, versionsDeleted },
    });
  }
  return { hasImage: false };
}

/** One earlier profile image, with a short-lived inline GET of it. */
export interface ImageVersionView {
  version: number;
  contentType: string;
  size: number;
  /** When it became the profile image. */
  createdAt: string;
  /** When it stopped being the profile image. */
  archivedAt: string;
  downloadUrl: string;
  filename: string;
  expiresIn: number;
}

/**
 * The earlier profile images, newest first, each with a GET valid for DOWNLOAD_URL_TTL. Counts as one URL
 * issuance against the rate limit, however many versions it lists (at most PROFILE_IMAGE_HISTORY).
 */
export async function imageHistory(
  ctx: ServiceContext,
): Promise<{ limit: number; versions: ImageVersionView[] }> {
  const versions = await listVersions(ctx.db, ctx.user.id);
  const limit = ctx.config.profileImageHistory;
  if (versions.length === 0) return { limit, versions: [] };
  await consumeIssuance(ctx.db, ctx.clock, ctx.user.id, ctx.config.rateLimitPerMinute);
  const expiresIn = ctx.config.downloadUrlTtl;
  const views = await Promise.all(
    versions.map(async (v) => {
      const filename = imageFilename(v.version, v.contentType);
      const signed = await ctx.storage.presignGet(v.key, {
        expiresIn,
        responseContentDisposition: contentDisposition(filename, "inline"),
        responseContentType: v.contentType,
      });
      return {
        version: v.version,
        contentType: v.contentType,
        size: v.size,
        createdAt: v.createdAt.toISOString(),
        archivedAt: v.archivedAt.toISOString(),
        downloadUrl: signed.url,
        filename,
        expiresIn,
      };
    }),
  );
  await recordAudit(ctx.db, ctx.clock, {
    actorId: ctx.user.id,
    action: "profile.image_history",
    objectKey: `user/${ctx.user.id}`,
    request: ctx.request,
    detail: { versions: views.length, expiresIn },
  });
  return { limit, versions: views };
}

/**
 * Makes an earlier version the profile image again, by a server-side copy of its verified bytes over the stable
 * key; the image it replaces becomes a version in turn. The restored image gets a new version number, so its URL
 * differs from every earlier one. NOT_FOUND for a version the user does not have.
 */
export async function restoreImage(
  ctx: ServiceContext,
  input: { version: number },
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
  return signImageUrl(ctx, image);
}
