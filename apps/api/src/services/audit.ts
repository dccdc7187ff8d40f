import type { Database } from "@signet/db";
import { auditEvent } from "@signet/db";
import { and, desc, eq, lt, or } from "drizzle-orm";
import type { Clock } from "../deps.ts";
import { redact } from "../http/redact.ts";
import type { RequestMeta } from "./context.ts";
import { uuidv7 } from "./ids.ts";
import { decodeCursor, encodeCursor } from "./pagination.ts";

export type AuditAction =
  | "file.upload_url"
  | "file.complete"
  | "file.reject"
  | "file.abort"
  | "file.delete"
  | "file.download_url"
  | "file.share"
  | "file.sweep_ready"
  | "file.sweep_reject"
  | "profile.update"
  | "profile.image_upload_url"
  | "profile.image_complete"
  | "profile.image_reject"
  | "profile.image_url"
  | "profile.image_remove"
  | "account.password_reset"
  | "account.export"
  | "account.delete";

export interface AuditInput {
  actorId: string | null;
  action: AuditAction;
  objectKey: string;
  fileId?: string | null;
  request?: RequestMeta | undefined;
  detail?: Record<string, string | number | boolean | null>;
}

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

/** Appends one event to the audit trail. */
export async function recordAudit(db: Database, clock: Clock, input: AuditInput): Promise<void> {
  const at = clock();
  await db.insert(auditEvent).values({
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
  });
}

export interface AuditView {
  id: string;
  at: string;
  action: string;
  objectKey: string;
  fileId: string | null;
  detail: Record<string, unknown>;
}

/** The caller's own events, newest first. */
export async function listAudit(
  db: Database,
  actorId: string,
  input: { cursor?: string | undefined; limit?: number | undefined },
): Promise<{ items: AuditView[]; nextCursor: string | null }> {
  const limit = input.limit ?? 50;
  const after = input.cursor ? decodeCursor(input.cursor) : null;
  const rows = await db
    .select()
    .from(auditEvent)
    .where(
      and(
        eq(auditEvent.actorId, actorId),
        after
          ? or(lt(auditEvent.at, after.at), and(eq(auditEvent.at, after.at), lt(auditEvent.id, after.id)))
          : undefined,
      ),
    )
    .orderBy(desc(auditEvent.at), desc(auditEvent.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      action: r.action,
      objectKey: r.objectKey,
      fileId: r.fileId,
      detail: r.detail,
    })),
    nextCursor: rows.length > limit && last ? encodeCursor({ at: last.at, id: last.id }) : null,
  };
}
