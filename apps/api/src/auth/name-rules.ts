/**
 * The one rule for a user's display name, applied on every path that writes one: profile.update (through
 * `nameSchema`) and Better Auth's own sign-up/email and update-user (through `nameRulesPlugin`'s database hooks,
 * which run for any route that creates or updates a user).
 */

import type { BetterAuthPlugin } from "better-auth";
import { APIError } from "better-auth/api";
import { z } from "zod";

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A display name: trimmed, 1..100 characters, no control characters. */
export const nameSchema = z
  .string({ error: "must be a string" })
  .trim()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters")
  .refine((v) => !CONTROL.test(v), "must not contain control characters");

/** The name as stored, or a BAD_REQUEST worded like profile.update's ("name: …"). */
function checkedName(name: unknown): string {
  const result = nameSchema.safeParse(name);
  if (result.success) return result.data;
  const message = result.error.issues.map((issue) => `name: ${issue.message}`).join("; ");
  throw new APIError("BAD_REQUEST", { message, code: "INVALID_NAME" });
}

/** Applies `nameSchema` to every user Better Auth creates, and to every update that sets a name. */
export const nameRulesPlugin = {
  id: "signet-name-rules",
  init: () => ({
    options: {
      databaseHooks: {
        user: {
          create: {
            before: async (user: { name?: unknown }) => ({ data: { ...user, name: checkedName(user.name) } }),
          },
          update: {
            before: async (user: { name?: unknown }) =>
              "name" in user ? { data: { ...user, name: checkedName(user.name) } } : undefined,
          },
        },
      },
    },
  }),
} satisfies BetterAuthPlugin;
