/**
 * Reconciliation of the database with itself and with the bucket. Finds (and with `fix` repairs, audited):
 * - quota drift: a user's reserved bytes differ from the sizes of their live rows (pending + ready files, kept
 *   profile picture versions);
 * - objects without rows: keys in a layout Signet owns that no live row, staging upload or profile references;
 * - rows without objects: ready files and profile images whose object is gone.
 * Keys in layouts Signet does not know are reported and never touched.
 */
import {
  file,
  fileThumbnail,
  profileImage,
  profileImageUpload,
  profileImageVersion,
  user,
  userQuota,
} from "@signet/db";
import type { Signer } from "@signet/signer";
import { and, eq, inArray, isNotNull, type SQLWrapper, sql } from "drizzle-orm";
import type { AppDeps } from "../deps.ts";
import { type AuditAction, type FileAuditAction, recordAudit } from "./audit.ts";
import { releaseQuota } from "./limits.ts";
import { classifyKey } from "./object-keys.ts";

/** Statuses whose bytes count against the quota. */
const LIVE = ["pending", "ready", "quarantined"] as const;
/** Leftover doctor probes younger than this may belong to a doctor still running. */
const DOCTOR_PROBE_GRACE_MS = 3600_000;

export interface QuotaDrift {
  userId: string;
  /** What user_quota says. */
  reservedBytes: number;
  /** The sum of the user's pending and ready rows. */
  liveBytes: number;
  /** Set to liveBytes (only with fix, and only if nothing changed the quota meanwhile). */
  fixed: boolean;
}

export type StorageFindingKind =
  /** An object no row references, in a layout Signet owns: removed by fix. */
  | "orphan-object"
  /** An object outside every layout Signet knows: reported, never touched. */
  | "unknown-object"
  /** A ready file whose object is gone: marked deleted and its quota released by fix. */
  | "missing-file-object"
  /** A current profile image whose object is gone: the image is dropped by fix. */
  | "missing-profile-image";

export interface StorageFinding {
  kind: StorageFindingKind;
  key: string;
  userId?: string | undefined;
  fileId?: string | undefined;
  filename?: string | undefined;
  size?: number | undefined;
  fixed: boolean;
}

export interface ReconcileResult {
  quota: QuotaDrift[];
  storage: StorageFinding[];
  /** Objects listed in the bucket. */
  objectsScanned: number;
}

export type ReconcileDeps = Pick<AppDeps, "db" | "clock"> & {
  signer: Pick<Signer, "listObjects" | "headObject" | "deleteObject">;
};

/**
 * The bytes a user's quota must hold: their pending and ready files, and the earlier profile pictures kept as
 * history (the current picture is not counted, as before history existed), and files' thumbnails.
 */
function liveBytesOf(userId: SQLWrapper) {
  return sql<number>`((select coalesce(sum(${file.size}), 0) from ${file} where ${file.ownerId} = ${userId} and ${inArray(file.status, [...LIVE])}) + (select coalesce(sum(${profileImageVersion.size}), 0) from ${profileImageVersion} where ${profileImageVersion.userId} = ${userId}) + (select coalesce(sum(${fileThumbnail.size}), 0) from ${fileThumbnail} where ${fileThumbnail.userId} = ${userId}))`;
}

/**
 * Quota drift only (no storage calls): what the sweeper runs each pass with `fix: true`. Each correction is one
 * statement that recomputes the sum and applies only if the quota still holds the value seen, so a reservation
 * racing it is never lost; a drift still in flight is simply corrected on the next pass.
 */
