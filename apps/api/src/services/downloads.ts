/**
 * Downloads: the only place a GET is signed. Every file, share link, export entry and profile image URL goes
 * through `signGet`, so the rules hold for all of them: active content is never served inline from the bucket's
 * origin, a URL lives no longer than its bound (`boundTtl`), and a URL handed out is counted against the rate
 * limit together with its audit event, in one batch (`issueAudited`).
 */

import { contentDisposition } from "@signet/signer";
import { TRPCError } from "@trpc/server";
import type { InputOf } from "../contract/define.ts";
import type { DownloadLink, filesContract } from "../contract/files.ts";
import { type AuditInput, type FileAuditAction, fileEvent } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { type FileRow, readyFile } from "./file-record.ts";
import { consumeIssuanceAudited } from "./limits.ts";
import { isActiveContent } from "./validation.ts";

/** What a GET serves: the object, the name it downloads under, and its type. */
export interface Downloadable {
  key: string;
  filename: string;
  contentType: string;
}

/** The lifetime asked for (`max` when none was), refused above `max`. */
export function boundTtl(expiresIn: number | undefined, max: number): number {
  const ttl = expiresIn ?? max;
  if (ttl > max) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `expiresIn: at most ${max} seconds (got ${ttl})` });
  }
  return ttl;
}

/** Signs a GET of `object` (pure computation: nothing is counted or recorded). */
export async function signGet(
  ctx: Pick<ServiceContext, "storage" | "clock">,
  object: Downloadable,
  disposition: "inline" | "attachment",
  expiresIn: number,
): Promise<DownloadLink> {
  // Inline active content would run on the bucket's origin: it is always an attachment, and served as opaque
  // bytes so that a client ignoring the disposition still has nothing to render.
  const active = isActiveContent(object.contentType);
  const signed = await ctx.storage.presignGet(object.key, {
    expiresIn,
    responseContentDisposition: contentDisposition(object.filename, active ? "attachment" : disposition),
    responseContentType: active ? "application/octet-stream" : object.contentType,
  });
  return {
    url: signed.url,
    filename: object.filename,
    expiresIn,
    expiresAt: new Date(ctx.clock().getTime() + expiresIn * 1000).toISOString(),
  };
}

/**
 * Counts the URLs just signed as one issuance and records `audit`, in one batch: TOO_MANY_REQUESTS with no
 * event when over the rate limit. Signing is pure, so it goes first and a refusal simply discards the URLs.
 */
export function issueAudited(ctx: ServiceContext, audit: AuditInput): Promise<void> {
  return consumeIssuanceAudited(ctx.db, ctx.clock, ctx.user.id, ctx.config.rateLimitPerMinute, audit);
}

/** A file as a download: under the name its owner uploaded it with. */
function downloadable(row: FileRow): Downloadable {
  return { key: row.key, filename: row.originalFilename, contentType: row.contentType };
}

/** A short-lived GET for the owner. The TTL comes from config; callers may ask for less, never more. */
export async function downloadUrl(
  ctx: ServiceContext,
  input: InputOf<typeof filesContract.downloadUrl>,
): Promise<DownloadLink> {
  const expiresIn = boundTtl(input.expiresIn, ctx.config.downloadUrlTtl);
  const disposition = input.disposition ?? "attachment";
  return issueFileLink(ctx, input.fileId, disposition, expiresIn, {
    action: "file.download_url",
    detail: { expiresIn, disposition },
  });
}

/** A longer-lived link to hand to someone else (1 minute .. SHARE_URL_MAX_TTL), always as an attachment. */
export async function shareUrl(
  ctx: ServiceContext,
  input: InputOf<typeof filesContract.shareUrl>,
): Promise<DownloadLink> {
  const expiresIn = boundTtl(input.expiresIn, ctx.config.shareUrlMaxTtl);
  return issueFileLink(ctx, input.fileId, "attachment", expiresIn, {
    action: "file.share",
    detail: { expiresIn },
  });
}

/** Signs a GET of one of the caller's ready files, counted against the rate limit with its audit event. */
async function issueFileLink(
  ctx: ServiceContext,
  fileId: string,
  disposition: "inline" | "attachment",
  expiresIn: number,
  audit: { action: FileAuditAction; detail: Record<string, string | number> },
): Promise<DownloadLink> {
  const row = await readyFile(ctx, fileId, "downloaded");
  const result = await signGet(ctx, downloadable(row), disposition, expiresIn);
  await issueAudited(ctx, fileEvent(row, audit.action, audit.detail, ctx.request));
  return result;
}

/** Every completed file listed in an export, as an attachment valid for the export's lifetime. */
export function signFileExport(ctx: ServiceContext, row: FileRow, expiresIn: number): Promise<DownloadLink> {
  return signGet(ctx, downloadable(row), "attachment", expiresIn);
}
