/**
 * Share links on Signet's own origin (`/s/<token>`): the owner's side (create, list, revoke) and the public side
 * (what the landing page shows, and the redemption that hands out a GET). Each request checks the link's policy;
 * a download is counted by ONE conditional UPDATE that re-checks it, so `maxDownloads` holds exactly across
 * instances, and a revocation takes effect at the next request. The GET itself is signed by downloads.ts and lives
 * at most SHARE_DOWNLOAD_TTL seconds, so a redirect target is useless soon after.
 */
import { auditEvent, file, shareLink } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, desc, eq, ne, sql } from "drizzle-orm";
import type { AppDeps } from "../deps.ts";
import type { Actor, RequestMeta } from "../ground.ts";
import { addressBucket } from "./account-auth.ts";
import { auditRow, fileEvent, recordAudit, recordFileEvent } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { signGet } from "./downloads.ts";
import { type FileRow, readyFile } from "./file-record.ts";
import { uuidv7 } from "./ids.ts";
import { consumeWindow, LINK_PASSWORD_LIMITS } from "./limits.ts";
import {
  hashLinkPassword,
  isLinkToken,
  linkTokenHash,
  newLinkToken,
  verifyLinkPassword,
} from "./link-secrets.ts";
import { claimLinkUse } from "./link-uses.ts";

/** The longest a redirect target (the presigned GET behind a share link) lives. */
export const SHARE_DOWNLOAD_TTL = 60;
/** A link's lifetime when the owner names none: a week, or the operator's cap when shorter. */
const DEFAULT_LINK_TTL = 7 * 86_400;

type ShareLinkRow = typeof shareLink.$inferSelect;
export type ShareLinkStatus = "active" | "expired" | "revoked" | "used_up";

export interface ShareLinkView {
  id: string;
  fileId: string;
  filename: string;
  status: ShareLinkStatus;
  createdAt: string;
  expiresAt: string | null;
  maxDownloads: number | null;
  downloads: number;
  lastUsedAt: string | null;
  hasPassword: boolean;
  signedInOnly: boolean;
  revokedAt: string | null;
}

function statusOf(row: ShareLinkRow, now: Date): ShareLinkStatus {
  if (row.revokedAt) return "revoked";
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return "expired";
  if (row.maxDownloads !== null && row.downloads >= row.maxDownloads) return "used_up";
  return "active";
}

function toView(row: ShareLinkRow, filename: string, now: Date): ShareLinkView {
  return {
    id: row.id,
    fileId: row.fileId,
    filename,
    status: statusOf(row, now),
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    maxDownloads: row.maxDownloads,
    downloads: row.downloads,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    hasPassword: row.passwordHash !== null,
    signedInOnly: row.signedInOnly,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** The link's lifetime in seconds (null: never), within the operator's SHARE_LINK_MAX_TTL. */
function linkTtl(expiresIn: number | null | undefined, cap: number | null): number | null {
  if (expiresIn === undefined) return Math.min(DEFAULT_LINK_TTL, cap ?? DEFAULT_LINK_TTL);
  if (cap === null) return expiresIn;
  if (expiresIn === null || expiresIn > cap) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `expiresIn: links expire within ${cap} seconds here (SHARE_LINK_MAX_TTL)`,
    });
  }
  return expiresIn;
}

