/** The files.* procedures: upload (single PUT or multipart), list, read, download links, delete. */
import { z } from "@hono/zod-openapi";
import {
  contentTypeSchema,
  descriptionSchema,
  filenameSchema,
  folderPathSchema,
  partNumberSchema,
  tagsSchema,
} from "../services/validation.ts";
import {
  checksumSha256,
  fileId,
  fileIdInput,
  iso,
  linkLifetime,
  okBody,
  pageInput,
  pageOf,
  positiveBytes,
} from "./common.ts";
import { contracts, type RestDomain } from "./define.ts";
import { folderId } from "./folders.ts";

/** The shapes this domain answers, as the services build them. */
export type FileView = z.output<typeof fileView>;
export type FilePage = z.output<typeof filePage>;
export type SingleUploadTicket = z.output<typeof singleUploadTicket>;
export type MultipartUploadTicket = z.output<typeof multipartUploadTicket>;
export type UploadTicket = z.output<typeof uploadTicket>;
export type SignedParts = z.output<typeof signedParts>;
export type ListedParts = z.output<typeof listedParts>;
export type DownloadLink = z.output<typeof downloadLink>;
export type ThumbnailUploadTicket = z.output<typeof thumbnailUploadTicket>;
export type ThumbnailUrls = z.output<typeof thumbnailUrls>;
export type Usage = z.output<typeof usageView>;

/** The domain's REST tag; every `{id}` in its paths is the input's `fileId`. */
const filesRest: RestDomain = { tag: "files", params: { id: "fileId" } };

export const createUploadInput = z.object({
  filename: filenameSchema,
  contentType: contentTypeSchema,
  size: positiveBytes,
  checksumSha256: checksumSha256.optional(),
  folderId: folderId
    .optional()
    .openapi({ description: "The folder the file goes in (default: the top level)" }),
  folderPath: folderPathSchema.optional().openapi({
    description:
      "Folders below folderId (or the top level) as a relative path (`a/b`), created when missing; keys never name them",
  }),
});

/** Which files a listing holds: a folder's (`root`: the top level's), or every file when absent. */
const folderScope = z
  .union([z.literal("root"), folderId])
  .optional()
  .openapi({ description: "A folder id, or `root` for the top level; absent: every folder" });

/** The filters and sort a listing and a search share. */
const listFilters = {
  folderId: folderScope,
  sort: z.enum(["name", "date", "size", "type"]).optional().openapi({ description: "Default: date" }),
  order: z
    .enum(["asc", "desc"])
    .optional()
    .openapi({ description: "Default: newest first for date, ascending for the others" }),
  type: z
    .string()
    .max(255)
    .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*(\/[a-z0-9][a-z0-9!#$&^_.+-]*)?$/, {
      error: 'must be a type family ("image") or a type ("image/png"), in lower case',
    })
    .optional(),
  createdFrom: z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time" }).optional(),
  createdTo: z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time" }).optional(),
};

export const listFilesInput = z.object({ ...pageInput.unwrap().shape, ...listFilters }).optional();

export const searchFilesInput = z.object({
  query: z.string().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  ...pageInput.unwrap().shape,
  ...listFilters,
  recursive: z
    .boolean()
    .optional()
    .openapi({ description: "With folderId: include subfolders (default true)" }),
});

/** At most this many files per multi-file call (move, delete). */
const fileIds = z.array(fileId).min(1, "must list at least one file").max(100, "at most 100 files per call");

export const renameFileInput = z.object({ fileId, filename: filenameSchema });
export const moveFilesInput = z.object({
  fileIds,
  folderId: folderId.nullable().openapi({ description: "The folder they go in; null: the top level" }),
});
export const updateFileInput = z.object({
  fileId,
  description: descriptionSchema.optional(),
  tags: tagsSchema.optional(),
});

export const downloadUrlInput = fileIdInput.extend({
  disposition: z.enum(["inline", "attachment"]).optional(),
  expiresIn: z.number().int("must be a whole number of seconds").min(1).optional(),
});

export const shareUrlInput = fileIdInput.extend({ expiresIn: linkLifetime });

