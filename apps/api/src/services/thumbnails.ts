/**
 * A file's thumbnail: a small WebP the browser renders from a ready image and uploads beside it through the upload
 * pipeline (upload.ts): signed with its exact size and checksum, reserved in the quota at announce, its magic
 * bytes sniffed at completion, deleted with its file. The server never decodes the bytes, it only checks them.
 */
import { file, fileThumbnail } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, eq, inArray } from "drizzle-orm";
import type { InputOf } from "../contract/define.ts";
import type { filesContract, ThumbnailUploadTicket, ThumbnailUrls } from "../contract/files.ts";
import { actorEvent, fileEvent, recordAudit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { issueAudited, signGet } from "./downloads.ts";
import { type FileRow, ownFile } from "./file-record.ts";
import { sniffStoredImage } from "./image-sniff.ts";
import { MAX_THUMBNAIL_BYTES, THUMBNAIL_URL_TTL } from "./limits.ts";
import { thumbnailKey } from "./object-keys.ts";
import { removeThumbnail } from "./thumbnail-removal.ts";
import { announce, signUpload, verifyUpload } from "./upload.ts";

const WEBP = "image/webp";

/** One of the caller's ready image files: the only files a thumbnail is made for. */
async function readyImage(ctx: ServiceContext, fileId: string): Promise<FileRow> {
  const row = await ownFile(ctx, fileId);
  if (row.status !== "ready") {
    throw new TRPCError({ code: "BAD_REQUEST", message: `fileId: the file is ${row.status}, not ready` });
  }
  if (!row.contentType.startsWith("image/") && !row.contentType.startsWith("video/")) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `fileId: only images and videos have thumbnails (this file is ${row.contentType})`,
    });
  }
  return row;
}

async function thumbnailOf(ctx: ServiceContext, fileId: string) {
  const [row] = await ctx.db.select().from(fileThumbnail).where(eq(fileThumbnail.fileId, fileId));
  return row;
}

/** A pending thumbnail whose upload URL has expired: never completed, and never will be. */
function abandoned(ctx: ServiceContext, thumb: typeof fileThumbnail.$inferSelect): boolean {
  const expiry = thumb.createdAt.getTime() + ctx.config.uploadUrlTtl * 1000;
  return thumb.status === "pending" && expiry <= ctx.clock().getTime();
}

/** Signs the PUT of the file's thumbnail (WebP, exactly `size` ≤ MAX_THUMBNAIL_BYTES), reserving its bytes. */
export async function createThumbnailUpload(
  ctx: ServiceContext,
  input: InputOf<typeof filesContract.createThumbnailUpload>,
): Promise<ThumbnailUploadTicket> {
  if (input.size > MAX_THUMBNAIL_BYTES) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `size: a thumbnail is at most ${MAX_THUMBNAIL_BYTES} bytes (got ${input.size})`,
    });
  }
  const row = await readyImage(ctx, input.fileId);
  const existing = await thumbnailOf(ctx, row.id);
  if (existing && abandoned(ctx, existing)) {
    // Its URL is dead, so no PUT can land there any more: it goes, and a new one may be signed.
    await removeThumbnail(ctx, row.id);
  } else if (existing) {
    throw new TRPCError({
      code: "CONFLICT",
      message:
        existing.status === "ready"
          ? "fileId: this file already has a thumbnail"
          : "fileId: a thumbnail upload for this file is in progress",
    });
  }
  const key = thumbnailKey(row.key);
  const now = ctx.clock();
  const signed = await signUpload(ctx, {
    key,
    contentType: WEBP,
    size: input.size,
    checksumSha256: input.checksumSha256,
    originalFilename: `${row.originalFilename}.thumb.webp`,
    uploadedAt: now,
  });
  await announce(ctx, {
    reserveBytes: input.size,
    row: {
      table: fileThumbnail,
      values: {
        fileId: row.id,
        userId: ctx.user.id,
        key,
        size: input.size,
        checksumSha256: input.checksumSha256 ?? null,
        createdAt: now,
      },
      key: "fileId",
    },
    audit: fileEvent(row, "file.thumbnail_upload_url", { size: input.size }, ctx.request),
  });
  return {
    fileId: row.id,
    url: signed.url,
    method: "PUT",
    headers: signed.headers,
    expiresIn: ctx.config.uploadUrlTtl,
    expiresAt: signed.expiresAt.toISOString(),
  };
}

/**
 * Checks the uploaded thumbnail (size, type, checksum, a complete WebP by its RIFF header) and keeps it; anything
 * else is deleted, its bytes released, and refused with BAD_REQUEST (a new thumbnail may be signed then).
 */
export async function completeThumbnailUpload(ctx: ServiceContext, fileId: string): Promise<{ ok: true }> {
  const row = await ownFile(ctx, fileId);
  const thumb = await thumbnailOf(ctx, row.id);
  if (!thumb) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: "fileId: no thumbnail upload in progress; call files.createThumbnailUpload first",
    });
  }
  if (thumb.status === "ready") return { ok: true };
  const target = {
    key: thumb.key,
    contentType: WEBP,
    size: thumb.size,
    checksumSha256: thumb.checksumSha256,
  };
  const { reason } = await verifyUpload(ctx.storage, target, {
    noun: "image",
    sniff: async (head) => {
      return (await sniffStoredImage(ctx.storage, thumb.key, head.size)) === WEBP
        ? null
        : "the thumbnail is not a complete WebP image";
    },
  });
  if (reason) {
    await removeThumbnail(ctx, row.id);
    await recordAudit(ctx.db, ctx.clock, fileEvent(row, "file.thumbnail_reject", { reason }, ctx.request));
    throw new TRPCError({ code: "BAD_REQUEST", message: `Thumbnail refused: ${reason}` });
  }
  await ctx.db
    .update(fileThumbnail)
    .set({ status: "ready" })
    .where(and(eq(fileThumbnail.fileId, row.id), eq(fileThumbnail.status, "pending")));
  await recordAudit(
    ctx.db,
    ctx.clock,
    fileEvent(row, "file.thumbnail_complete", { size: thumb.size }, ctx.request),
  );
  return { ok: true };
}

/**
 * Short-lived inline GETs of the caller's verified thumbnails among `fileIds` (others' files and files without
 * one are left out alike), counted as ONE issuance: a grid asks for a page at once.
 */
export async function thumbnailUrls(
  ctx: ServiceContext,
  input: InputOf<typeof filesContract.thumbnailUrls>,
): Promise<ThumbnailUrls> {
  const rows = await ctx.db
    .select({ fileId: fileThumbnail.fileId, key: fileThumbnail.key, filename: file.originalFilename })
    .from(fileThumbnail)
    .innerJoin(file, eq(file.id, fileThumbnail.fileId))
    .where(
      and(
        inArray(fileThumbnail.fileId, [...new Set(input.fileIds)]),
        eq(fileThumbnail.userId, ctx.user.id),
        eq(fileThumbnail.status, "ready"),
        eq(file.status, "ready"),
      ),
    );
  const expiresIn = Math.min(THUMBNAIL_URL_TTL, ctx.config.downloadUrlTtl);
  const items = await Promise.all(
    rows.map(async (row) => {
      const object = { key: row.key, filename: `${row.filename}.thumb.webp`, contentType: WEBP };
      const link = await signGet(ctx, object, "inline", expiresIn);
      return { fileId: row.fileId, url: link.url, expiresAt: link.expiresAt };
    }),
  );
  await issueAudited(ctx, actorEvent(ctx, "thumbnail.urls", { count: items.length }));
  return { items };
}
