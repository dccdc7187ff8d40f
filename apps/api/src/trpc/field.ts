/**
 * One spelling of a field path in every error, whatever the transport: `parts.0.partNumber`, as zod's issue
 * paths join. A service that names its field in the message's first words (`expiresIn: at most 900 seconds`)
 * is read the same way, and a bracketed index (`parts[0].partNumber`) is respelled.
 */
import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";

/** A zod issue path as the field an error names. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/** "field: problem; other: problem", so a BAD_REQUEST names what to fix. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? fieldPath(issue.path) : "input"}: ${issue.message}`)
    .join("; ");
}

/** A validation failure, named by its field, as BAD_REQUEST. */
export function badInput(error: ZodError): TRPCError {
  return new TRPCError({ code: "BAD_REQUEST", message: describeZodError(error), cause: error });
}

const LEADING_FIELD = /^([A-Za-z_$][\w$]*(?:\[\d+\]|\.[\w$]+)*): /;

/** The message with its leading field respelled from `a[0].b` to `a.0.b`. */
export function respellField(message: string): string {
  return message.replace(LEADING_FIELD, (_, field: string) => `${field.replace(/\[(\d+)\]/g, ".$1")}: `);
}

// Refusals about a value the caller sent; the others (NOT_FOUND, …) are about the resource, not a field.
const INPUT_CODES = new Set(["BAD_REQUEST", "PAYLOAD_TOO_LARGE"]);

/** The field a refusal is about: its first zod issue's path, or the field its message starts with. */
export function fieldOf(error: TRPCError): string | undefined {
  if (error.cause instanceof ZodError) {
    const path = error.cause.issues[0]?.path;
    return path?.length ? fieldPath(path) : undefined;
  }
  if (!INPUT_CODES.has(error.code)) return undefined;
  return LEADING_FIELD.exec(respellField(error.message))?.[1];
}
