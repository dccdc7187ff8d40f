/**
 * The REST route table: for each route, its OpenAPI definition (request schemas are the procedures' own) and the
 * procedure it calls. Adding a procedure means adding its row here; the REST tests fail when a route is mounted
 * without being in the document or the document names a route that does not answer.
 */
import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import { ownFileIdByKey } from "../services/file-lookup.ts";
import type { InnerContext } from "../trpc/init.ts";
import type { createCaller } from "../trpc/root.ts";
import {
  apiKeyIdInput,
  createApiKeyInput,
  createImageUploadInput,
  createUploadInput,
  deleteAccountInput,
  downloadUrlInput,
  profileUpdateInput,
  restoreImageInput,
  shareUrlInput,
  signPartsInput,
} from "../trpc/schemas.ts";
import * as out from "./rest-schemas.ts";

export const OPENAPI_PATH = "/api/openapi.json";
export const DOCS_PATH = "/api/docs";
/** Scalar's browser bundle, which the SPA's build ships (apps/web/vite.config.ts). */
export const DOCS_SCRIPT_PATH = "/docs/scalar.js";

type Caller = ReturnType<typeof createCaller>;
// biome-ignore lint/suspicious/noExplicitAny: each row's input is validated by the schemas in its own definition
type Valid = { params: any; query: any; body: any };

export interface RestRoute {
  route: RouteConfig;
  /** Calls the procedure; `ctx` is the caller's context, for the rare route that looks something up first. */
  call(caller: Caller, input: Valid, ctx: InnerContext): Promise<unknown>;
}

/**
 * A body schema that also accepts the field names of the seed contracts and common upload guides
 * (`fileName`/`fileType`/`fileSize`), copied onto the procedure's names before the procedure's own rules run.
 */
function seedAliases(schema: z.ZodObject, aliases: Record<string, string>) {
  const names = Object.entries(aliases).map(([to, from]) => `\`${from}\` for \`${to}\``);
  return z
    .preprocess((body) => {
      if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
      const b: Record<string, unknown> = { ...body };
      for (const [to, from] of Object.entries(aliases)) if (b[to] === undefined) b[to] = b[from];
      return b;
    }, schema)
    .openapi({ description: `Also accepts ${names.join(", ")}.` });
}

const fileParams = z.object({
  id: z.uuid("must be a file id").openapi({ param: { name: "id", in: "path" }, example: "0193…" }),
});
const pageQuery = z.object({
  cursor: z.string().optional(),
  limit: z.coerce.number().optional().openapi({ type: "integer", minimum: 1, maximum: 100 }),
});
const downloadQuery = z.object({
  disposition: downloadUrlInput.shape.disposition,
  expiresIn: z.coerce.number().optional().openapi({ type: "integer", minimum: 1 }),
});

const STATUS_OF: Record<string, string> = {
  400: "Bad input (the field is named)",
  401: "Not signed in, or the API key is unknown, revoked or expired",
  403: "The API key's scope does not allow this",
  404: "No such resource (another user's is never shown)",
  413: "Over the size or quota limit",
  429: "Over the rate limit (see Retry-After)",
};

interface Spec {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  summary: string;
  tag: string;
  /** The procedure behind the route, named in the document. */
  procedure: string;
  response: z.ZodType;
  status?: 200 | 201;
  public?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
}

function row(spec: Spec, call: RestRoute["call"]): RestRoute {
  const errors = Object.fromEntries(
    Object.entries(STATUS_OF)
      .filter(([status]) => !spec.public || status === "429")
      .map(([status, description]) => [
        status,
        { description, content: { "application/json": { schema: out.errorBody } } },
      ]),
  );
  const route = createRoute({
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    description: `Same as the tRPC procedure \`${spec.procedure}\`.`,
    tags: [spec.tag],
    ...(spec.public ? { security: [] } : {}),
    request: {
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.body
        ? { body: { required: true, content: { "application/json": { schema: spec.body } } } }
        : {}),
    },
    responses: {
      [spec.status ?? 200]: {
        description: "Success",
        content: { "application/json": { schema: spec.response } },
      },
      ...errors,
    },
  });
  return { route, call };
}

