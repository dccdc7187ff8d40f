/** The single plan: one PUT of the whole file, signed before it is announced. */

import type { SingleUploadTicket } from "../contract/files.ts";
import type { ServiceContext } from "./context.ts";
import { announceFile, type CreateUploadInput, newFile } from "./file-record.ts";
import { signUpload } from "./upload.ts";

export async function createSingleUpload(
  ctx: ServiceContext,
  input: CreateUploadInput,
): Promise<SingleUploadTicket> {
  const { config } = ctx;
  const { now, fileId, key } = newFile(ctx, input.filename);
  const target = {
    key,
    contentType: input.contentType,
    size: input.size,
    checksumSha256: input.checksumSha256,
  };
  const signed = await signUpload(ctx, { ...target, originalFilename: input.filename, uploadedAt: now });
  await announceFile(ctx, input, {
    fileId,
    key,
    now,
    uploadExpiresAt: signed.expiresAt,
    checksumSha256: input.checksumSha256 ?? null,
    uploadId: null,
    expiresIn: config.uploadUrlTtl,
  });
  return {
    fileId,
    key,
    plan: "single",
    url: signed.url,
    method: "PUT",
    headers: signed.headers,
    expiresIn: config.uploadUrlTtl,
    expiresAt: signed.expiresAt.toISOString(),
  };
}
