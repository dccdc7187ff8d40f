/**
 * The profile image's history (PROFILE_IMAGE_HISTORY): each time another image becomes current, the previous one is
 * kept as a version at `<stable key>/v/<version>`, beside the stable key, and versions beyond the limit are deleted.
 * With a limit of 0 nothing is kept: the stable key is the only object. Versions' bytes count against the user's
 * quota, so one `promote` both moves the bytes and keeps `user_quota` in step.
 *
 * The database holds the truth about which versions exist (`profile_image_version`); objects are written before
 * the rows that name them and deleted after, so a failure in between leaves at worst an unnamed object, never a
 * row pointing at nothing.
 */
import { auditEvent, type Database, profileImage, profileImageVersion, userQuota } from "@signet/db";
import { S3Error } from "@signet/signer";
import { TRPCError } from "@trpc/server";
import { and, desc, eq, type SQL, sql } from "drizzle-orm";
import { type AuditInput, auditRow } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { draftEvent, type EventRow, eventStatements, notifyCommitted } from "./events.ts";
import { reservedBytes, reserveQuotaWhen } from "./limits.ts";
import { profileVersionKey } from "./object-keys.ts";
import { insertWhere } from "./sql.ts";

/** The image that is the profile image now, as recorded. */
export interface CurrentImage {
  key: string;
  contentType: string;
  size: number;
  etag: string | null;
  version: number;
  updatedAt: Date;
}

export type VersionRow = typeof profileImageVersion.$inferSelect;

/** The user's versions, newest first. */
export function listVersions(db: Database, userId: string): Promise<VersionRow[]> {
  return db
    .select()
    .from(profileImageVersion)
    .where(eq(profileImageVersion.userId, userId))
    .orderBy(desc(profileImageVersion.version));
}

/** One of the user's versions, or null. */
export async function findVersion(db: Database, userId: string, version: number): Promise<VersionRow | null> {
  const [row] = await db
    .select()
    .from(profileImageVersion)
    .where(and(eq(profileImageVersion.userId, userId), eq(profileImageVersion.version, version)));
  return row ?? null;
}

function releaseWhen(db: Database, userId: string, bytes: number, when: SQL) {
  return db
    .update(userQuota)
    .set({ reservedBytes: sql`max(0, ${userQuota.reservedBytes} - ${bytes})` })
    .where(sql`${userQuota.userId} = ${userId} and ${when}`);
}

export interface Promotion {
  /** The user's stable key, which the new image is copied over. */
  key: string;
  /** The image being replaced, or null when there is none. */
  current: CurrentImage | null;
  /** Where the new image's verified bytes are (a staging key or a version's key). */
  source: string;
  /** The source's ETag as verified: the copy happens only if the object is still exactly that one. */
  sourceEtag: string;
  contentType: string;
  size: number;
  /** A version being made current again: its row and object go (its bytes are the current image now). */
  restoring?: VersionRow | undefined;
  audit: AuditInput;
}

/**
 * Makes `source` the current image: keeps the current one as a version (when the history allows one), copies
 * the source over the stable key, records the new current image and deletes versions beyond the limit.
 * PAYLOAD_TOO_LARGE, with nothing changed, when keeping the current image would exceed the user's quota.
 */
