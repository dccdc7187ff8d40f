/**
 * What one procedure's contract holds: its input and output (zod), who may call it, and its REST shape. The tRPC
 * router, the REST routes and the OpenAPI document are all built from these entries (contract/<domain>.ts), so a
 * procedure is declared once.
 */
import type { z } from "@hono/zod-openapi";
import type { ApiKeyScope } from "../ground.ts";

/** How the procedure answers over REST; the route and its OpenAPI operation are generated from it. */
export interface RestShape {
  method: "get" | "post" | "patch" | "delete";
  /** The OpenAPI path template; each `{name}` is an input field (see `params` for another name). */
  path: string;
  summary: string;
  tag: string;
  /** The success status (200 unless it creates something). */
  status?: 200 | 201;
  /** URL placeholder → input field, where the URL says `{id}` for the input's `fileId`. */
  params?: Record<string, string>;
}

/** "public": anyone may call it; otherwise a signed-in user, and an API key needs this scope. */
export type Access = "public" | ApiKeyScope;

export interface Contract {
  kind: "query" | "mutation";
  access: Access;
  /** Absent when the procedure takes no input. */
  input?: z.ZodType;
  output: z.ZodType;
  rest: RestShape;
}

/** What a domain's contracts share over REST: the tag, and what a `{placeholder}` of their paths names. */
export type RestDomain = Pick<RestShape, "tag" | "params">;

/** A contract as a domain's file declares it: its REST shape takes the rest from the domain's `RestDomain`. */
export type ContractEntry = Omit<Contract, "rest"> & { rest: Omit<RestShape, "tag"> };

/**
 * Declares one domain's contracts, keeping each entry's exact schema types for the router and the services; every
 * entry's REST operation takes the domain's tag (the OpenAPI document groups operations by it) and `params`; a
 * string is the tag alone.
 */
export function contracts<E extends Record<string, ContractEntry>>(
  domain: string | RestDomain,
  entries: E,
): { [K in keyof E]: E[K] & { rest: E[K]["rest"] & RestDomain } } {
  const shared = typeof domain === "string" ? { tag: domain } : domain;
  return Object.fromEntries(
    Object.entries(entries).map(([name, entry]) => [name, { ...entry, rest: { ...shared, ...entry.rest } }]),
  ) as { [K in keyof E]: E[K] & { rest: E[K]["rest"] & RestDomain } };
}

/** The parsed input a contract's service receives (undefined when the procedure takes none). */
export type InputOf<C extends Contract> = C["input"] extends z.ZodType ? z.output<C["input"]> : undefined;

/** What a contract's service must answer. */
export type OutputOf<C extends Contract> = z.input<C["output"]>;
