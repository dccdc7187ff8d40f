import { UploadFailure } from "@signet/client";

interface ApiErrorLike {
  message?: unknown;
  data?: { code?: unknown } | null;
}

const CODE_MESSAGES: Record<string, string> = {
  UNAUTHORIZED: "Your session has ended. Sign in again.",
  TOO_MANY_REQUESTS: "Too many requests in the last minute. Wait a moment and retry.",
  INTERNAL_SERVER_ERROR: "The server hit an unexpected error. Retry in a moment.",
};

/** Error code of a tRPC client error (`NOT_FOUND`, `BAD_REQUEST`, …), or null for anything else. */
export function apiErrorCode(error: unknown): string | null {
  const code = (error as ApiErrorLike | null)?.data?.code;
  return typeof code === "string" ? code : null;
}

/**
 * A user-facing sentence for anything thrown while calling the API or uploading: the upload engine's failures
 * are already sentences, tRPC errors keep the server's message (it names the field or the limit), a few codes
 * get a friendlier one, and network failures say so.
 */
export function describeApiError(error: unknown): string {
  if (error instanceof UploadFailure) return error.message;
  const code = apiErrorCode(error);
  if (code && code in CODE_MESSAGES && code !== "INTERNAL_SERVER_ERROR") return CODE_MESSAGES[code]!;
  const message = (error as ApiErrorLike | null)?.message;
  if (code === "INTERNAL_SERVER_ERROR" || (code && typeof message !== "string")) {
    return CODE_MESSAGES.INTERNAL_SERVER_ERROR!;
  }
  if (code && typeof message === "string" && message) return friendlyZodMessage(message);
  if (error instanceof TypeError)
    return "Could not reach the Signet server. Check your connection and retry.";
  if (typeof message === "string" && message) return message;
  return "Something went wrong. Retry.";
}

// tRPC forwards zod failures as a JSON array of issues in the message; show the first one with its field.
function friendlyZodMessage(message: string): string {
  if (!message.startsWith("[")) return message;
  try {
    const issues = JSON.parse(message) as { path?: unknown[]; message?: string }[];
    const first = issues[0];
    if (!first?.message) return message;
    const field = Array.isArray(first.path) && first.path.length > 0 ? `${first.path.join(".")}: ` : "";
    return `${field}${first.message}`;
  } catch {
    return message;
  }
}
