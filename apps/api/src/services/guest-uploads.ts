/**
 * Guest uploads through an upload request: a guest without an account holds the request's token and nothing else.
 * Each call resolves the token to the request, applies its rules (types, largest file, number of files, expiry,
 * password, per-link and per-address limits), then runs the owner's own upload pipeline (file-uploads.ts,
 * multipart-plan.ts) as the owner: the same signing, verification and quota. A guest reaches only files started
 * through the same request and still being uploaded: nothing to list, download or delete.
 */
import { file, uploadRequest, user } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, eq, sql } from "drizzle-orm";
import type { FileView, UploadTicket } from "../contract/files.ts";
import type { AppDeps } from "../deps.ts";
import type { RequestMeta } from "../ground.ts";
import { addressBucket } from "./account-auth.ts";
import type { ServiceContext } from "./context.ts";
import type { CreateUploadInput } from "./file-record.ts";
import * as files from "./files.ts";
import {
  consumeWindow,
  GUEST_UPLOAD_LIMITS,
  LINK_PASSWORD_LIMITS,
  RateLimited,
  type WindowRule,
} from "./limits.ts";
import { isLinkToken, linkTokenHash, verifyLinkPassword } from "./link-secrets.ts";
import { claimLinkUse } from "./link-uses.ts";
import type { UploadRequestRow } from "./upload-requests.ts";
import { uploadRequestStatus } from "./upload-requests.ts";
import { contentTypeAllowed, essence } from "./validation.ts";

type GuestContext = Pick<ServiceContext, keyof AppDeps | "request">;

const noRequest = () => new TRPCError({ code: "NOT_FOUND", message: "token: no such upload request" });

async function requestOf(deps: AppDeps, token: string): Promise<UploadRequestRow> {
  if (!isLinkToken(token)) throw noRequest();
  const [row] = await deps.db
    .select()
    .from(uploadRequest)
    .where(eq(uploadRequest.tokenHash, await linkTokenHash(token)));
  if (!row) throw noRequest();
  return row;
}

/** FORBIDDEN naming why the request takes no more uploads. */
function closed(row: UploadRequestRow, now: Date): TRPCError | null {
  const status = uploadRequestStatus(row, now);
  if (status === "active") return null;
  const why = {
    revoked: "was revoked by its owner",
    expired: "has expired",
    full: `has received all ${row.maxFiles} files it asked for`,
  }[status];
  return new TRPCError({ code: "FORBIDDEN", message: `token: this upload request ${why}` });
}

async function limit(deps: AppDeps, key: string, rule: WindowRule, what: string) {
  const wait = await consumeWindow(deps.db, deps.clock, key, rule);
  if (wait) {
    throw new TRPCError({
      code: "TOO_MANY_REQUESTS",
      message: `Too many ${what}; try again in ${wait} s`,
      cause: new RateLimited(wait),
    });
  }
}

/** Per request and per client address (the one TRUST_PROXY decides). */
async function limitBoth(
  deps: AppDeps,
  request: RequestMeta,
  name: string,
  id: string,
  rules: { perLink: WindowRule; perAddress: WindowRule },
  what: string,
) {
  await limit(deps, `${name}:link:${id}`, rules.perLink, `${what} for this link`);
  if (request.ip)
    await limit(
      deps,
      `${name}:ip:${addressBucket(request.ip)}`,
      rules.perAddress,
      `${what} from this address`,
    );
}

/** The owner, as the actor the pipeline runs as (their quota, their rate limit, their standing). */
async function asOwner(ctx: GuestContext, row: UploadRequestRow): Promise<ServiceContext> {
  const [owner] = await ctx.db
    .select({ id: user.id, name: user.name, email: user.email })
    .from(user)
    .where(eq(user.id, row.ownerId));
  if (!owner) throw noRequest();
  const { request, ...deps } = ctx;
  return { ...(deps as AppDeps), user: owner, request };
}

/** The largest file a guest may send: the request's own bound within MAX_FILE_BYTES. */
const largestFile = (deps: AppDeps, row: UploadRequestRow) =>
  Math.min(row.maxFileBytes ?? deps.config.maxFileBytes, deps.config.maxFileBytes);

