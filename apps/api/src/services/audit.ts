import type { Database } from "@signet/db";
import { auditEvent } from "@signet/db";
import { and, desc, eq } from "drizzle-orm";
import type { AuditPage } from "../contract/audit.ts";
import type { Clock, RequestMeta } from "../ground.ts";
import { observeAudit } from "../observability/audit-hook.ts";
import { redact } from "../redact.ts";
import { uuidv7 } from "./ids.ts";
import { afterPosition, decodeCursor, pageOf } from "./pagination.ts";

export type AuditAction =
  | "file.upload_url"
  | "file.complete"
  | "file.reject"
  | "file.abort"
  | "file.delete"
  | "file.rename"
  | "file.download_url"
  | "file.share"
  | "file.share_link"
  | "file.share_link_revoke"
  | "file.share_download"
  | "file.thumbnail_upload_url"
  | "file.thumbnail_complete"
  | "file.thumbnail_reject"
  | "file.sweep_ready"
  | "file.sweep_reject"
  | "file.reconcile_orphan"
  | "file.reconcile_missing"
  | "storage.reconcile_orphan"
  | "quota.reconcile"
  | "profile.reconcile_missing"
  | "storage.orphan_upload_abort"
  | "thumbnail.urls"
  | "profile.update"
  | "profile.image_upload_url"
  | "profile.image_complete"
  | "profile.image_reject"
  | "profile.image_url"
  | "profile.image_remove"
  | "account.password_reset"
  | "account.export"
  | "account.delete"
  | "profile.image_history"
  | "profile.image_restore"
  | "api_key.create"
  | "api_key.revoke"
  | "upload_request.create"
  | "upload_request.revoke";

type Detail = Record<string, string | number | boolean | null>;
export type FileAuditAction = Extract<AuditAction, `file.${string}`>;

/**
 * One event. Every `file.*` event names the file as the user called it (`detail.filename`) at the time of the
 * event, so the trail still names a file after its row is gone.
 */
export type AuditInput = {
  actorId: string | null;
  objectKey: string;
  fileId?: string | null;
  request?: RequestMeta | undefined;
} & (
  | { action: FileAuditAction; detail: Detail & { filename: string } }
  | { action: Exclude<AuditAction, `file.${string}`>; detail?: Detail }
);

// Belt and braces: the services never pass URLs or signatures, but a detail value that looks like one is
// dropped rather than stored forever in an append-only table.
const LOOKS_SECRET = /:\/\/|x-amz-|signature|credential|token|secret/i;

function scrub(detail: AuditInput["detail"]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(detail ?? {})) {
    out[k] = typeof v === "string" && LOOKS_SECRET.test(v) ? "[redacted]" : v;
  }
  return out;
}

/** The audit row for one event, for callers that insert it inside a batch. */
export function auditRow(clock: Clock, input: AuditInput): typeof auditEvent.$inferInsert {
  const at = clock();
  return {
    id: uuidv7(at),
    at,
    actorId: input.actorId,
    action: input.action,
    objectKey: input.objectKey,
    fileId: input.fileId ?? null,
    ip: input.request?.ip?.slice(0, 64) ?? null,
    // The user agent is whatever the client sent; a URL with a signature in it stays out of the trail.
    userAgent: input.request?.userAgent ? redact(input.request.userAgent).slice(0, 256) : null,
    detail: scrub(input.detail),
  };
}

/** Appends one event to the audit trail. */
export async function recordAudit(db: Database, clock: Clock, input: AuditInput): Promise<void> {
  await db.insert(auditEvent).values(auditRow(clock, input));
  observeAudit(db, input.action, input.detail);
}

/**
 * An event by the caller, about their account (`user/<id>`) unless `objectKey` names one of their objects. Not for
 * `file.*` events, which name their file (`fileEvent`).
 */
export function actorEvent(
  ctx: { user: { id: string }; request: RequestMeta },
  action: Exclude<AuditAction, FileAuditAction>,
  detail: Detail = {},
  objectKey = `user/${ctx.user.id}`,
): AuditInput {
  return { actorId: ctx.user.id, action, objectKey, request: ctx.request, detail };
}

/** The file an event is about, as its row has it. */
interface FileRef {
  id: string;
  key: string;
  ownerId: string;
  originalFilename: string;
}

/** A file.* event by the file's owner, naming the file as the owner called it (the audit contract). */
export function fileEvent(
  file: FileRef,
  action: FileAuditAction,
  detail: Detail = {},
  request?: RequestMeta,
): AuditInput {
  return {
    actorId: file.ownerId,
    action,
    objectKey: file.key,
    fileId: file.id,
    request,
    detail: { filename: file.originalFilename, ...detail },
  };
}

/** Appends a file.* event (see `fileEvent`). */
export function recordFileEvent(
  db: Database,
  clock: Clock,
  file: FileRef,
  action: FileAuditAction,
  detail: Detail = {},
  request?: RequestMeta,
): Promise<void> {
  return recordAudit(db, clock, fileEvent(file, action, detail, request));
}

/** The caller's own events, newest first. */
export async function listAudit(
  db: Database,
  actorId: string,
  input: { cursor?: string | undefined; limit?: number | undefined },
): Promise<AuditPage> {
  const limit = input.limit ?? 50;
  const after = input.cursor ? decodeCursor(input.cursor) : null;
  const rows = await db
    .select()
    .from(auditEvent)
    .where(and(eq(auditEvent.actorId, actorId), afterPosition(auditEvent.at, auditEvent.id, after)))
    .orderBy(desc(auditEvent.at), desc(auditEvent.id))
    .limit(limit + 1);
  return pageOf(
    rows,
    limit,
    (r) => ({
      id: r.id,
      at: r.at.toISOString(),
      action: r.action,
      objectKey: r.objectKey,
      fileId: r.fileId,
      detail: r.detail,
    }),
    (r) => ({ at: r.at, id: r.id }),
  );
}
