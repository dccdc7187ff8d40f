/**
 * The event outbox. An event is two statements that join the batch of the change it describes: the event row,
 * inserted only when the change took effect (`when`), and its fan-out into one `webhook_delivery` per enabled
 * endpoint that wants it. Both commit with the change or not at all, so a crash can never leave a verified file
 * without its event, nor an event for bytes that were not verified.
 *
 * Payloads carry what a receiver needs to act (ids, key, name, size, type, verified checksum, plan): never a
 * secret or a presigned URL. (A blocking endpoint's verdict request gets its short-lived GET added at delivery
 * time, see quarantine.ts; the stored payload never holds it.)
 */
import { type Database, event, file, webhookDelivery, webhookEndpoint } from "@signet/db";
import { type SQL, sql } from "drizzle-orm";
import type { EventType } from "../contract/webhooks.ts";
import type { EventSink } from "../deps.ts";
import { uuidv7 } from "./ids.ts";
import { insertWhere } from "./sql.ts";

export type { EventType } from "../contract/webhooks.ts";
export type { EventSink } from "../deps.ts";

export interface FileEventData {
  ownerId: string;
  fileId: string;
  key: string;
  filename: string;
  size: number;
  contentType: string;
  /** The SHA-256 the storage verified (base64), or null when the upload declared none. */
  checksumSha256: string | null;
  plan: "single" | "multipart";
  /** Why an upload was refused (file.rejected, upload.expired). */
  reason?: string;
}

export interface ProfileImageEventData {
  ownerId: string;
  key: string;
  contentType: string;
  size: number;
  version: number;
}

export interface AccountEventData {
  ownerId: string;
  files: number;
}

/** Each type's `data`: what the typed hooks receive and the webhook body carries. */
export interface EventDataByType {
  "file.ready": FileEventData;
  "file.quarantined": FileEventData;
  "file.rejected": FileEventData;
  "file.deleted": FileEventData;
  "upload.expired": FileEventData;
  "profile.image.changed": ProfileImageEventData;
  "account.deleted": AccountEventData;
  "webhook.test": { ownerId: string | null; message: string };
}

/** The body of a webhook, as the Standard Webhooks specification shapes it (type, timestamp, data) plus the id. */
export interface SignetEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  timestamp: string;
  data: EventDataByType[T];
}

export type EventRow = typeof event.$inferSelect;

/** The row of a file the event describes. */
interface FileLike {
  id: string;
  ownerId: string;
  key: string;
  originalFilename: string;
  size: number;
  contentType: string;
  checksumSha256: string | null;
  uploadId: string | null;
}

export function fileEventData(row: FileLike, reason?: string): FileEventData {
  return {
    ownerId: row.ownerId,
    fileId: row.id,
    key: row.key,
    filename: row.originalFilename,
    size: row.size,
    contentType: row.contentType,
    checksumSha256: row.checksumSha256,
    plan: row.uploadId ? "multipart" : "single",
    ...(reason === undefined ? {} : { reason }),
  };
}

/** A new event, not yet written. */
export function draftEvent<T extends EventType>(
  type: T,
  at: Date,
  data: EventDataByType[T],
  fileId: string | null = null,
): EventRow {
  const id = `evt_${uuidv7(at).replaceAll("-", "")}`;
  const payload: SignetEvent<T> = { id, type, timestamp: at.toISOString(), data };
  return {
    id,
    type,
    at,
    ownerId: data.ownerId ?? "",
    fileId,
    payload: payload as unknown as EventRow["payload"],
  };
}

/**
 * The event's statements for a batch: the row when `when` holds as the batch reaches it, then one pending
 * delivery per enabled endpoint of the owner (or operator-wide) whose filter takes the type. `operatorOnly`:
 * only operator-wide endpoints (the owner's own endpoints go with their account).
 */
export function eventStatements(
  db: Database,
  draft: EventRow,
  when: SQL = sql`1`,
  options: { operatorOnly?: boolean } = {},
) {
  const insert = insertWhere(db, event, draft, when).returning();
  const owner = options.operatorOnly
    ? sql`${webhookEndpoint.ownerId} is null`
    : sql`(${webhookEndpoint.ownerId} is null or ${webhookEndpoint.ownerId} = ${draft.ownerId})`;
  // A blocking endpoint always gets file.quarantined, whatever its filter: that delivery asks for its verdict.
  const wanted = sql`(json_array_length(${webhookEndpoint.eventTypes}) = 0 or exists (select 1 from json_each(${webhookEndpoint.eventTypes}) where value = ${draft.type}) or (${webhookEndpoint.blocking} = 1 and ${draft.type} = 'file.quarantined'))`;
  const at = draft.at.getTime();
  // Column order of webhook_delivery: event, endpoint, status, attempts, next attempt, lease until, lease owner,
  // last status, last error, created, delivered.
  const fanOut = db.insert(webhookDelivery).select(
    sql`select ${draft.id}, ${webhookEndpoint.id}, 'pending', 0, ${at}, null, null, null, null, ${at}, null
      from ${webhookEndpoint}
      where ${webhookEndpoint.enabled} = 1 and ${owner} and ${wanted}
        and exists (select 1 from ${event} where ${event.id} = ${draft.id})`,
  );
  return [insert, fanOut] as const;
}

/** `when` for a file's event: the file now has `status` and no event of this type was written for it before. */
export function fileEventGuard(fileId: string, status: string, type: EventType): SQL {
  return sql`exists (select 1 from ${file} where ${file.id} = ${fileId} and ${file.status} = ${status}) and not exists (select 1 from ${event} where ${event.fileId} = ${fileId} and ${event.type} = ${type})`;
}

/** Tells the sink about what a batch wrote, never failing the caller (the outbox already holds the events). */
export function notifyCommitted(sink: EventSink | undefined, events: EventRow[]): void {
  if (!sink || events.length === 0) return;
  try {
    sink.committed(events);
  } catch {
    // The sink logs its own failures; the change is committed and the outbox delivers anyway.
  }
}