export async function reconcileQuota(
  deps: Pick<AppDeps, "db" | "clock">,
  options: { fix: boolean },
): Promise<QuotaDrift[]> {
  const { db } = deps;
  const reserved = sql<number>`coalesce(${userQuota.reservedBytes}, 0)`;
  const liveBytes = liveBytesOf(user.id);
  const rows = await db
    .select({ userId: user.id, reservedBytes: reserved, liveBytes })
    .from(user)
    .leftJoin(userQuota, eq(userQuota.userId, user.id))
    .where(sql`${reserved} <> ${liveBytes}`)
    .orderBy(user.id);

  const drift: QuotaDrift[] = [];
  for (const row of rows) {
    const found: QuotaDrift = {
      userId: row.userId,
      reservedBytes: Number(row.reservedBytes),
      liveBytes: Number(row.liveBytes),
      fixed: false,
    };
    drift.push(found);
    if (!options.fix) continue;
    const recomputed = liveBytesOf(sql`${row.userId}`);
    const updated = await db
      .insert(userQuota)
      .values({ userId: row.userId, reservedBytes: recomputed })
      .onConflictDoUpdate({
        target: userQuota.userId,
        set: { reservedBytes: recomputed },
        setWhere: eq(userQuota.reservedBytes, found.reservedBytes),
      })
      .returning({ reservedBytes: userQuota.reservedBytes });
    const after = updated[0]?.reservedBytes;
    if (after === undefined) continue;
    found.fixed = true;
    found.liveBytes = after;
    await recordAudit(db, deps.clock, {
      actorId: row.userId,
      action: "quota.reconcile",
      objectKey: `user/${row.userId}`,
      detail: { before: found.reservedBytes, after },
    });
  }
  return drift;
}

/** Every object in the bucket, page by page. */
async function listAll(
  signer: ReconcileDeps["signer"],
  onPage?: (count: number) => void,
): Promise<Map<string, { size: number; lastModified: Date }>> {
  const objects = new Map<string, { size: number; lastModified: Date }>();
  let token: string | undefined;
  do {
    const page = await signer.listObjects("", token);
    for (const o of page.objects) objects.set(o.key, { size: o.size, lastModified: o.lastModified });
    onPage?.(objects.size);
    token = page.nextContinuationToken;
  } while (token);
  return objects;
}

