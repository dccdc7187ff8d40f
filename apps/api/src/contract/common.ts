/** The vocabulary several domains' contracts share: error and ok bodies, timestamps, byte counts, file ids. */
import { z } from "@hono/zod-openapi";
import { checksumSchema } from "../services/validation.ts";

/** Every refusal over REST (and Uppy): the code and message, the field at fault, and the seed envelope. */
export const errorBody = z
  .object({
    code: z.string().openapi({ example: "NOT_FOUND" }),
    message: z.string(),
    field: z.string().optional().openapi({ description: "The input field at fault, when one is" }),
    error: z
      .object({ code: z.string(), message: z.string() })
      .openapi({ description: "The same code and message, in the envelope of Signet's first REST routes" }),
  })
  .openapi("Error");
export type ErrorBody = z.output<typeof errorBody>;

export const okBody = z.object({ ok: z.literal(true) }).openapi("Ok");

/** A timestamp as the API answers it: ISO 8601. */
export const iso = z.string().openapi({ format: "date-time" });

/** When a revocable grant (an API key, an upload request) was made, runs out (null: never) and was revoked. */
export const grantTimes = { createdAt: iso, expiresAt: iso.nullable(), revokedAt: iso.nullable() };

/**
 * The answer to creating something that holds a secret (an API key, a link's token, a webhook's signing secret): its
 * view and the secret, shown this once since Signet keeps only its hash or never shows it again. `secret` maps the
 * field that carries it to what the document says of it.
 */
export function withSecretShownOnce<S extends z.ZodRawShape, F extends string>(
  view: z.ZodObject<S>,
  name: string,
  secret: Record<F, string>,
) {
  const fields = Object.entries<string>(secret).map(([field, description]) => [
    field,
    z.string().openapi({ description }),
  ]);
  return view.extend(Object.fromEntries(fields) as Record<F, z.ZodString>).openapi(name);
}

export const positiveBytes = z
  .number({ error: "must be a number of bytes" })
  .min(1, "must be at least 1 byte")
  // zod's int() stops at 2^53; a larger size (1e20) is a whole number that is simply too large, which the
  // services answer with PAYLOAD_TOO_LARGE like any size over the limit.
  .refine((n) => n > Number.MAX_SAFE_INTEGER || Number.isInteger(n), "must be a whole number of bytes");

/**
 * S3's x-amz-checksum-sha256 (services/validation.ts holds the rule); the document states its shape as a pattern,
 * which the rule's canonical-base64 check implies.
 */
export const checksumSha256 = checksumSchema.meta({ pattern: "^[A-Za-z0-9+/]{43}=$" });

/** How long a link handed to someone else (a share link, an export's links) stays valid: a minute at least. */
export const linkLifetime = z
  .number()
  .int("must be a whole number of seconds")
  .min(60, "must be at least 60 seconds (1 minute)");

export const fileId = z.uuid("must be a file id").openapi({ example: "0193…" });

export const fileIdInput = z.object({ fileId });

/** What a list answers: every item, in `items` (the caller's keys, links, endpoints: a bounded few). */
export function listOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item) }).openapi(name);
}

/** One page of a long list: `nextCursor` asks for the next page (as `cursor`), null on the last one. */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
}

export const pageInput = z
  .object({
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(100).optional(),
  })
  .optional();
