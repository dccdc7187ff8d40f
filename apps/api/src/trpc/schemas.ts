/** Input schemas shared by tRPC procedures and the REST routes, so both enforce the same rules. */
import { z } from "zod";
import { checksumSchema, contentTypeSchema, filenameSchema } from "../services/validation.ts";

const positiveBytes = z
  .number({ error: "must be a number of bytes" })
  // Checked first and alone: 1e20 is a whole number, just not one a byte count can be.
  .max(Number.MAX_SAFE_INTEGER, { error: "is larger than any file can be", abort: true })
  .int("must be a whole number of bytes")
  .min(1, "must be at least 1 byte");

export const createUploadInput = z.object({
  filename: filenameSchema,
  contentType: contentTypeSchema,
  size: positiveBytes,
  checksumSha256: checksumSchema.optional(),
});

export const createImageUploadInput = z.object({
  contentType: contentTypeSchema,
  fileSize: positiveBytes,
  originalFilename: filenameSchema.optional(),
  checksumSha256: checksumSchema.optional(),
});

export const fileIdInput = z.object({ fileId: z.uuid("must be a file id") });

export const pageInput = z
  .object({
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(100).optional(),
  })
  .optional();
