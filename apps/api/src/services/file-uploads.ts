/**
 * Uploads of files: the plan is chosen once, here, by size (one signed PUT below MULTIPART_THRESHOLD_BYTES, parts
 * above it or when the caller can only send parts); the plans themselves are siblings (single-plan.ts,
 * multipart-plan.ts). Completing, settling and aborting are the same for both.
 */

import { TRPCError } from "@trpc/server";
import type { FileView, UploadTicket } from "../contract/files.ts";
import type { AppDeps } from "../deps.ts";
import { assertMayUpload } from "./account-standing.ts";
import { recordFileEvent } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { draftEvent, fileEventData } from "./events.ts";
import {
  type CreateUploadInput,
  current,
  type FileRow,
  ownFile,
  purgeAfterFor,
  removeObject,
  toFileView,
  transition,
} from "./file-record.ts";
import { uploadFolder } from "./folders.ts";
import { releaseQuota } from "./limits.ts";
import { abortParts, assemble, describeMissing, refuseWholeFileChecksum } from "./multipart.ts";
import { createMultipartUpload } from "./multipart-plan.ts";
import { mustQuarantine } from "./quarantine.ts";
import { createSingleUpload } from "./single-plan.ts";
import { verifyUpload } from "./upload.ts";
import { contentTypeAllowed, essence } from "./validation.ts";

/** How a caller that is not Signet's own client needs the upload planned (the Uppy routes). */
export interface UploadPlanOptions {
  /** In parts whatever the size: the caller has no single PUT that the storage can take. */
  multipart?: boolean;
  /**
   * `false`: parts carry no SHA-256 (the client cannot send one). Each part URL still signs the part's exact
   * length, and completion verifies the assembled object's size and type as for any upload.
   */
  partChecksums?: boolean;
}

/**
 * Announces an upload and decides its plan by size. Below `multipartThresholdBytes`: signs one PUT that the
 * storage will only accept with exactly this size, type, checksum and metadata (and only if the key is new).
 * From there on: creates a multipart upload (parts checksummed with SHA-256), whose uploadId only the row
 * keeps. Then, atomically, counts it against the rate limit, reserves the quota and records the pending row
 * with its audit event (see upload.ts).
 */
export async function createUpload(
  ctx: ServiceContext,
  requested: CreateUploadInput & { folderPath?: string[] | undefined },
  plan: UploadPlanOptions = {},
): Promise<UploadTicket> {
  const { folderPath, ...input } = requested;
  const { maxFileBytes, multipartThresholdBytes, allowedContentTypes } = ctx.config;
  if (input.size > maxFileBytes) {
    throw new TRPCError({
      code: "PAYLOAD_TOO_LARGE",
      message: `size: at most ${maxFileBytes} bytes per file (got ${input.size})`,
    });
  }
  if (allowedContentTypes && !contentTypeAllowed(input.contentType, allowedContentTypes)) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `contentType: ${essence(input.contentType)} files are not accepted here (allowed: ${allowedContentTypes.join(", ")})`,
    });
  }
  // Folders are metadata: the key stays u/<user>/<id> whichever folder the file is shown in.
  input.folderId = await uploadFolder(ctx, { folderId: input.folderId, folderPath });
  // The single PUT's announcement checks who may upload inside its batch; multipart creates the storage's
  // upload before it announces, so it asks first.
  if (!plan.multipart && input.size < multipartThresholdBytes) return createSingleUpload(ctx, input);
  refuseWholeFileChecksum(input.size, input.checksumSha256);
  await assertMayUpload(ctx);
  return createMultipartUpload(ctx, input, plan.partChecksums !== false);
}

/** `won`: this call made the transition (so it alone audits); `row` is the row as it now stands. */
type VerifyOutcome =
  | { ok: true; won: boolean; row: FileRow }
  | { ok: false; won: boolean; row: FileRow; reason: string };

/**
 * Verifies a pending upload against storage and settles it: `ready` (or `quarantined` until a blocking endpoint
 * judges it, see quarantine.ts), or `rejected` with the object deleted and the quota released. Shared by completeUpload and the sweeper; concurrent callers settle it exactly once.
 */