/** Creates a link to one of the caller's completed files; its URL is answered this once. */
export async function createShareLink(
  ctx: ServiceContext,
  input: {
    fileId: string;
    expiresIn?: number | null | undefined;
    maxDownloads?: number | null | undefined;
    password?: string | undefined;
    signedInOnly?: boolean | undefined;
  },
): Promise<ShareLinkView & { url: string }> {
  const ttl = linkTtl(input.expiresIn, ctx.config.shareLinkMaxTtl);
  const target = await readyFile(ctx, input.fileId, "shared");
  const now = ctx.clock();
  const token = newLinkToken();
  const row: ShareLinkRow = {
    id: uuidv7(now),
    fileId: target.id,
    ownerId: ctx.user.id,
    tokenHash: await linkTokenHash(token),
    expiresAt: ttl === null ? null : new Date(now.getTime() + ttl * 1000),
    maxDownloads: input.maxDownloads ?? null,
    downloads: 0,
    lastUsedAt: null,
    passwordHash: input.password ? await hashLinkPassword(input.password) : null,
    signedInOnly: input.signedInOnly ?? false,
    revokedAt: null,
    createdAt: now,
  };
  const view = toView(row, target.originalFilename, now);
  await ctx.db.batch([
    ctx.db.insert(shareLink).values(row),
    ctx.db.insert(auditEvent).values(
      auditRow(
        ctx.clock,
        fileEvent(
          target,
          "file.share_link",
          {
            linkId: row.id,
            expiresAt: view.expiresAt,
            maxDownloads: row.maxDownloads,
            hasPassword: view.hasPassword,
            signedInOnly: row.signedInOnly,
          },
          ctx.request,
        ),
      ),
    ),
  ]);
  return { ...view, url: `${ctx.config.publicUrl}/s/${token}` };
}

/** The caller's links (one file's, or all), newest first, with their downloads; links of deleted files drop out. */
export async function listShareLinks(
  ctx: ServiceContext,
  input: { fileId?: string | undefined } | undefined,
): Promise<{ items: ShareLinkView[] }> {
  const rows = await ctx.db
    .select({ link: shareLink, filename: file.originalFilename })
    .from(shareLink)
    .innerJoin(file, eq(file.id, shareLink.fileId))
    .where(
      and(
        eq(shareLink.ownerId, ctx.user.id),
        ne(file.status, "deleted"),
        input?.fileId ? eq(shareLink.fileId, input.fileId) : undefined,
      ),
    )
    .orderBy(desc(shareLink.createdAt), desc(shareLink.id))
    .limit(500);
  const now = ctx.clock();
  return { items: rows.map((r) => toView(r.link, r.filename, now)) };
}

/** Revokes one of the caller's links: the next request for it answers 410. Another user's link is NOT_FOUND. */
export async function revokeShareLink(ctx: ServiceContext, id: string): Promise<ShareLinkView> {
  const [found] = await ctx.db
    .select({ link: shareLink, file })
    .from(shareLink)
    .innerJoin(file, eq(file.id, shareLink.fileId))
    .where(and(eq(shareLink.id, id), eq(shareLink.ownerId, ctx.user.id)));
  if (!found) throw new TRPCError({ code: "NOT_FOUND", message: `id: no share link ${id}` });
  const now = ctx.clock();
  if (found.link.revokedAt) return toView(found.link, found.file.originalFilename, now);
  await ctx.db.update(shareLink).set({ revokedAt: now }).where(eq(shareLink.id, id));
  await recordFileEvent(ctx.db, ctx.clock, found.file, "file.share_link_revoke", { linkId: id }, ctx.request);
  return toView({ ...found.link, revokedAt: now }, found.file.originalFilename, now);
}

/** Why a link gives nothing: each reason has its own page and status in http/share-pages.ts. */
export type ShareRefusal =
  | { reason: "not_found" | "expired" | "revoked" | "used_up" | "file_gone" }
  | { reason: "password_required" | "wrong_password" | "sign_in_required" }
  | { reason: "rate_limited"; retryAfterSeconds: number };

/** What a landing page may show about a usable link. */
export interface SharedFile {
  filename: string;
  size: number;
  contentType: string;
  hasPassword: boolean;
  signedInOnly: boolean;
}

interface Resolved {
  link: ShareLinkRow;
  file: FileRow;
}

