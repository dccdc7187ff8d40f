/**
 * Signet as the backend of Uppy: the routes `@uppy/aws-s3` (v6) calls when given `companionEndpoint`, mounted
 * at /api/uppy (so `companionEndpoint: "<signet>/api/uppy"`; the plugin appends `/s3/...`). They call the same
 * services as `files.*`: limits, quota, rate limit, audit, the R2 part rule and server-side verification.
 *
 * Every Uppy upload goes in parts. Uppy's single upload in this mode is an S3 POST form, which R2 does not take,
 * and a multipart upload is completed by a route Uppy calls, where Signet assembles the parts with the ETags it
 * lists itself and verifies the object before the file counts: nothing ever becomes `ready` unverified. Uppy
 * sends neither the file's size nor a checksum, so the page puts the size (and the part size it chunks with)
 * in the file's meta; each part URL signs that part's exact length, and the assembled object's size and type are
 * verified at completion. The `uploadId` (and `key`) Uppy sees is Signet's file id: the storage's own upload id
 * and key stay on the server.
 *
 * Uppy's Companion client shows only a failed response's status text, so a refusal carries Signet's message
 * there too (a reason phrase on HTTP/1.1), beside the usual error body (errors.ts).
 */
import { TRPCError } from "@trpc/server";
import { type Context, Hono } from "hono";
import { ZodError, z } from "zod";
import { fileIdInput } from "../contract/common.ts";
import { createUploadInput, filesContract } from "../contract/files.ts";
import type { AppDeps } from "../deps.ts";
import type { ServiceContext } from "../services/context.ts";
import * as files from "../services/files.ts";
import { partLayout } from "../services/multipart.ts";
import { contentTypeSchema, filenameSchema, partNumberSchema } from "../services/validation.ts";
import { authorize } from "../trpc/authorize.ts";
import { badInput } from "../trpc/field.ts";
import { createInnerContext } from "../trpc/init.ts";
import { errorResponse, refusalOf } from "./errors.ts";
import type { Env, Sessions } from "./session.ts";

/** Where the routes are mounted; `companionEndpoint` is this path on Signet's origin. */
export const UPPY_PREFIX = "/api/uppy";

/** Uppy's completion lists every part's ETag, which Signet ignores: its body is never read, so never limited. */
export function isUppyCompletion(path: string): boolean {
  return path.startsWith(`${UPPY_PREFIX}/s3/multipart/`) && path.endsWith("/complete");
}

const README = "see the Uppy section of Signet's README";

/** How Uppy must chunk a file of `size` bytes for Signet: the part size of the server's plan. */
export function uppyPartSize(size: number): number {
  return partLayout(size).partSize;
}

/** A value as Uppy sends it: a number, or a string of one (form-style metadata, URL segments). */
const metaNumber = (schema: z.ZodType<number>) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v), schema);

const createBody = z.object({
  filename: filenameSchema,
  type: contentTypeSchema,
  metadata: z.object(
    {
      size: metaNumber(createUploadInput.shape.size).optional(),
      partSize: metaNumber(z.number()).optional(),
    },
    { error: "must be an object (the file's meta)" },
  ),
});

const uploadIdParam = fileIdInput.shape.fileId;
const sizeParam = metaNumber(createUploadInput.shape.size);
const partNumberParam = metaNumber(partNumberSchema);

/** Parses `value`, naming the field at fault as `name` (Companion's own names, not Signet's). */
function parse<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw badInput(
    new ZodError(result.error.issues.map((issue) => ({ ...issue, path: [name, ...issue.path] }))),
  );
}

function bad(message: string): TRPCError {
  return new TRPCError({ code: "BAD_REQUEST", message });
}

/** A printable reason phrase: HTTP/1.1 allows visible ASCII and spaces, nothing that could end the line. */
function reasonPhrase(message: string): string {
  return message.replace(/[^\x20-\x7e]/g, "?").slice(0, 400);
}

/** The procedures the Uppy routes stand for: their contracts' access is what an API key needs. */
type UppyProcedure = "createUpload" | "signParts" | "listParts" | "completeUpload" | "abortUpload";

