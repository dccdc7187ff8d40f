/**
 * The one tRPC init: context types, error shape, `router`, `publicProcedure`, `protectedProcedure`, and
 * `procedure(contract, service)`, the shape every router line is written in.
 */
import { initTRPC, type TRPCMutationProcedure, type TRPCQueryProcedure } from "@trpc/server";
import { ZodError, type z } from "zod";
import type { Contract, InputOf, OutputOf } from "../contract/define.ts";
import type { AppDeps } from "../deps.ts";
import type { Actor, RequestMeta } from "../ground.ts";
import type { ServiceContext } from "../services/context.ts";
import { isStorageFull, logStorageFull, storageFullError } from "../services/storage-full.ts";
import { authorize } from "./authorize.ts";
import { describeZodError, fieldOf, respellField } from "./field.ts";

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

/** Every procedure carries its contract: the REST generator and the authorize step read it. */
export interface ProcedureMeta {
  contract: Contract;
}

const t = initTRPC
  .context<InnerContext>()
  .meta<ProcedureMeta>()
  .create({
    isDev: false,
    errorFormatter({ shape, error, ctx }) {
      if (error.code === "INTERNAL_SERVER_ERROR") {
        // The details went to the log under this id; the caller gets nothing internal.
        const id = ctx?.request.requestId;
        return { ...shape, message: `Internal error${id ? ` (request id ${id})` : ""}` };
      }
      const message =
        error.cause instanceof ZodError ? describeZodError(error.cause) : respellField(shape.message);
      // The field at fault, spelled as REST's `field` is, for clients that point at the input.
      const field = fieldOf(error);
      return { ...shape, message, data: { ...shape.data, ...(field ? { field } : {}) } };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/**
 * How each call ended, told to observability (the signed URLs it issued or was refused); a full disk under any
 * procedure answers SERVICE_UNAVAILABLE and logs the cause, instead of a generic 500. One middleware, not two:
 * each level of tRPC's middleware chain copies the context once more per call.
 */
const settled = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  if (result.ok) {
    ctx.observer?.procedureSettled(path, undefined);
    return result;
  }
  if (!isStorageFull(result.error)) {
    ctx.observer?.procedureSettled(path, result.error);
    return result;
  }
  logStorageFull(ctx.logger, result.error, { id: ctx.request.requestId, procedure: path });
  const unavailable = storageFullError(result.error);
  ctx.observer?.procedureSettled(path, unavailable);
  throw unavailable;
});

export const publicProcedure = t.procedure.use(settled);

/**
 * Requires a signed-in user, and of an API key the scope its contract names (`full` for a procedure without
 * one), and narrows `ctx.user`.
 */
export const protectedProcedure = publicProcedure.use(({ ctx, meta, next, path }) => {
  const access = meta?.contract.access;
  const user = authorize(ctx.user, path, access && access !== "public" ? access : "full");
  // tRPC merges this into the context it has; spreading the whole context here would copy it twice.
  return next({ ctx: { user } });
});

/** The context a contract's service receives: signed in unless the contract is public. */
type ContextOf<C extends Contract> = C["access"] extends "public" ? InnerContext : ServiceContext;

/** The built procedure's types, as the SPA sees them through `AppRouter`. */
type Built<C extends Contract, R> = {
  // biome-ignore lint/suspicious/noConfusingVoidType: tRPC's own type for a procedure that takes no input
  input: C["input"] extends z.ZodType ? z.input<C["input"]> : void;
  output: R;
  meta: ProcedureMeta;
};
type ProcedureOf<C extends Contract, R> = C["kind"] extends "query"
  ? TRPCQueryProcedure<Built<C, R>>
  : TRPCMutationProcedure<Built<C, R>>;

/**
 * A procedure from its contract entry and the service that answers it: access, input parsing and the REST
 * shape come from the contract, and the service must answer the contract's output, checked here at compile
 * time. Not parsed at run time: a parse is cheap (6 µs for a 100-file page, 28 µs for 100 signed parts) but
 * would strip every field a contract does not declare from what tRPC and REST answer today.
 *
 * @example createUpload: procedure(filesContract.createUpload, files.createUpload),
 */
export function procedure<C extends Contract, R extends OutputOf<C>>(
  contract: C,
  service: (ctx: ContextOf<C>, input: InputOf<C>) => Promise<R> | R,
): ProcedureOf<C, R> {
  const base = (contract.access === "public" ? publicProcedure : protectedProcedure).meta({ contract });
  const resolve = ({ ctx, input }: { ctx: unknown; input: unknown }) =>
    service(ctx as ContextOf<C>, input as InputOf<C>);
  const parsed = contract.input ? base.input(contract.input) : base;
  return (contract.kind === "query" ? parsed.query(resolve) : parsed.mutation(resolve)) as never;
}
