/**
 * The one tRPC init: context types, error shape, `router`, `publicProcedure`, `protectedProcedure`, and the
 * `userQuery` / `userMutation` shorthands the routers are written in.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError, type ZodType, type z } from "zod";
import type { AppDeps } from "../deps.ts";
import type { Actor, RequestMeta } from "../ground.ts";
import { isStorageFull, logStorageFull, storageFullError } from "../http/storage-full.ts";
import { scopeAllows } from "../services/api-keys.ts";
import type { ServiceContext } from "../services/context.ts";
import { requiredScope } from "./scopes.ts";

/** The inner context: no HTTP in it, so tests build it directly and use `createCaller`. */
export interface InnerContext extends AppDeps {
  user: Actor | null;
  request: RequestMeta;
}

/** Builds the inner context from the app's dependencies, the signed-in user (if any) and request metadata. */
export function createInnerContext(
  deps: AppDeps,
  user: Actor | null,
  request: Partial<RequestMeta> = {},
): InnerContext {
  return { ...deps, user, request: { requestId: request.requestId ?? crypto.randomUUID(), ...request } };
}

/**
 * The most calls one tRPC batch may carry (larger batches answer BAD_REQUEST). One request's calls run
 * concurrently on the server, so without a cap a single POST of hundreds of calls holds the event loop, and every
 * other user's requests wait behind it. Clients set httpBatchLink's `maxItems` to this or less.
 */
export const MAX_BATCH_SIZE = 10;

/** "field: problem; other: problem", so a BAD_REQUEST names what to fix. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "input"}: ${issue.message}`)
    .join("; ");
}

const t = initTRPC.context<InnerContext>().create({
  isDev: false,
  errorFormatter({ shape, error, ctx }) {
    if (error.cause instanceof ZodError) {
      return { ...shape, message: describeZodError(error.cause) };
    }
    if (error.code === "INTERNAL_SERVER_ERROR") {
      // The details went to the log under this id; the caller gets nothing internal.
      const id = ctx?.request.requestId;
      return { ...shape, message: `Internal error${id ? ` (request id ${id})` : ""}` };
    }
    return shape;
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/** A full disk under any procedure answers SERVICE_UNAVAILABLE and logs the cause, instead of a generic 500. */
const storageFull = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  if (!result.ok && isStorageFull(result.error)) {
    logStorageFull(ctx.logger, result.error, { id: ctx.request.requestId, procedure: path });
    throw storageFullError(result.error);
  }
  return result;
});

/** Tells observability how each call ended (the signed URLs it issued or was refused). */
const observed = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  ctx.observer?.procedureSettled(path, result.ok ? undefined : result.error);
  return result;
});

export const publicProcedure = t.procedure.use(observed).use(storageFull);

/** Requires a signed-in user (an API key must have the scope the call needs) and narrows `ctx.user`. */
export const protectedProcedure = publicProcedure.use(({ ctx, next, path, type }) => {
  if (!ctx.user) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  }
  const key = ctx.user.apiKey;
  const needed = requiredScope(path, type);
  if (key && !scopeAllows(key.scope, needed)) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `This API key's scope is '${key.scope}'; ${path} needs '${needed}'`,
    });
  }
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/** A service function behind a procedure: the signed-in context and the parsed input. */
type Service<S extends ZodType, R> = (ctx: ServiceContext, input: z.output<S>) => Promise<R>;

/**
 * A signed-in query that parses its input with `schema` and hands it to a service: the shape of most procedures,
 * so a router reads as a table of names, schemas and services.
 *
 * @example get: userQuery(fileIdInput, (ctx, { fileId }) => files.getFile(ctx, fileId)),
 */
export function userQuery<S extends ZodType, R>(schema: S, service: Service<S, R>) {
  return protectedProcedure.input(schema).query(({ ctx, input }) => service(ctx, input as z.output<S>));
}

/** The mutation counterpart of `userQuery`. */
export function userMutation<S extends ZodType, R>(schema: S, service: Service<S, R>) {
  return protectedProcedure.input(schema).mutation(({ ctx, input }) => service(ctx, input as z.output<S>));
}