export async function settlePending(
  deps: Pick<AppDeps, "db" | "storage" | "clock" | "events">,
  row: FileRow,
  settledBy: "completion" | "sweeper" = "completion",
): Promise<VerifyOutcome> {
  const { head, reason } = await verifyUpload(deps.storage, row, { noun: "object" });
  if (reason === null) {
    const completedAt = deps.clock();
    const quarantine = await mustQuarantine(deps.db, row.ownerId);
    const ready = await transition(
      deps,
      row.id,
      ["pending"],
      { status: quarantine ? "quarantined" : "ready", etag: head?.etag ?? null, completedAt },
      draftEvent(quarantine ? "file.quarantined" : "file.ready", completedAt, fileEventData(row), row.id),
    );
    return { ok: true, won: ready !== undefined, row: ready ?? (await current(deps, row)) };
  }
  await deps.storage.deleteObject(row.key);
  await abortParts(deps.storage, row);
  const now = deps.clock();
  // Nobody completed it in time: receivers tell an expired upload from one refused at completion.
  const type = settledBy === "sweeper" ? "upload.expired" : "file.rejected";
  const rejected = await transition(
    deps,
    row.id,
    ["pending"],
    { status: "rejected", completedAt: now, purgeAfter: purgeAfterFor(row, now) },
    draftEvent(type, now, fileEventData(row, reason), row.id),
  );
  if (rejected) await releaseQuota(deps.db, row.ownerId, row.size);
  return { ok: false, won: rejected !== undefined, row: rejected ?? (await current(deps, row)), reason };
}

/** Verifies the uploaded object (exists, size, type, checksum). Completing twice is harmless. */
export async function completeUpload(ctx: ServiceContext, fileId: string): Promise<FileView> {
  const row = await ownFile(ctx, fileId);
  if (row.status === "ready" || row.status === "quarantined") return toFileView(row);
  if (row.status === "rejected") {
    throw new TRPCError({ code: "BAD_REQUEST", message: "This upload was rejected; start a new upload" });
  }
  if (row.uploadId) {
    // Parts still missing leave the upload pending: the client sends them and completes again.
    const assembly = await assemble(ctx, row as FileRow & { uploadId: string });
    if (!assembly.done) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `Upload incomplete: ${describeMissing(assembly)}; send ${assembly.missing.length === 1 ? "it" : "them"} and complete again`,
      });
    }
  }
  const outcome = await settlePending(ctx, row);
  if (!outcome.ok) {
    if (outcome.won) {
      await recordFileEvent(ctx.db, ctx.clock, row, "file.reject", { reason: outcome.reason }, ctx.request);
    }
    throw new TRPCError({ code: "BAD_REQUEST", message: `Upload rejected: ${outcome.reason}` });
  }
  if (outcome.row.status !== "ready" && outcome.row.status !== "quarantined") {
    // Someone else settled it differently in the meantime (aborted or deleted it).
    throw new TRPCError({ code: "BAD_REQUEST", message: `fileId: the upload is ${outcome.row.status}` });
  }
  if (outcome.won) {
    await recordFileEvent(ctx.db, ctx.clock, row, "file.complete", { size: row.size }, ctx.request);
  }
  return toFileView(outcome.row);
}

const COMPLETE_USE_DELETE = "fileId: this upload is complete; use files.delete to remove the file";

/** Cancels a pending upload: deletes any object that arrived and releases the quota. */
export async function abortUpload(ctx: ServiceContext, fileId: string): Promise<{ ok: true }> {
  const row = await ownFile(ctx, fileId);
  if (row.status === "ready" || row.status === "quarantined")
    throw new TRPCError({ code: "BAD_REQUEST", message: COMPLETE_USE_DELETE });
  if (row.status === "pending") {
    const now = ctx.clock();
    const done = await transition(ctx, row.id, ["pending"], {
      status: "deleted",
      completedAt: now,
      purgeAfter: purgeAfterFor(row, now),
    });
    if (!done) {
      // A completion won the race: the file is kept, and saying "aborted" would be a lie.
      const after = await current(ctx, row);
      if (after.status === "ready" || after.status === "quarantined")
        throw new TRPCError({ code: "BAD_REQUEST", message: COMPLETE_USE_DELETE });
      return { ok: true };
    }
    await releaseQuota(ctx.db, row.ownerId, row.size);
    await removeObject(ctx, row, done.purgeAfter);
    await recordFileEvent(ctx.db, ctx.clock, row, "file.abort", {}, ctx.request);
  }
  return { ok: true };
}
