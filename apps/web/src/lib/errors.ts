import { TransportError } from "./transport.ts";

/** Pulls `<Code>` and `<Message>` out of an S3 XML error body without needing a DOM parser. */
export function parseS3Error(body: string): { code: string | null; message: string | null } {
  const pick = (tag: string) => {
    const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(body);
    return match?.[1]?.trim() || null;
  };
  return { code: pick("Code"), message: pick("Message") };
}

/**
 * Turns what the bucket answered to an upload PUT into a sentence a user can act on. The raw S3 code is kept
 * in brackets so support can still tell the cases apart.
 */
export function describeStorageFailure(status: number, body: string): string {
  const { code, message } = parseS3Error(body);
  const tag = code ? ` [${code}]` : ` [HTTP ${status}]`;
  const lowerMessage = (message ?? "").toLowerCase();
  if (status === 403 && code === "SignatureDoesNotMatch") {
    return `The storage refused the upload link's signature.${tag} Retry to get a fresh link; if it keeps happening the server's storage credentials or clock may be wrong.`;
  }
  if (status === 403 && (lowerMessage.includes("expired") || code === "ExpiredToken")) {
    return `The upload link expired before the upload started.${tag} Retry to get a new link.`;
  }
  if (status === 403) {
    return `The storage refused access.${tag} Retry to get a fresh link.`;
  }
  if (status === 412) {
    return `The storage refused to overwrite an existing object.${tag} Retry to upload it as a new file.`;
  }
  if (status === 400 && (code === "BadDigest" || code === "XAmzContentSHA256Mismatch")) {
    return `The bytes that arrived do not match the file's checksum${tag}: the file may have changed while uploading. Retry.`;
  }
  if (status === 400 && code === "IncompleteBody") {
    return `The upload was cut short before the whole file arrived.${tag} Retry.`;
  }
  if (status === 413 || code === "EntityTooLarge") {
    return `The file is larger than the storage accepts.${tag}`;
  }
  if (status >= 500) {
    return `The storage is temporarily unavailable.${tag} Retry in a moment.`;
  }
  return `The storage rejected the upload${tag}${message ? `: ${message}` : "."} Retry.`;
}

/** Human message for a PUT that never got an HTTP answer. */
export function describeTransportFailure(error: TransportError): string {
  return error.kind === "timeout"
    ? "The upload timed out. Check your connection and retry."
    : "Could not reach the storage (network error or the bucket's CORS rules refused this site). Check your connection and retry.";
}

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
 * A user-facing sentence for anything thrown while calling the API: tRPC errors keep the server's message
 * (it names the field or the limit), a few codes get a friendlier one, and network failures say so.
 */
export function describeApiError(error: unknown): string {
  if (error instanceof TransportError) return describeTransportFailure(error);
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