/** The original filename the upload stored in its metadata, when it did. */
async function storedFilename(signer: ReconcileDeps["signer"], key: string): Promise<string | undefined> {
  const value = (await signer.headObject(key))?.metadata["original-filename"];
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The full reconciliation: quota drift, then the bucket listed against the rows. With `fix`, every repair is
 * audited (`quota.reconcile`, `file.reconcile_orphan`, `file.reconcile_missing`, `storage.reconcile_orphan`,
 * `profile.reconcile_missing`).
 */
export async function reconcile(
  deps: ReconcileDeps,
  options: { fix: boolean; onProgress?: (message: string) => void },
): Promise<ReconcileResult> {
  const { db, signer, clock } = deps;
  const progress = options.onProgress ?? (() => {});
  progress("checking quotas");
  const quota = await reconcileQuota(deps, options);

  progress("listing the bucket");
  const objects = await listAll(signer, (n) => progress(`listing the bucket: ${n} objects`));
  // Read after the listing: every row that existed when an object was written is visible now (rows are
  // written before their upload URL is handed out).
  const rows = await db
    .select({
      id: file.id,
      key: file.key,
      ownerId: file.ownerId,
      status: file.status,
      filename: file.originalFilename,
      size: file.size,
      purgeAfter: file.purgeAfter,
    })
    .from(file);
  // A thumbnail's row owns its object from the signed PUT on, and is deleted (with the object) with its file.
  const staging = new Set([
    ...(await db.select({ key: profileImageUpload.stagingKey }).from(profileImageUpload)).map((r) => r.key),
    ...(await db.select({ key: fileThumbnail.key }).from(fileThumbnail)).map((r) => r.key),
  ]);
  const images = await db
    .select({ userId: user.id, key: user.image, current: profileImage.userId })
    .from(user)
    .leftJoin(profileImage, eq(profileImage.userId, user.id))
    .where(isNotNull(user.image));
  const imageKeys = new Set(images.map((r) => r.key));
  const byKey = new Map(rows.map((r) => [r.key, r]));

  const findings: StorageFinding[] = [];
  const audit = (action: AuditAction, finding: StorageFinding, reason: string) => {
    const common = {
      actorId: finding.userId ?? null,
      objectKey: finding.key,
      fileId: finding.fileId ?? null,
    };
    const size: Record<string, number> = finding.size !== undefined ? { size: finding.size } : {};
    // file.* events name the file as its owner called it; an object with no row has no such name.
    return action.startsWith("file.")
      ? recordAudit(db, clock, {
          ...common,
          action: action as FileAuditAction,
          detail: {
            filename: finding.filename ?? finding.key.split("/").pop() ?? finding.key,
            ...size,
            reason,
          },
        })
      : recordAudit(db, clock, {
          ...common,
          action: action as Exclude<AuditAction, FileAuditAction>,
          detail: { ...size, reason },
        });
  };

  /** Reports an object no row owns; with --fix, deletes it and audits why it went. */
  const orphan = async (finding: StorageFinding, action: AuditAction, reason: string) => {
    findings.push(finding);
    if (!options.fix) return;
    await signer.deleteObject(finding.key);
    finding.fixed = true;
    await audit(action, finding, reason);
  };

  let checked = 0;
  for (const [key, object] of objects) {
    if (++checked % 1000 === 0) progress(`checking objects: ${checked} of ${objects.size}`);
    // Kept profile image versions are still reported as unknown, as before the layout was named in one place.
    const layout = classifyKey(key);
    if (layout.kind === "file") {
      const row = byKey.get(key);
      // A live row owns it; a row that left pending while its URL still works has a purge due later (sweeper).
      if (row && LIVE.includes(row.status as (typeof LIVE)[number])) continue;
      if (row?.purgeAfter && row.purgeAfter.getTime() > clock().getTime()) continue;
      const userId = row?.ownerId ?? layout.userId;
      const finding: StorageFinding = {
        kind: "orphan-object",
        key,
        userId,
        fileId: row?.id,
        filename: row?.filename ?? (await storedFilename(signer, key)) ?? key.slice(key.lastIndexOf("/") + 1),
        size: object.size,
        fixed: false,
      };
      await orphan(finding, "file.reconcile_orphan", row ? `object of a ${row.status} file` : "no file row");
    } else if (
      layout.kind === "staging" ||
      layout.kind === "thumbnail" ||
      layout.kind === "doctor" ||
      layout.kind === "profile-image"
    ) {
      if (staging.has(key) || imageKeys.has(key)) continue;
      const young = clock().getTime() - object.lastModified.getTime() < DOCTOR_PROBE_GRACE_MS;
      if (layout.kind === "doctor" && young) continue;
      await orphan(
        {
          kind: "orphan-object",
          key,
          userId: layout.userId,
          size: object.size,
          fixed: false,
        },
        "storage.reconcile_orphan",
        "no row references it",
      );
    } else {
      findings.push({ kind: "unknown-object", key, size: object.size, fixed: false });
    }
  }

  for (const row of rows) {
    if (row.status !== "ready" || objects.has(row.key)) continue;
    // Listed before the row was read: confirm, so an object that arrived meanwhile is not called missing.
    if (await signer.headObject(row.key)) continue;
    const finding: StorageFinding = {
      kind: "missing-file-object",
      key: row.key,
      userId: row.ownerId,
      fileId: row.id,
      filename: row.filename,
      size: row.size,
      fixed: false,
    };
    findings.push(finding);
    if (!options.fix) continue;
    const [gone] = await db
      .update(file)
      .set({ status: "deleted" })
      .where(and(eq(file.id, row.id), eq(file.status, "ready")))
      .returning({ id: file.id });
    if (!gone) continue;
    await releaseQuota(db, row.ownerId, row.size);
    finding.fixed = true;
    await audit("file.reconcile_missing", finding, "the object is gone from the bucket");
  }

  for (const image of images) {
    if (!image.key || image.current === null || objects.has(image.key)) continue;
    if (await signer.headObject(image.key)) continue;
    const finding: StorageFinding = {
      kind: "missing-profile-image",
      key: image.key,
      userId: image.userId,
      fixed: false,
    };
    findings.push(finding);
    if (!options.fix) continue;
    await db.delete(profileImage).where(eq(profileImage.userId, image.userId));
    finding.fixed = true;
    await audit("profile.reconcile_missing", finding, "the image object is gone from the bucket");
  }

  return { quota, storage: findings, objectsScanned: objects.size };
}

/** Whether anything is left to repair: drift or findings not fixed (unknown objects are only reported). */
export function reconcileClean(result: ReconcileResult): boolean {
  return (
    result.quota.every((d) => d.fixed) && result.storage.every((f) => f.fixed || f.kind === "unknown-object")
  );
}
