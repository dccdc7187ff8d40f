/**
 * Upload requests (reverse shares): the owner's uploadRequests.* procedures, and the guestUploads.* ones a guest
 * without an account calls with the request's token, through the same upload pipeline as files.*.
 */
import { z } from "@hono/zod-openapi";
import { fileId, grantTimes, iso, listOf, okBody, positiveBytes, withSecretShownOnce } from "./common.ts";
import { contracts } from "./define.ts";
import {
  createUploadInput,
  fileView,
  listedParts,
  signedParts,
  signPartsInput,
  uploadTicket,
} from "./files.ts";

/** The shapes this domain answers, as the services build them. */
export type UploadRequestView = z.output<typeof uploadRequestView>;

const mimePattern = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9][a-z0-9!#$&^_.+-]*\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$/,
    "must be a MIME type such as image/png or image/*",
  );

export const createUploadRequestInput = z.object({
  title: z
    .string({ error: "must be a string" })
    .trim()
    .min(1, "must not be empty")
    .max(200, "must be at most 200 characters"),
  allowedTypes: z.array(mimePattern).min(1, "must list at least one type").max(50).optional(),
  maxFileBytes: positiveBytes.optional(),
  maxFiles: z.number().int("must be a whole number").min(1, "must be at least 1").max(10_000).optional(),
  expiresIn: z
    .number()
    .int("must be a whole number of seconds")
    .min(60, "must be at least 60 seconds (1 minute)")
    .nullable()
    .optional(),
  password: z
    .string()
    .min(6, "must be at least 6 characters")
    .max(200, "must be at most 200 characters")
    .optional(),
});

export const uploadRequestView = z
  .object({
    id: z.string(),
    title: z.string(),
    status: z.enum(["active", "expired", "revoked", "full"]),
    allowedTypes: z.array(z.string()).nullable(),
    maxFileBytes: z.number().nullable(),
    maxFiles: z.number().nullable(),
    files: z.number().openapi({ description: "Uploads started through the request" }),
    hasPassword: z.boolean(),
    ...grantTimes,
  })
  .openapi("UploadRequest");

export const createdUploadRequest = withSecretShownOnce(uploadRequestView, "CreatedUploadRequest", {
  url: "`<PUBLIC_URL>/u/<token>`: shown this once",
});

export const uploadRequestList = listOf(uploadRequestView, "UploadRequestList");

const token = z
  .string({ error: "must be the link's token" })
  .regex(/^[A-Za-z0-9_-]{43}$/, "must be the link's token");
const tokenInput = z.object({ token });
const guestFileInput = z.object({ token, fileId });

/** What the guest page shows: what is asked for and the rules, never anything of the owner's files. */
export const guestRequestView = z
  .object({
    title: z.string(),
    allowedTypes: z.array(z.string()).nullable(),
    maxFileBytes: z.number(),
    filesLeft: z.number().nullable(),
    hasPassword: z.boolean(),
    expiresAt: iso.nullable(),
    multipartThresholdBytes: z.number(),
  })
  .openapi("GuestUploadRequest");

export const uploadRequestsContract = contracts("upload-requests", {
  create: {
    kind: "mutation",
    access: "full",
    input: createUploadRequestInput,
    output: createdUploadRequest,
    rest: {
      method: "post",
      path: "/api/upload-requests",
      status: 201,
      summary: "Ask guests for files: a link through which they upload into your space (shown once)",
    },
  },
  list: {
    kind: "query",
    access: "read",
    output: uploadRequestList,
    rest: { method: "get", path: "/api/upload-requests", summary: "Your upload requests" },
  },
  revoke: {
    kind: "mutation",
    access: "full",
    input: z.object({ id: z.uuid("must be an upload request id") }),
    output: uploadRequestView,
    rest: { method: "delete", path: "/api/upload-requests/{id}", summary: "Revoke an upload request" },
  },
});

export const guestUploadsContract = contracts("guest-uploads", {
  describe: {
    kind: "query",
    access: "public",
    input: tokenInput,
    output: guestRequestView,
    rest: {
      method: "post",
      path: "/api/guest-uploads/describe",
      summary: "What an upload request asks for",
    },
  },
  createUpload: {
    kind: "mutation",
    access: "public",
    input: createUploadInput.extend({ token, password: z.string().max(200).optional() }),
    output: uploadTicket,
    rest: {
      method: "post",
      path: "/api/guest-uploads",
      status: 201,
      summary: "Guest: start an upload through an upload request",
    },
  },
  signParts: {
    kind: "mutation",
    access: "public",
    input: signPartsInput.extend({ token }),
    output: signedParts,
    rest: {
      method: "post",
      path: "/api/guest-uploads/parts",
      summary: "Guest: sign part URLs",
    },
  },
  listParts: {
    kind: "query",
    access: "public",
    input: guestFileInput,
    output: listedParts,
    rest: {
      method: "post",
      path: "/api/guest-uploads/parts/list",
      summary: "Guest: the parts that arrived",
    },
  },
  completeUpload: {
    kind: "mutation",
    access: "public",
    input: guestFileInput,
    output: fileView,
    rest: {
      method: "post",
      path: "/api/guest-uploads/complete",
      summary: "Guest: verify the upload",
    },
  },
  abortUpload: {
    kind: "mutation",
    access: "public",
    input: guestFileInput,
    output: okBody,
    rest: {
      method: "post",
      path: "/api/guest-uploads/abort",
      summary: "Guest: give up an upload",
    },
  },
});
