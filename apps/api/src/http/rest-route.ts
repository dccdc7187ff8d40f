/**
 * One REST route: its OpenAPI operation (summary, parameters, body, the success and error responses) and how it
 * calls its procedure. rest-routes.ts makes one per procedure from its contract; seed-routes.ts writes the
 * seed aliases by hand with the same builder.
 */
import { createRoute, type RouteConfig, type z } from "@hono/zod-openapi";
import { errorBody } from "../contract/common.ts";
import type { RestShape } from "../contract/define.ts";
import type { InnerContext } from "../trpc/init.ts";
import type { createCaller } from "../trpc/root.ts";

export type Caller = ReturnType<typeof createCaller>;
/** What the route's validators parsed, by where it came from. */
// biome-ignore lint/suspicious/noExplicitAny: each route's input is validated by the schemas in its own definition
export type Valid = { params: any; query: any; body: any };

export interface RestRoute {
  route: RouteConfig;
  /** The procedure the route calls (the name its document entry gives). */
  procedure: string;
  /** Calls the procedure; `ctx` is the caller's context, for the rare route that looks something up first. */
  call(caller: Caller, input: Valid, ctx: InnerContext): Promise<unknown>;
}

const STATUS_OF: Record<string, string> = {
  400: "Bad input (the field is named)",
  401: "Not signed in, or the API key is unknown, revoked or expired",
  403: "The API key's scope does not allow this",
  404: "No such resource (another user's is never shown)",
  413: "Over the size or quota limit",
  415: "The body is not JSON (send content-type: application/json)",
  429: "Over the rate limit (see Retry-After)",
  500: "Internal error (the message names the request id the log has the details under)",
  503: "The server is out of storage space",
};

/** The refusals anyone can meet, even on a public route. */
const ALWAYS = new Set(["429", "500", "503"]);

/** What a route is made of, whether generated from a contract or written by hand. */
export interface RouteSpec extends Omit<RestShape, "params"> {
  procedure: string;
  response: z.ZodType;
  public?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
}

/** One route: its OpenAPI operation (success and error responses) and how it calls its procedure. */
export function restRoute(spec: RouteSpec, call: RestRoute["call"]): RestRoute {
  const errors = Object.fromEntries(
    Object.entries(STATUS_OF)
      .filter(([status]) => !spec.public || ALWAYS.has(status))
      .filter(([status]) => spec.body || status !== "415")
      .map(([status, description]) => [
        status,
        { description, content: { "application/json": { schema: errorBody } } },
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
  return { route, procedure: spec.procedure, call };
}