/** files.signParts: the parts to sign, each with the SHA-256 its bytes must have. */
export const signPartsInput = z.object({
  fileId,
  parts: z
    .array(
      z.object({
        partNumber: partNumberSchema,
        checksumSha256: checksumSha256,
      }),
    )
    .min(1, "must list at least one part")
    .max(100, "at most 100 parts per call")
    .refine(
      (parts) => new Set(parts.map((p) => p.partNumber)).size === parts.length,
      "must not list a part number twice",
    ),
});

export const fileView = z
  .object({
    id: z.string(),
    originalFilename: z.string(),
    contentType: z.string(),
    size: z.number(),
    status: z.enum(["pending", "ready", "rejected", "deleted", "quarantined"]),
    checksumSha256: z.string().nullable(),
    createdAt: iso,
    completedAt: iso.nullable(),
    folderId: z.string().nullable(),
    description: z.string(),
    tags: z.array(z.string()),
  })
  .openapi("File");

export const filePage = pageOf(fileView, "FilePage");

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

export const downloadLink = z
  .object({ url: z.string(), filename: z.string(), expiresIn: z.number(), expiresAt: iso })
  .openapi("DownloadLink");

/** files.createThumbnailUpload: the WebP the browser rendered for a ready image file. */
export const createThumbnailUploadInput = z.object({
  fileId,
  size: positiveBytes.openapi({ description: "Exact byte length of the WebP (at most MAX_THUMBNAIL_BYTES)" }),
  checksumSha256: checksumSha256.optional(),
});

export const thumbnailUploadTicket = z
  .object({
    fileId: z.string(),
    url: z.string().openapi({ description: "PUT the WebP here with exactly `headers`" }),
    method: z.literal("PUT"),
    headers: z.record(z.string(), z.string()),
    expiresIn: z.number(),
    expiresAt: iso,
  })
  .openapi("ThumbnailUploadTicket");

/** files.thumbnailUrls: the files a grid shows (a page at most). */
export const thumbnailUrlsInput = z.object({ fileIds });

export const thumbnailUrls = z
  .object({
    items: z.array(z.object({ fileId: z.string(), url: z.string(), expiresAt: iso })).openapi({
      description: "One per listed file that has a verified thumbnail; files without one are left out",
    }),
  })
  .openapi("ThumbnailUrls");

export const movedFiles = z.object({ moved: z.number() }).openapi("MovedFiles");
export const deletedFiles = z
  .object({
    deleted: z.number(),
    notFound: z.array(z.string()).openapi({ description: "Ids that named no file of yours (nothing done)" }),
  })
  .openapi("DeletedFiles");

export const usageView = z
  .object({
    usedBytes: z.number().openapi({ description: "Verified files and kept profile images" }),
    reservedBytes: z.number().openapi({ description: "Held for uploads in flight" }),
    limitBytes: z.number(),
    uploadsInFlight: z.number(),
  })
  .openapi("Usage");

/** A step of an upload already started, answered with `{ ok: true }`: abort one, or complete its thumbnail. */
const uploadStep = { kind: "mutation", access: "upload", input: fileIdInput, output: okBody } as const;

