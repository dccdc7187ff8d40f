/** Input schemas shared by tRPC procedures and the REST routes, so both enforce the same rules. */
import { z } from "zod";
import { checksumSchema, contentTypeSchema, filenameSchema } from "../services/validation.ts";

const positiveBytes = z
  .number({ error: "must be a number of bytes" })
  .min(1, "must be at least 1 byte")
  // zod's int() stops at 2^53; a larger size (1e20) is a whole number that is simply too large, which the
  // services answer with PAYLOAD_TOO_LARGE like any size over the limit.
  .refine((n) => n > Number.MAX_SAFE_INTEGER || Number.isInteger(n), "must be a whole number of bytes");

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

export const signPartsInput = z.object({
  fileId: z.uuid("must be a file id"),
  parts: z
    .array(
      z.object({
        partNumber: z
          .number()
          .int("must be a whole number")
          .min(1, "must be at least 1")
          .max(10_000, "must be at most 10000"),
        checksumSha256: checksumSchema,
      }),
    )
    .min(1, "must list at least one part")
    .max(100, "at most 100 parts per call")
    .refine(
      (parts) => new Set(parts.map((p) => p.partNumber)).size === parts.length,
      "must not list a part number twice",
    ),
});
