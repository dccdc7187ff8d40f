/**
 * The one authorize step of every transport: tRPC's middleware, the REST routes (which call the procedures) and
 * the Uppy routes all ask it, so "not signed in" and "this API key's scope is too small" read the same everywhere.
 * What each procedure needs is its contract's `access`.
 */
import { TRPCError } from "@trpc/server";
import type { Access } from "../contract/define.ts";
import type { Actor } from "../ground.ts";
import { scopeAllows } from "../services/api-keys.ts";

/** The signed-in actor, allowed to call `procedure`; throws UNAUTHORIZED or FORBIDDEN otherwise. */
export function authorize(user: Actor | null, procedure: string, access: Exclude<Access, "public">): Actor {
  if (!user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  const key = user.apiKey;
  if (key && !scopeAllows(key.scope, access)) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `This API key's scope is '${key.scope}'; ${procedure} needs '${access}'`,
    });
  }
  return user;
}
