/**
 * Response shapes of the REST routes, for the OpenAPI document. The REST tests parse every answer with these, so
 * a service that changes its output without this file fails a test instead of silently disagreeing with the
 * document. Request shapes are not here: they are the procedures' own (trpc/schemas.ts).
 */
import { z } from "@hono/zod-openapi";

export const errorBody = z
  .object({
    code: z.string().openapi({ example: "NOT_FOUND" }),
    message: z.string(),
    field: z.string().optional().openapi({ description: "The input field at fault, when one is" }),
    error: z
      .object({ code: z.string(), message: z.string() })
      .openapi({ description: "The same code and message, in the envelope of Signet's first REST routes" }),
  })
  .openapi("Error");

export const okBody = z.object({ ok: z.literal(true) }).openapi("Ok");

const iso = z.string().openapi({ format: "date-time" });

export const fileView = z
  .object({
    id: z.string(),
    originalFilename: z.string(),
    contentType: z.string(),
    size: z.number(),
    status: z.enum(["pending", "ready", "rejected", "deleted"]),
    checksumSha256: z.string().nullable(),
    createdAt: iso,
    completedAt: iso.nullable(),
  })
  .openapi("File");

export const filePage = z
  .object({ items: z.array(fileView), nextCursor: z.string().nullable() })
  .openapi("FilePage");

/** What both upload plans answer: the pending file, its key and how long its URLs stay valid. */
const ticket = z.object({ fileId: z.string(), key: z.string(), expiresIn: z.number(), expiresAt: iso });

export const singleUploadTicket = ticket
  .extend({
    plan: z.literal("single"),
    url: z.string().openapi({ description: "PUT the bytes here with exactly `headers`" }),
    method: z.literal("PUT"),
    headers: z.record(z.string(), z.string()),
  })
  .openapi("SingleUploadTicket");

export const multipartUploadTicket = ticket
  .extend({
    plan: z.literal("multipart"),
    partSize: z.number().openapi({ description: "Every part but the last has exactly this size" }),
    partCount: z.number(),
  })
  .openapi("MultipartUploadTicket");

export const uploadTicket = z
  .discriminatedUnion("plan", [singleUploadTicket, multipartUploadTicket])
  .openapi("UploadTicket");

export const signedParts = z
  .object({
    fileId: z.string(),
    parts: z.array(
      z.object({
        partNumber: z.number(),
        url: z.string(),
        headers: z.record(z.string(), z.string()),
        expiresAt: iso,
      }),
    ),
  })
  .openapi("SignedParts");

export const listedParts = z
  .object({
    fileId: z.string(),
    partSize: z.number(),
    partCount: z.number(),
    parts: z.array(
      z.object({
        partNumber: z.number(),
        size: z.number(),
        etag: z.string(),
        checksumSha256: z.string().nullable(),
      }),
    ),
  })
  .openapi("ListedParts");

export const seedUploadTicket = singleUploadTicket
  .extend({ presignedUrl: z.string().openapi({ description: "Same as `url` (seed contract name)" }) })
  .openapi("SeedUploadTicket");

export const downloadLink = z
  .object({ url: z.string(), filename: z.string(), expiresIn: z.number(), expiresAt: iso })
  .openapi("DownloadLink");

export const seedDownloadLink = downloadLink
  .extend({ presignedUrl: z.string().openapi({ description: "Same as `url` (seed contract name)" }) })
  .openapi("SeedDownloadLink");

export const auditPage = z
  .object({
    items: z.array(
      z.object({
        id: z.string(),
        at: iso,
        action: z.string(),
        objectKey: z.string(),
        fileId: z.string().nullable(),
        detail: z.record(z.string(), z.unknown()),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .openapi("AuditPage");

export const profileView = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    image: z.object({
      hasImage: z.boolean(),
      downloadUrl: z.string().optional(),
      expiresIn: z.number().optional(),
    }),
  })
  .openapi("Profile");

export const profileName = z
  .object({ id: z.string(), name: z.string(), email: z.string() })
  .openapi("ProfileName");

export const profileImageLink = z
  .union([
    z.object({ hasImage: z.literal(false) }),
    z.object({
      hasImage: z.literal(true),
      downloadUrl: z.string(),
      filename: z.string(),
      expiresIn: z.number(),
    }),
  ])
  .openapi("ProfileImageLink");

export const imageUploadTicket = z
  .object({
    presignedUrl: z.string(),
    method: z.literal("PUT"),
    headers: z.record(z.string(), z.string()),
    key: z.string(),
    contentType: z.string(),
    fileSize: z.number(),
    expiresIn: z.number(),
    uploadedBy: z.string(),
    uploadedAt: iso,
    originalFilename: z.string(),
  })
  .openapi("ImageUploadTicket");

export const apiKeyView = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scope: z.enum(["read", "upload", "full"]),
    createdAt: iso,
    expiresAt: iso.nullable(),
    revokedAt: iso.nullable(),
  })
  .openapi("ApiKey");

export const createdApiKey = apiKeyView
  .extend({ key: z.string().openapi({ description: "The key itself: shown this once, store it now" }) })
  .openapi("CreatedApiKey");

export const apiKeyList = z.object({ items: z.array(apiKeyView) }).openapi("ApiKeyList");

const dependencyState = z.object({ ok: z.boolean(), error: z.string().optional() });

export const health = z
  .object({
    ok: z.boolean(),
    storage: z.enum(["local", "s3"]),
    database: z.enum(["file", "remote"]),
    /** The facts /readyz reports. */
    checks: z.object({ database: dependencyState, bucket: dependencyState }).optional(),
  })
  .openapi("Health");

export const limits = z
  .object({
    maxFileBytes: z.number(),
    maxAvatarBytes: z.number(),
    avatarContentTypes: z.array(z.string()),
    userQuotaBytes: z.number(),
    rateLimitPerMinute: z.number(),
    uploadUrlTtl: z.number(),
    downloadUrlTtl: z.number(),
    shareUrlMaxTtl: z.number(),
    multipartThresholdBytes: z.number(),
    multipartPartSize: z.number(),
    multipartMaxParts: z.number(),
    profileImageHistory: z.number(),
    allowedContentTypes: z
      .array(z.string())
      .nullable()
      .openapi({ description: "ALLOWED_CONTENT_TYPES (`type/subtype` or `type/*`); null accepts any type" }),
  })
  .loose()
  .openapi("Limits");

export const imageHistory = z
  .object({
    limit: z.number(),
    versions: z.array(
      z.object({
        version: z.number(),
        contentType: z.string(),
        size: z.number(),
        createdAt: iso,
        archivedAt: iso,
        downloadUrl: z.string(),
        filename: z.string(),
        expiresIn: z.number(),
      }),
    ),
  })
  .openapi("ImageHistory");

export const accountStatus = z
  .object({
    email: z.string(),
    emailVerified: z.boolean(),
    requireEmailVerification: z.boolean(),
    mayUpload: z.boolean(),
  })
  .openapi("AccountStatus");

export const accountExport = z
  .object({
    generatedAt: iso,
    expiresIn: z.number(),
    expiresAt: iso,
    files: z.array(
      z.object({
        id: z.string(),
        filename: z.string(),
        contentType: z.string(),
        size: z.number(),
        checksumSha256: z.string().nullable(),
        createdAt: iso,
        url: z.string(),
      }),
    ),
  })
  .openapi("AccountExport");

export const accountDeleted = z.object({ deleted: z.literal(true) }).openapi("AccountDeleted");
