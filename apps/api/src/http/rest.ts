/**
 * The REST compat routes of the seed contracts, for non-TypeScript clients: the same zod schemas and the same
 * services as the procedures, answering `{ error: { code, message } }` with the matching HTTP status.
 */
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { Context, Hono } from "hono";
import { ZodError, type z } from "zod";
import type { AppDeps } from "../deps.ts";
import type { ServiceContext } from "../services/context.ts";
import { createUpload } from "../services/files.ts";
import { retryAfterSeconds } from "../services/limits.ts";
import { createImageUpload, imageDownloadUrl } from "../services/profile.ts";
import { describeZodError } from "../trpc/init.ts";
import { createImageUploadInput, createUploadInput } from "../trpc/schemas.ts";
import type { Env, Sessions } from "./session.ts";

/** A refusal in the REST routes' shape. */
export function restError(c: Context<Env>, error: TRPCError): Response {
  const retryAfter = retryAfterSeconds(error);
  if (retryAfter) c.header("retry-after", String(retryAfter));
  const status = getHTTPStatusCodeFromError(error) as 400;
  return c.json({ error: { code: error.code, message: error.message } }, status);
}

const notAnObject = () => new TRPCError({ code: "BAD_REQUEST", message: "body: must be a JSON object" });

/**
 * The routes accept the names of the seed contracts and of common upload guides as aliases
 * (`fileName`/`fileType`/`fileSize`). Unknown keys are dropped by the schema afterwards.
 */
function withAliases(body: Record<string, unknown>, aliases: Record<string, string[]>) {
  const b = { ...body };
  for (const [to, from] of Object.entries(aliases)) {
    if (b[to] !== undefined) continue;
    const name = from.find((n) => b[n] !== undefined);
    if (name) b[to] = b[name];
  }
  return b;
}

/** Mounts the REST compat routes on `app`. */
export function restRoutes(app: Hono<Env>, deps: AppDeps, session: Sessions) {
  /** A route: authenticate, validate the JSON body with the procedure's schema, call the same service. */
  function rest<S extends z.ZodType, R>(
    schema: S | null,
    aliases: Record<string, string[]>,
    run: (ctx: ServiceContext, input: z.output<S>) => Promise<R>,
  ) {
    return async (c: Context<Env>) => {
      const actor = await session.actor(c);
      try {
        if (!actor) {
          throw new TRPCError({
            code: "UNAUTHORIZED",
            message: "Sign in first (session cookie or bearer token)",
          });
        }
        let input: unknown;
        if (schema) {
          const body = await c.req.json().catch(() => {
            throw notAnObject();
          });
          if (typeof body !== "object" || body === null || Array.isArray(body)) throw notAnObject();
          input = schema.parse(withAliases(body, aliases));
        }
        const ctx = { ...deps, user: actor, request: session.requestMeta(c) };
        return c.json((await run(ctx, input as z.output<S>)) as object);
      } catch (error) {
        if (error instanceof ZodError) {
          return restError(c, new TRPCError({ code: "BAD_REQUEST", message: describeZodError(error) }));
        }
        if (error instanceof TRPCError && error.code !== "INTERNAL_SERVER_ERROR") return restError(c, error);
        throw error;
      }
    };
  }

  app.post(
    "/api/uploads/pre-signed-url",
    rest(
      createUploadInput,
      { filename: ["fileName"], contentType: ["fileType"], size: ["fileSize"] },
      // Clients written against the seed contract read `presignedUrl`, as the profile image route names it.
      async (ctx, input) => {
        const upload = await createUpload(ctx, input);
        return upload.plan === "single" ? { ...upload, presignedUrl: upload.url } : upload;
      },
    ),
  );
  app.post(
    "/api/user/profile/image",
    rest(
      createImageUploadInput,
      { contentType: ["fileType"], fileSize: ["size"], originalFilename: ["fileName", "filename"] },
      (ctx, input) => createImageUpload(ctx, input),
    ),
  );
  app.get(
    "/api/user/profile/image",
    rest(null, {}, (ctx) => imageDownloadUrl(ctx)),
  );
}
