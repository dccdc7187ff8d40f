/** Input schemas shared by tRPC procedures and the REST routes, so both enforce the same rules. */
import { z } from "zod";
import { nameSchema } from "../auth/name-rules.ts";
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

export const downloadUrlInput = fileIdInput.extend({
  disposition: z.enum(["inline", "attachment"]).optional(),
  expiresIn: z.number().int("must be a whole number of seconds").min(1).optional(),
});

export const shareUrlInput = fileIdInput.extend({
  expiresIn: z
    .number()
    .int("must be a whole number of seconds")
    .min(60, "must be at least 60 seconds (1 minute)"),
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export const profileUpdateInput = z.object({ name: nameSchema });

export const createApiKeyInput = z.object({
  name: z
    .string({ error: "must be a string" })
    .trim()
    .min(1, "must not be empty")
    .max(100, "must be at most 100 characters")
    .refine((v) => !CONTROL.test(v), "must not contain control characters"),
  scope: z.enum(["read", "upload", "full"], { error: "must be one of read, upload, full" }),
  expiresInDays: z.number().int("must be a whole number of days").min(1).max(3650).optional(),
});

export const apiKeyIdInput = z.object({ id: z.uuid("must be an API key id") });

/** profile.removeImage: keep the earlier pictures (history) or remove them too (the default). */
export const removeImageInput = z.object({ keepHistory: z.boolean().optional() }).optional();

/** profile.restoreImage: the history version to make current again. */
export const restoreImageInput = z.object({
  version: z.number().int("must be a whole number").positive("must be positive"),
});

/** account.export: how long the export's download links stay valid. */
export const exportInput = z.object({
  expiresIn: z
    .number()
    .int("must be a whole number of seconds")
    .min(60, "must be at least 60 seconds (1 minute)"),
});

/** account.delete: the current password confirms it. */
export const deleteAccountInput = z.object({
  password: z.string().min(1, "enter your current password").max(128),
});

/** files.signParts: the parts to sign, each with the SHA-256 its bytes must have. */
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