/** What the guest page shows. */
export async function describeRequest(ctx: GuestContext, token: string) {
  const row = await requestOf(ctx, token);
  const refusal = closed(row, ctx.clock());
  if (refusal) throw refusal;
  return {
    title: row.title,
    allowedTypes: row.allowedTypes ?? ctx.config.allowedContentTypes,
    maxFileBytes: largestFile(ctx, row),
    filesLeft: row.maxFiles === null ? null : row.maxFiles - row.files,
    hasPassword: row.passwordHash !== null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    multipartThresholdBytes: ctx.config.multipartThresholdBytes,
  };
}

/**
 * Starts a guest's upload: the request's rules, then a file slot claimed by one conditional UPDATE (so
 * `maxFiles` holds across instances), then the owner's createUpload; the slot is given back when that refuses.
 */
export async function createGuestUpload(
  ctx: GuestContext,
  input: CreateUploadInput & { token: string; password?: string | undefined },
): Promise<UploadTicket> {
  const row = await requestOf(ctx, input.token);
  const now = ctx.clock();
  const refusal = closed(row, now);
  if (refusal) throw refusal;
  await limitBoth(ctx, ctx.request, "guest-upload", row.id, GUEST_UPLOAD_LIMITS, "uploads");
  if (row.passwordHash) {
    if (!input.password)
      throw new TRPCError({
        code: "UNAUTHORIZED",
        message: "password: this upload request needs its password",
      });
    await limitBoth(ctx, ctx.request, "link-password", row.id, LINK_PASSWORD_LIMITS, "password tries");
    if (!(await verifyLinkPassword(input.password, row.passwordHash))) {
      throw new TRPCError({ code: "UNAUTHORIZED", message: "password: wrong password" });
    }
  }
  if (row.allowedTypes && !contentTypeAllowed(input.contentType, row.allowedTypes)) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `contentType: ${essence(input.contentType)} files are not accepted by this upload request (allowed: ${row.allowedTypes.join(", ")})`,
    });
  }
  const largest = largestFile(ctx, row);
  if (input.size > largest) {
    throw new TRPCError({
      code: "PAYLOAD_TOO_LARGE",
      message: `size: at most ${largest} bytes per file for this upload request (got ${input.size})`,
    });
  }
  const claimed = await claimLinkUse(ctx.db, uploadRequest, row.id, now, { uses: "files", max: "maxFiles" });
  if (claimed === null) throw closed({ ...row, files: row.maxFiles ?? row.files }, now) ?? noRequest();
  const owner = await asOwner(ctx, row);
  const { token: _token, password: _password, ...upload } = input;
  let started: UploadTicket;
  try {
    started = await files.createUpload(owner, upload);
  } catch (error) {
    await ctx.db
      .update(uploadRequest)
      .set({ files: sql`max(0, ${uploadRequest.files} - 1)` })
      .where(eq(uploadRequest.id, row.id));
    throw error;
  }
  await ctx.db.update(file).set({ uploadRequestId: row.id }).where(eq(file.id, started.fileId));
  return started;
}

/** The owner's context for a file a guest started through this request and may still act on; NOT_FOUND otherwise. */
async function guestFile(ctx: GuestContext, token: string, fileId: string): Promise<ServiceContext> {
  const row = await requestOf(ctx, token);
  if (row.revokedAt) throw closed(row, ctx.clock()) ?? noRequest();
  const [found] = await ctx.db
    .select({ status: file.status })
    .from(file)
    .where(and(eq(file.id, fileId), eq(file.uploadRequestId, row.id), eq(file.ownerId, row.ownerId)));
  // A finished upload is the owner's file: the guest sees no more of it than completing twice answers.
  if (!found || found.status === "deleted") {
    throw new TRPCError({ code: "NOT_FOUND", message: `fileId: no upload ${fileId} through this link` });
  }
  return asOwner(ctx, row);
}

export async function signGuestParts(
  ctx: GuestContext,
  input: { token: string; fileId: string; parts: { partNumber: number; checksumSha256: string }[] },
) {
  return files.signUploadParts(await guestFile(ctx, input.token, input.fileId), input);
}

export async function listGuestParts(ctx: GuestContext, input: { token: string; fileId: string }) {
  return files.listUploadParts(await guestFile(ctx, input.token, input.fileId), input.fileId);
}

export async function completeGuestUpload(
  ctx: GuestContext,
  input: { token: string; fileId: string },
): Promise<FileView> {
  return files.completeUpload(await guestFile(ctx, input.token, input.fileId), input.fileId);
}

export async function abortGuestUpload(ctx: GuestContext, input: { token: string; fileId: string }) {
  return files.abortUpload(await guestFile(ctx, input.token, input.fileId), input.fileId);
}