export async function promote(
  ctx: ServiceContext,
  p: Promotion,
): Promise<{ version: number; evicted: number }> {
  const { db, clock, config, storage } = ctx;
  const userId = ctx.user.id;
  const limit = config.profileImageHistory;
  const others = (await listVersions(db, userId)).filter((v) => v.version !== p.restoring?.version);
  const archive =
    limit > 0 && p.current
      ? {
          userId,
          version: p.current.version,
          key: profileVersionKey(p.key, p.current.version),
          contentType: p.current.contentType,
          size: p.current.size,
          etag: p.current.etag,
          createdAt: p.current.updatedAt,
          archivedAt: clock(),
        }
      : null;
  // The archived image is always the newest version: versions only ever get numbers above the current one's.
  const evicted = others.filter((v) => v.version !== archive?.version).slice(archive ? limit - 1 : limit);
  const freed = evicted.reduce((n, v) => n + v.size, 0) + (p.restoring?.size ?? 0);

  if (archive && p.current) {
    await copyOrConflict(ctx, p.key, archive.key, p.current.etag);
    const exists = sql`exists (select 1 from ${profileImageVersion} where ${profileImageVersion.key} = ${archive.key})`;
    const admitted = sql`${reservedBytes(userId)} + ${archive.size} - ${freed} <= ${config.userQuotaBytes}`;
    const [inserted] = await db.batch([
      insertWhere(db, profileImageVersion, archive, admitted).returning({ key: profileImageVersion.key }),
      reserveQuotaWhen(db, userId, archive.size, exists),
    ]);
    if (inserted.length === 0) {
      await storage.deleteObject(archive.key);
      throw new TRPCError({
        code: "PAYLOAD_TOO_LARGE",
        message:
          `Storage quota exceeded: keeping your current profile image (${archive.size} bytes) as an earlier version ` +
          "does not fit; delete files or remove the picture with its history first",
      });
    }
  }

  try {
    await copyOrConflict(ctx, p.source, p.key, p.sourceEtag);
  } catch (error) {
    // The previous image is still at the stable key: the version just recorded is not one, so it goes again.
    if (archive) {
      await db.batch([
        db.delete(profileImageVersion).where(eq(profileImageVersion.key, archive.key)),
        releaseWhen(db, userId, archive.size, sql`1`),
      ]);
      await storage.deleteObject(archive.key);
    }
    throw error;
  }

  const head = await storage.headObject(p.key);
  const now = clock();
  // Strictly increasing per user, even when two images become current in the same millisecond, and above every
  // version kept, so a restored image gets a new number (and so a new URL).
  const version = Math.max(now.getTime(), (p.current?.version ?? 0) + 1, (p.restoring?.version ?? 0) + 1);
  const values = {
    contentType: p.contentType,
    size: p.size,
    etag: head?.etag ?? null,
    version,
    updatedAt: now,
  };
  const gone = [...evicted, ...(p.restoring ? [p.restoring] : [])];
  const changed = draftEvent("profile.image.changed", now, {
    ownerId: userId,
    key: p.key,
    contentType: p.contentType,
    size: p.size,
    version,
  });
  const [written] = await db.batch([
    ...eventStatements(db, changed),
    db
      .insert(profileImage)
      .values({ userId, ...values })
      .onConflictDoUpdate({ target: profileImage.userId, set: values }),
    ...gone.flatMap((v) => [
      db
        .delete(profileImageVersion)
        .where(and(eq(profileImageVersion.userId, userId), eq(profileImageVersion.version, v.version))),
      releaseWhen(db, userId, v.size, sql`1`),
    ]),
    db.insert(auditEvent).values(auditRow(clock, p.audit)),
  ]);
  notifyCommitted(ctx.events, written as EventRow[]);
  for (const v of gone) await deleteQuietly(ctx, v.key);
  return { version, evicted: evicted.length };
}

/**
 * Deletes every version of the user (rows first, then objects) and gives their bytes back.
 * @returns how many versions there were
 */
export async function clearVersions(ctx: ServiceContext): Promise<number> {
  const versions = await listVersions(ctx.db, ctx.user.id);
  if (versions.length === 0) return 0;
  const bytes = versions.reduce((n, v) => n + v.size, 0);
  await ctx.db.batch([
    ctx.db.delete(profileImageVersion).where(eq(profileImageVersion.userId, ctx.user.id)),
    releaseWhen(ctx.db, ctx.user.id, bytes, sql`1`),
  ]);
  for (const v of versions) await deleteQuietly(ctx, v.key);
  return versions.length;
}

/** Forgets a version whose object is gone (rows and quota), so the history lists only what can be restored. */
export async function forgetVersion(ctx: ServiceContext, v: VersionRow): Promise<void> {
  await ctx.db.batch([
    ctx.db
      .delete(profileImageVersion)
      .where(and(eq(profileImageVersion.userId, v.userId), eq(profileImageVersion.version, v.version))),
    releaseWhen(ctx.db, v.userId, v.size, sql`1`),
  ]);
}

async function copyOrConflict(ctx: ServiceContext, from: string, to: string, etag: string | null) {
  try {
    await ctx.storage.copyObject(from, to, etag ? { ifMatch: etag } : {});
  } catch (error) {
    if (error instanceof S3Error && error.status === 412) {
      throw new TRPCError({
        code: "CONFLICT",
        message: "The profile image changed meanwhile (another tab or device?); reload and try again",
      });
    }
    throw error;
  }
}

async function deleteQuietly(ctx: ServiceContext, key: string) {
  await ctx.storage.deleteObject(key).catch((error: unknown) => {
    // Its row is gone already, so nothing names it; an operator's `signet reconcile` can find it by prefix.
    ctx.logger({
      level: "warn",
      msg: "profile image version delete failed",
      id: ctx.request.requestId,
      error: String(error),
    });
  });
}
