/**
 * The quarantine verdict. When the owner (or the operator) has an enabled blocking endpoint, a verified upload
 * settles in `quarantined` with a `file.quarantined` event instead of `ready`. That event's delivery to a
 * blocking endpoint is the verdict request: its body gets a presigned GET of the object (≤ 5 minutes, signed at
 * delivery time, so it is in no stored row nor log), and the receiver's 2xx answer carries
 * `{ "verdict": "allow" | "deny", "reason"?: string }`. Allow makes the file `ready` (with `file.ready`); deny
 * deletes the object, releases the quota and rejects it (with `file.rejected`). An answer without a verdict is
 * retried like any failed delivery, and the file waits meanwhile. The first verdict settles the file.
 */
import { type Database, file, webhookEndpoint } from "@signet/db";
import { and, eq, isNull, or } from "drizzle-orm";
import { z } from "zod";
import type { AppDeps } from "../deps.ts";
import { recordFileEvent } from "./audit.ts";
import { signGet } from "./downloads.ts";
import { draftEvent, type EventRow, fileEventData } from "./events.ts";
import { type FileRow, purgeAfterFor, transition } from "./file-record.ts";
import { releaseQuota } from "./limits.ts";

/** How long the scanner's GET lives: long enough to fetch a large object, short enough to be useless later. */
export const VERDICT_GET_TTL_S = 300;

const verdictAnswer = z.object({
  verdict: z.enum(["allow", "deny"]),
  reason: z.string().max(200).optional(),
});
export type Verdict = z.infer<typeof verdictAnswer>;

export type QuarantineDeps = Pick<AppDeps, "db" | "storage" | "clock" | "events">;

/** Whether a verified file of `ownerId` must wait for a verdict: an enabled blocking endpoint could give it. */
export async function mustQuarantine(db: Database, ownerId: string): Promise<boolean> {
  const [found] = await db
    .select({ id: webhookEndpoint.id })
    .from(webhookEndpoint)
    .where(
      and(
        eq(webhookEndpoint.blocking, true),
        eq(webhookEndpoint.enabled, true),
        or(isNull(webhookEndpoint.ownerId), eq(webhookEndpoint.ownerId, ownerId)),
      ),
    )
    .limit(1);
  return found !== undefined;
}

/** The file the verdict request is about, while it still waits for one (else the delivery is a plain event). */
export async function waitingFile(
  deps: Pick<AppDeps, "db">,
  fileId: string | null,
): Promise<FileRow | undefined> {
  if (!fileId) return undefined;
  const [row] = await deps.db
    .select()
    .from(file)
    .where(and(eq(file.id, fileId), eq(file.status, "quarantined")));
  return row;
}

/** The verdict request's body: the stored event with a fresh GET of the object in `data.download`. */
export async function verdictRequestBody(
  deps: Pick<AppDeps, "storage" | "clock">,
  payload: EventRow["payload"],
  row: FileRow,
): Promise<string> {
  const link = await signGet(
    deps,
    { key: row.key, filename: row.originalFilename, contentType: row.contentType },
    "attachment",
    VERDICT_GET_TTL_S,
  );
  const event = payload as unknown as { data: Record<string, unknown> };
  return JSON.stringify({
    ...event,
    data: { ...event.data, download: { url: link.url, expiresAt: link.expiresAt } },
  });
}

/** The verdict in a receiver's answer, or null when it holds none. */
export function parseVerdict(text: string): Verdict | null {
  try {
    const parsed = verdictAnswer.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Settles a quarantined file by its verdict, exactly once (whoever loses the transition does nothing). */
export async function applyVerdict(deps: QuarantineDeps, row: FileRow, verdict: Verdict): Promise<void> {
  const now = deps.clock();
  if (verdict.verdict === "allow") {
    await transition(
      deps,
      row.id,
      ["quarantined"],
      { status: "ready" },
      draftEvent("file.ready", now, fileEventData(row), row.id),
    );
    return;
  }
  const reason = `the scanner denied it${verdict.reason ? `: ${verdict.reason}` : ""}`;
  // The object goes first: a crash after it leaves the file quarantined and the verdict is asked for again.
  await deps.storage.deleteObject(row.key);
  const rejected = await transition(
    deps,
    row.id,
    ["quarantined"],
    { status: "rejected", purgeAfter: purgeAfterFor(row, now) },
    draftEvent("file.rejected", now, fileEventData(row, reason), row.id),
  );
  if (!rejected) return;
  await releaseQuota(deps.db, row.ownerId, row.size);
  await recordFileEvent(deps.db, deps.clock, row, "file.reject", { reason });
}
