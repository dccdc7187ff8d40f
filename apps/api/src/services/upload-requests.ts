/**
 * Upload requests, the owner's side: a link (`/u/<token>`) through which guests without an account upload into the
 * owner's space. The request holds the rules guests are held to (types, largest file, number of files, expiry,
 * password); guest-uploads.ts applies them. Only the token's SHA-256 is stored; the URL is answered once.
 */
import { uploadRequest } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { actorEvent, recordAudit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { uuidv7 } from "./ids.ts";
import { hashLinkPassword, linkTokenHash, newLinkToken } from "./link-secrets.ts";
import { ownedNewestFirst } from "./sql.ts";

/** A request's lifetime when the owner names none: a week. */
const DEFAULT_REQUEST_TTL = 7 * 86_400;

export type UploadRequestRow = typeof uploadRequest.$inferSelect;
export type UploadRequestStatus = "active" | "expired" | "revoked" | "full";

export interface UploadRequestView {
  id: string;
  title: string;
  status: UploadRequestStatus;
  allowedTypes: string[] | null;
  maxFileBytes: number | null;
  maxFiles: number | null;
  files: number;
  hasPassword: boolean;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export function uploadRequestStatus(row: UploadRequestRow, now: Date): UploadRequestStatus {
  if (row.revokedAt) return "revoked";
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return "expired";
  if (row.maxFiles !== null && row.files >= row.maxFiles) return "full";
  return "active";
}

function toView(row: UploadRequestRow, now: Date): UploadRequestView {
  return {
    id: row.id,
    title: row.title,
    status: uploadRequestStatus(row, now),
    allowedTypes: row.allowedTypes ?? null,
    maxFileBytes: row.maxFileBytes,
    maxFiles: row.maxFiles,
    files: row.files,
    hasPassword: row.passwordHash !== null,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** Creates a request; its URL is answered this once. Lifetimes follow SHARE_LINK_MAX_TTL like share links. */
export async function createUploadRequest(
  ctx: ServiceContext,
  input: {
    title: string;
    allowedTypes?: string[] | undefined;
    maxFileBytes?: number | undefined;
    maxFiles?: number | undefined;
    expiresIn?: number | null | undefined;
    password?: string | undefined;
  },
): Promise<UploadRequestView & { url: string }> {
  const cap = ctx.config.shareLinkMaxTtl;
  const ttl =
    input.expiresIn === undefined
      ? Math.min(DEFAULT_REQUEST_TTL, cap ?? DEFAULT_REQUEST_TTL)
      : input.expiresIn;
  if (cap !== null && (ttl === null || ttl > cap)) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `expiresIn: links expire within ${cap} seconds here (SHARE_LINK_MAX_TTL)`,
    });
  }
  if (input.maxFileBytes !== undefined && input.maxFileBytes > ctx.config.maxFileBytes) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `maxFileBytes: at most ${ctx.config.maxFileBytes} (MAX_FILE_BYTES)`,
    });
  }
  const now = ctx.clock();
  const token = newLinkToken();
  const row: UploadRequestRow = {
    id: uuidv7(now),
    ownerId: ctx.user.id,
    tokenHash: await linkTokenHash(token),
    title: input.title,
    allowedTypes: input.allowedTypes ? [...new Set(input.allowedTypes)] : null,
    maxFileBytes: input.maxFileBytes ?? null,
    maxFiles: input.maxFiles ?? null,
    files: 0,
    expiresAt: ttl === null ? null : new Date(now.getTime() + ttl * 1000),
    passwordHash: input.password ? await hashLinkPassword(input.password) : null,
    revokedAt: null,
    createdAt: now,
  };
  await ctx.db.insert(uploadRequest).values(row);
  await recordAudit(
    ctx.db,
    ctx.clock,
    actorEvent(
      ctx,
      "upload_request.create",
      { requestId: row.id, title: row.title },
      `upload-request/${row.id}`,
    ),
  );
  return { ...toView(row, now), url: `${ctx.config.publicUrl}/u/${token}` };
}

/** The caller's requests, newest first. */
export async function listUploadRequests(ctx: ServiceContext): Promise<{ items: UploadRequestView[] }> {
  const rows = await ownedNewestFirst(ctx.db, uploadRequest, uploadRequest.ownerId, ctx.user.id, 500);
  const now = ctx.clock();
  return { items: rows.map((row) => toView(row, now)) };
}

/** Revokes one of the caller's requests: no guest can start, sign or complete anything through it any more. */
export async function revokeUploadRequest(ctx: ServiceContext, id: string): Promise<UploadRequestView> {
  const [row] = await ctx.db
    .select()
    .from(uploadRequest)
    .where(and(eq(uploadRequest.id, id), eq(uploadRequest.ownerId, ctx.user.id)));
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: `id: no upload request ${id}` });
  const now = ctx.clock();
  if (row.revokedAt) return toView(row, now);
  await ctx.db.update(uploadRequest).set({ revokedAt: now }).where(eq(uploadRequest.id, id));
  await recordAudit(
    ctx.db,
    ctx.clock,
    actorEvent(ctx, "upload_request.revoke", { requestId: id }, `upload-request/${id}`),
  );
  return toView({ ...row, revokedAt: now }, now);
}