async function resolve(deps: AppDeps, token: string): Promise<Resolved | ShareRefusal> {
  if (!isLinkToken(token)) return { reason: "not_found" };
  const [found] = await deps.db
    .select({ link: shareLink, file })
    .from(shareLink)
    .innerJoin(file, eq(file.id, shareLink.fileId))
    .where(eq(shareLink.tokenHash, await linkTokenHash(token)));
  if (!found) return { reason: "not_found" };
  return usable(found, deps.clock()) ?? found;
}

function usable({ link, file: target }: Resolved, now: Date): ShareRefusal | null {
  const status = statusOf(link, now);
  if (status !== "active") return { reason: status };
  if (target.status !== "ready") return { reason: "file_gone" };
  return null;
}

/** The landing page's view of a link: the file (when no password hides it), or why there is nothing. */
export async function sharedFile(deps: AppDeps, token: string): Promise<SharedFile | ShareRefusal> {
  const found = await resolve(deps, token);
  if ("reason" in found) return found;
  return {
    filename: found.file.originalFilename,
    size: found.file.size,
    contentType: found.file.contentType,
    hasPassword: found.link.passwordHash !== null,
    signedInOnly: found.link.signedInOnly,
  };
}

/** Counts a password try per link and per address; the wait when either is over its limit. */
async function passwordTryAllowed(deps: AppDeps, linkId: string, request: RequestMeta) {
  const { perLink, perAddress } = LINK_PASSWORD_LIMITS;
  const waits = [await consumeWindow(deps.db, deps.clock, `link-password:link:${linkId}`, perLink)];
  if (request.ip) {
    const key = `link-password:ip:${addressBucket(request.ip)}`;
    waits.push(await consumeWindow(deps.db, deps.clock, key, perAddress));
  }
  const wait = Math.max(0, ...waits.map((w) => w ?? 0));
  return wait > 0 ? wait : undefined;
}

/**
 * One download through a link: the policy (status, signed-in only, password with its rate limits), then the count
 * by one conditional UPDATE that re-checks the policy, then a GET of at most SHARE_DOWNLOAD_TTL seconds, as an
 * attachment under the file's name. Audited as the owner's `file.share_download` with the address and user agent.
 */
export async function redeemShareLink(
  deps: AppDeps,
  input: { token: string; password?: string | undefined; actor: Actor | null; request: RequestMeta },
): Promise<{ url: string } | ShareRefusal> {
  const found = await resolve(deps, input.token);
  if ("reason" in found) return found;
  const { link } = found;
  if (link.signedInOnly && !input.actor) return { reason: "sign_in_required" };
  if (link.passwordHash) {
    if (!input.password) return { reason: "password_required" };
    const wait = await passwordTryAllowed(deps, link.id, input.request);
    if (wait) return { reason: "rate_limited", retryAfterSeconds: wait };
    if (!(await verifyLinkPassword(input.password, link.passwordHash))) return { reason: "wrong_password" };
  }
  const now = deps.clock();
  const download = await claimLinkUse(deps.db, shareLink, link.id, now, {
    uses: "downloads",
    max: "maxDownloads",
    set: { lastUsedAt: now },
    where: sql`exists (select 1 from ${file} where ${file.id} = ${shareLink.fileId} and ${file.status} = 'ready')`,
  });
  if (download === null) {
    // Lost to a revocation, the expiry or the last allowed download since `resolve`: name which.
    const again = await resolve(deps, input.token);
    return "reason" in again ? again : { reason: "used_up" };
  }
  const target = found.file;
  const ttl = Math.min(SHARE_DOWNLOAD_TTL, deps.config.downloadUrlTtl);
  const object = { key: target.key, filename: target.originalFilename, contentType: target.contentType };
  const signed = await signGet(deps, object, "attachment", ttl);
  await recordAudit(
    deps.db,
    deps.clock,
    fileEvent(
      target,
      "file.share_download",
      {
        linkId: link.id,
        download,
        downloader: input.actor?.id ?? null,
        address: input.request.ip ?? null,
        userAgent: input.request.userAgent?.slice(0, 256) ?? null,
      },
      input.request,
    ),
  );
  return { url: signed.url };
}