/** Every REST route, in the order the document lists them. */
export function restRouteTable(): RestRoute[] {
  return [
    row(
      {
        method: "get",
        path: "/api/health",
        summary: "Health",
        tag: "service",
        procedure: "health",
        response: out.health,
        public: true,
      },
      (t) => t.health(),
    ),
    row(
      {
        method: "get",
        path: "/api/limits",
        summary: "The limits a client must respect",
        tag: "service",
        procedure: "limits",
        response: out.limits,
        public: true,
      },
      (t) => t.limits(),
    ),

    // Files
    row(
      {
        method: "post",
        path: "/api/files",
        summary: "Start an upload: a pending file and a pre-signed PUT",
        tag: "files",
        procedure: "files.createUpload",
        body: createUploadInput,
        response: out.uploadTicket,
        status: 201,
      },
      (t, { body }) => t.files.createUpload(body),
    ),
    row(
      {
        method: "get",
        path: "/api/files",
        summary: "Your files, newest first",
        tag: "files",
        procedure: "files.list",
        query: pageQuery,
        response: out.filePage,
      },
      (t, { query }) => t.files.list(query),
    ),
    row(
      {
        method: "get",
        path: "/api/files/{id}",
        summary: "One of your files",
        tag: "files",
        procedure: "files.get",
        params: fileParams,
        response: out.fileView,
      },
      (t, { params }) => t.files.get({ fileId: params.id }),
    ),
    row(
      {
        method: "post",
        path: "/api/files/{id}/complete",
        summary: "Verify the uploaded object: the file becomes ready, or rejected",
        tag: "files",
        procedure: "files.completeUpload",
        params: fileParams,
        response: out.fileView,
      },
      (t, { params }) => t.files.completeUpload({ fileId: params.id }),
    ),
    row(
      {
        method: "post",
        path: "/api/files/{id}/parts",
        summary: "Multipart: sign part URLs (exact length and SHA-256 of each part), a batch at a time",
        tag: "files",
        procedure: "files.signParts",
        params: fileParams,
        body: signPartsInput.omit({ fileId: true }),
        response: out.signedParts,
      },
      (t, { params, body }) => t.files.signParts({ ...body, fileId: params.id }),
    ),
    row(
      {
        method: "get",
        path: "/api/files/{id}/parts",
        summary: "Multipart: the parts that arrived (resume sends the rest)",
        tag: "files",
        procedure: "files.listParts",
        params: fileParams,
        response: out.listedParts,
      },
      (t, { params }) => t.files.listParts({ fileId: params.id }),
    ),
    row(
      {
        method: "post",
        path: "/api/files/{id}/abort",
        summary: "Give up an upload: any object is deleted and the quota released",
        tag: "files",
        procedure: "files.abortUpload",
        params: fileParams,
        response: out.okBody,
      },
      (t, { params }) => t.files.abortUpload({ fileId: params.id }),
    ),
    row(
      {
        method: "delete",
        path: "/api/files/{id}",
        summary: "Delete a file and its object",
        tag: "files",
        procedure: "files.delete",
        params: fileParams,
        response: out.okBody,
      },
      (t, { params }) => t.files.delete({ fileId: params.id }),
    ),
    row(
      {
        method: "get",
        path: "/api/files/{id}/download-url",
        summary: "A short-lived pre-signed GET",
        tag: "files",
        procedure: "files.downloadUrl",
        params: fileParams,
        query: downloadQuery,
        response: out.downloadLink,
      },
      (t, { params, query }) => t.files.downloadUrl({ ...query, fileId: params.id }),
    ),
    row(
      {
        method: "post",
        path: "/api/files/{id}/share-url",
        summary: "A longer-lived link to hand to someone else",
        tag: "files",
        procedure: "files.shareUrl",
        params: fileParams,
        body: shareUrlInput.omit({ fileId: true }),
        response: out.downloadLink,
      },
      (t, { params, body }) => t.files.shareUrl({ ...body, fileId: params.id }),
    ),

    row(
      {
        method: "get",
        path: "/api/audit",
        summary: "Your audit trail, newest first",
        tag: "audit",
        procedure: "audit.list",
        query: pageQuery,
        response: out.auditPage,
      },
      (t, { query }) => t.audit.list(query),
    ),

    // Profile
    row(
      {
        method: "get",
        path: "/api/profile",
        summary: "Your profile",
        tag: "profile",
        procedure: "profile.get",
        response: out.profileView,
      },
      (t) => t.profile.get(),
    ),
    row(
      {
        method: "patch",
        path: "/api/profile",
        summary: "Change your name",
        tag: "profile",
        procedure: "profile.update",
        body: profileUpdateInput,
        response: out.profileName,
      },
      (t, { body }) => t.profile.update(body),
    ),
    row(
      {
        method: "post",
        path: "/api/profile/image/upload",
        summary: "Start a profile image upload",
        tag: "profile",
        procedure: "profile.createImageUpload",
        body: createImageUploadInput,
        response: out.imageUploadTicket,
        status: 201,
      },
      (t, { body }) => t.profile.createImageUpload(body),
    ),
    row(
      {
        method: "post",
        path: "/api/profile/image/complete",
        summary: "Verify the uploaded image and make it your profile image",
        tag: "profile",
        procedure: "profile.completeImageUpload",
        response: out.profileImageLink,
      },
      (t) => t.profile.completeImageUpload(),
    ),
    row(
      {
        method: "get",
        path: "/api/profile/image",
        summary: "A pre-signed GET of your profile image",
        tag: "profile",
        procedure: "profile.imageDownloadUrl",
        response: out.profileImageLink,
      },
      (t) => t.profile.imageDownloadUrl(),
    ),
    row(
      {
        method: "delete",
        path: "/api/profile/image",
        summary: "Remove your profile image",
        tag: "profile",
        procedure: "profile.removeImage",
        query: z.object({
          keepHistory: z
            .enum(["true", "false"])
            .optional()
            .openapi({ description: "keep the earlier images" }),
        }),
        response: out.profileImageLink,
      },
      (t, { query }) => t.profile.removeImage({ keepHistory: query.keepHistory === "true" }),
    ),
    row(
      {
        method: "get",
        path: "/api/profile/image/history",
        summary: "Your earlier profile images, with short-lived download URLs",
        tag: "profile",
        procedure: "profile.imageHistory",
        response: out.imageHistory,
      },
      (t) => t.profile.imageHistory(),
    ),
    row(
      {
        method: "post",
        path: "/api/profile/image/restore",
        summary: "Make an earlier profile image current again",
        tag: "profile",
        procedure: "profile.restoreImage",
        body: restoreImageInput,
        response: out.profileImageLink,
      },
      (t, { body }) => t.profile.restoreImage(body),
    ),

    // Account
    row(
      {
        method: "get",
        path: "/api/account",
        summary: "Your account's verification state and whether it may upload",
        tag: "account",
        procedure: "account.status",
        response: out.accountStatus,
      },
      (t) => t.account.status(),
    ),
    row(
      {
        method: "get",
        path: "/api/account/export",
        summary: "Every completed file with a download link valid for `expiresIn` seconds",
        tag: "account",
        procedure: "account.export",
        query: z.object({ expiresIn: z.coerce.number().openapi({ type: "integer", minimum: 60 }) }),
        response: out.accountExport,
      },
      (t, { query }) => t.account.export(query),
    ),
    row(
      {
        method: "post",
        path: "/api/account/delete",
        summary: "Delete your account and every object it owns (confirmed by your password)",
        tag: "account",
        procedure: "account.delete",
        body: deleteAccountInput,
        response: out.accountDeleted,
      },
      (t, { body }) => t.account.delete(body),
    ),

    // API keys (managed from a session, never with a key)
    row(
      {
        method: "post",
        path: "/api/api-keys",
        summary: "Create a personal API key (the key is shown once)",
        tag: "api-keys",
        procedure: "apiKeys.create",
        body: createApiKeyInput,
        response: out.createdApiKey,
        status: 201,
      },
      (t, { body }) => t.apiKeys.create(body),
    ),
    row(
      {
        method: "get",
        path: "/api/api-keys",
        summary: "Your API keys (never the keys themselves)",
        tag: "api-keys",
        procedure: "apiKeys.list",
        response: out.apiKeyList,
      },
      (t) => t.apiKeys.list(),
    ),
    row(
      {
        method: "delete",
        path: "/api/api-keys/{id}",
        summary: "Revoke an API key",
        tag: "api-keys",
        procedure: "apiKeys.revoke",
        params: apiKeyIdInput,
        response: out.apiKeyView,
      },
      (t, { params }) => t.apiKeys.revoke(params),
    ),

    // The seed contracts, kept for clients written against them.
    row(
      {
        method: "post",
        path: "/api/uploads/pre-signed-url",
        summary: "Seed contract: start an upload (accepts fileName/fileType/fileSize)",
        tag: "seed compatibility",
        procedure: "files.createUpload",
        body: seedAliases(createUploadInput, {
          filename: "fileName",
          contentType: "fileType",
          size: "fileSize",
        }),
        response: z.union([out.seedUploadTicket, out.multipartUploadTicket]),
      },
      async (t, { body }) => {
        const upload = await t.files.createUpload(body);
        // Clients of the seed contract read `presignedUrl`; a multipart answer has no single URL to give.
        return upload.plan === "single" ? { ...upload, presignedUrl: upload.url } : upload;
      },
    ),
    row(
      {
        method: "post",
        path: "/api/user/profile/image",
        summary: "Seed contract: start a profile image upload",
        tag: "seed compatibility",
        procedure: "profile.createImageUpload",
        body: seedAliases(createImageUploadInput, {
          contentType: "fileType",
          fileSize: "size",
          originalFilename: "fileName",
        }),
        response: out.imageUploadTicket,
      },
      (t, { body }) => t.profile.createImageUpload(body),
    ),
    row(
      {
        method: "get",
        path: "/api/user/profile/image",
        summary: "Seed contract: a pre-signed GET of your profile image",
        tag: "seed compatibility",
        procedure: "profile.imageDownloadUrl",
        response: out.profileImageLink,
      },
      (t) => t.profile.imageDownloadUrl(),
    ),
    row(
      {
        method: "get",
        path: "/api/files/pre-signed-url/{fileName}",
        summary: "Seed contract: a pre-signed GET by your file's id or object key (URL-encoded)",
        tag: "seed compatibility",
        procedure: "files.downloadUrl",
        params: z.object({
          fileName: z
            .string()
            .min(1)
            .max(1024)
            .openapi({ param: { name: "fileName", in: "path" }, description: "A file id or its key" }),
        }),
        response: out.seedDownloadLink,
      },
      async (t, { params }, ctx) => {
        const name: string = params.fileName;
        if (!ctx.user) return t.files.downloadUrl({ fileId: name }); // answers UNAUTHORIZED like every route
        const fileId = z.uuid().safeParse(name).success
          ? name
          : await ownFileIdByKey({ ...ctx, user: ctx.user }, name);
        const link = await t.files.downloadUrl({ fileId });
        return { ...link, presignedUrl: link.url };
      },
    ),
  ];
}