export const filesContract = contracts(filesRest, {
  list: {
    kind: "query",
    access: "read",
    input: listFilesInput,
    output: filePage,
    // The summary is the snapshot's (http/openapi.snapshot.json); the parameters say the rest.
    rest: { method: "get", path: "/api/files", summary: "Your files, newest first" },
  },
  search: {
    kind: "query",
    access: "read",
    input: searchFilesInput,
    output: filePage,
    rest: {
      method: "get",
      path: "/api/search",
      summary: "Files whose name, folder path, tags or description hold every word (prefixes match)",
    },
  },
  rename: {
    kind: "mutation",
    access: "full",
    input: renameFileInput,
    output: fileView,
    rest: {
      method: "post",
      path: "/api/files/{id}/rename",
      summary: "Rename a file (its object keeps its key)",
    },
  },
  update: {
    kind: "mutation",
    access: "full",
    input: updateFileInput,
    output: fileView,
    rest: {
      method: "patch",
      path: "/api/files/{id}",
      summary: "Set a file's description (at most 1000 characters) and tags (at most 20, 40 characters each)",
    },
  },
  move: {
    kind: "mutation",
    access: "full",
    input: moveFilesInput,
    output: movedFiles,
    rest: {
      method: "post",
      path: "/api/files/move",
      summary: "Move files into a folder (no object is copied)",
    },
  },
  deleteMany: {
    kind: "mutation",
    access: "full",
    input: z.object({ fileIds }),
    output: deletedFiles,
    rest: {
      method: "post",
      path: "/api/files/delete",
      summary: "Delete several files and their objects",
    },
  },
  usage: {
    kind: "query",
    access: "read",
    output: usageView,
    rest: {
      method: "get",
      path: "/api/usage",
      summary: "Your storage: used, in flight and the limit",
    },
  },
  get: {
    kind: "query",
    access: "read",
    input: fileIdInput,
    output: fileView,
    rest: {
      method: "get",
      path: "/api/files/{id}",
      summary: "One of your files",
    },
  },
  createUpload: {
    kind: "mutation",
    access: "upload",
    input: createUploadInput,
    output: uploadTicket,
    rest: {
      method: "post",
      path: "/api/files",
      status: 201,
      summary: "Start an upload: a pending file and a pre-signed PUT",
    },
  },
  signParts: {
    kind: "mutation",
    access: "upload",
    input: signPartsInput,
    output: signedParts,
    rest: {
      method: "post",
      path: "/api/files/{id}/parts",
      summary: "Multipart: sign part URLs (exact length and SHA-256 of each part), a batch at a time",
    },
  },
  listParts: {
    kind: "query",
    access: "read",
    input: fileIdInput,
    output: listedParts,
    rest: {
      method: "get",
      path: "/api/files/{id}/parts",
      summary: "Multipart: the parts that arrived (resume sends the rest)",
    },
  },
  completeUpload: {
    kind: "mutation",
    access: "upload",
    input: fileIdInput,
    output: fileView,
    rest: {
      method: "post",
      path: "/api/files/{id}/complete",
      summary: "Verify the uploaded object: the file becomes ready, or rejected",
    },
  },
  abortUpload: {
    ...uploadStep,
    rest: {
      method: "post",
      path: "/api/files/{id}/abort",
      summary: "Give up an upload: any object is deleted and the quota released",
    },
  },
  delete: {
    kind: "mutation",
    access: "full",
    input: fileIdInput,
    output: okBody,
    rest: {
      method: "delete",
      path: "/api/files/{id}",
      summary: "Delete a file and its object",
    },
  },
  downloadUrl: {
    kind: "query",
    access: "read",
    input: downloadUrlInput,
    output: downloadLink,
    rest: {
      method: "get",
      path: "/api/files/{id}/download-url",
      summary: "A short-lived pre-signed GET",
    },
  },
  shareUrl: {
    kind: "query",
    access: "read",
    input: shareUrlInput,
    output: downloadLink,
    rest: {
      method: "post",
      path: "/api/files/{id}/share-url",
      summary: "A longer-lived link to hand to someone else",
    },
  },
  createThumbnailUpload: {
    kind: "mutation",
    access: "upload",
    input: createThumbnailUploadInput,
    output: thumbnailUploadTicket,
    rest: {
      method: "post",
      path: "/api/files/{id}/thumbnail",
      summary: "Sign the PUT of a ready image's WebP thumbnail (sized, counted in the quota)",
    },
  },
  completeThumbnailUpload: {
    ...uploadStep,
    rest: {
      method: "post",
      path: "/api/files/{id}/thumbnail/complete",
      summary: "Verify the thumbnail (size, WebP magic bytes): kept, or deleted and refused",
    },
  },
  thumbnailUrls: {
    kind: "query",
    access: "read",
    input: thumbnailUrlsInput,
    output: thumbnailUrls,
    rest: {
      method: "post",
      path: "/api/files/thumbnail-urls",
      summary: "Short-lived GETs of these files' verified thumbnails, counted as one issuance",
    },
  },
});