/** The Uppy routes: mount with `app.route(UPPY_PREFIX, uppyRoutes(deps, session))`. */
export function uppyRoutes(deps: AppDeps, session: Sessions) {
  const api = new Hono<Env>();

  /**
   * Runs `work` as the signed-in caller, authorized as the procedure the route stands for (the same step and
   * wording as tRPC and REST), and answers a refusal through the one error writer, its message as the status text.
   * `issues`: the route signs URLs, so its outcome counts in the issuance metrics like the procedure's would.
   */
  const asCaller =
    (procedure: UppyProcedure, work: (ctx: ServiceContext, c: Context<Env>) => unknown, issues = false) =>
    async (c: Context<Env>) => {
      const settled = (error?: { code: string; message: string }) => {
        if (issues) deps.observer?.procedureSettled(`files.${procedure}`, error);
      };
      try {
        const actor = await session.actor(c);
        const user = authorize(actor, `files.${procedure}`, filesContract[procedure].access);
        const ctx: ServiceContext = {
          ...createInnerContext(session.deps(c), actor, session.requestMeta(c)),
          user,
        };
        const answer = c.json((await work(ctx, c)) as object);
        settled();
        return answer;
      } catch (error) {
        const refusal = refusalOf(error, session.deps(c).logger, c.get("requestId"));
        settled(refusal);
        return errorResponse(c, refusal, reasonPhrase(refusal.message));
      }
    };

  /** The file id Uppy holds as `uploadId`; a `key` it sends must be the one it was given (the same id). */
  function uploadOf(c: Context<Env>): string {
    const fileId = parse(uploadIdParam, c.req.param("uploadId"), "uploadId");
    const key = c.req.query("key");
    if (key !== undefined && key !== fileId) throw bad("key: not the key of this upload");
    return fileId;
  }

  // The part size the page chunks a file with. Uppy's getChunkSize cannot wait for an answer, so the page asks
  // here before each upload (a preprocessor): the rule stays in services/multipart.ts, never copied to the page.
  api.get(
    "/part-size",
    asCaller("createUpload", (_ctx, c) => ({
      partSize: uppyPartSize(parse(sizeParam, c.req.query("size"), "size")),
    })),
  );

  // Uppy's single upload: a POST form to the bucket, which R2 does not take. Refused with what to change.
  api.get(
    "/s3/params",
    asCaller("createUpload", () => {
      throw bad(
        "shouldUseMultipart: Signet takes Uppy uploads in parts only; set shouldUseMultipart: true on " +
          `@uppy/aws-s3 (empty files cannot be uploaded); ${README}`,
      );
    }),
  );

  api.post(
    "/s3/multipart",
    asCaller(
      "createUpload",
      async (ctx, c) => {
        const body = parse(createBody, await c.req.json().catch(() => null), "body");
        const { size, partSize } = body.metadata;
        if (size === undefined) {
          throw bad(
            "metadata.size: Signet needs each file's size before it signs anything; put file.size in the " +
              `file's meta (and chunk with Signet's part size); ${README}`,
          );
        }
        const planned = uppyPartSize(size);
        if (partSize !== planned) {
          throw bad(
            `metadata.partSize: Signet uploads this file in parts of ${planned} bytes; have getChunkSize ` +
              `answer that and put it in the file's meta as partSize (got ${partSize ?? "none"}); ${README}`,
          );
        }
        const upload = await files.createUpload(
          ctx,
          { filename: body.filename, contentType: body.type, size },
          { multipart: true, partChecksums: false },
        );
        return { uploadId: upload.fileId, key: upload.fileId };
      },
      true,
    ),
  );

  api.get(
    "/s3/multipart/:uploadId/:partNumber",
    asCaller(
      "signParts",
      async (ctx, c) => {
        const fileId = uploadOf(c);
        const partNumber = parse(partNumberParam, c.req.param("partNumber"), "partNumber");
        const signed = await files.signUploadParts(ctx, { fileId, parts: [{ partNumber }] });
        const part = signed.parts[0]!;
        const expires = Math.max(0, Math.floor((Date.parse(part.expiresAt) - ctx.clock().getTime()) / 1000));
        return { url: part.url, headers: part.headers, expires };
      },
      true,
    ),
  );

  api.get(
    "/s3/multipart/:uploadId",
    asCaller("listParts", async (ctx, c) => {
      const listed = await files.listUploadParts(ctx, uploadOf(c));
      return listed.parts.map((part) => ({ PartNumber: part.partNumber, Size: part.size, ETag: part.etag }));
    }),
  );

  // The ETags Uppy lists are ignored: the server completes with the ones it reads from the storage itself.
  api.post(
    "/s3/multipart/:uploadId/complete",
    asCaller("completeUpload", async (ctx, c) => {
      const view = await files.completeUpload(ctx, uploadOf(c));
      return {
        location: `${ctx.config.publicUrl}/api/files/${view.id}`,
        key: view.id,
        fileId: view.id,
        status: view.status,
      };
    }),
  );

  api.delete(
    "/s3/multipart/:uploadId",
    asCaller("abortUpload", async (ctx, c) => {
      await files.abortUpload(ctx, uploadOf(c));
      return {};
    }),
  );

  return api;
}
