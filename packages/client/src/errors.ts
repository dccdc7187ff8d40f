/**
 * What can go wrong between the browser (or a script) and the bucket, as errors whose message a person can act
 * on. API errors are not here: they come from whichever client drives the endpoint (tRPC, REST) and pass through.
 */

/** Base of every failure the upload engine itself produces; `message` is ready to show to a user. */
export class UploadFailure extends Error {
  override name = "UploadFailure";
}

/** A PUT that produced no readable HTTP response (network down, CORS refusal, timeout, no progress). */
export class TransportError extends UploadFailure {
  override name = "TransportError";
  constructor(
    readonly kind: "network" | "timeout" | "stall",
    /** What the runtime said, for logs; browsers say nothing useful (CORS and offline look the same). */
    readonly detail: string,
  ) {
    super(describeTransportFailure(kind));
  }
}

/** The bucket answered the PUT with an error status; `message` explains it, `code` is S3's own. */
export class StorageRefusal extends UploadFailure {
  override name = "StorageRefusal";
  readonly code: string | null;
  constructor(
    readonly status: number,
    body: string,
    /** The storage's Retry-After header (429, 503), when it sent one the transport could read. */
    readonly retryAfter: string | null = null,
  ) {
    super(describeStorageFailure(status, body));
    this.code = parseS3Error(body).code;
  }

  /** The signed URL expired before the storage saw the request: a fresh URL fixes it. */
  get expired(): boolean {
    return this.status === 403 && (/expired/i.test(this.message) || this.code === "ExpiredToken");
  }

  /** The storage (or something in front of it) was briefly unavailable: the same request may succeed later. */
  get transient(): boolean {
    return this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/** The storage refused one part of a multipart upload; `partNumber` says which (shown on the row, with Retry). */
export class PartRefusal extends StorageRefusal {
  override name = "PartRefusal";
  constructor(
    readonly partNumber: number,
    status: number,
    body: string,
    retryAfter: string | null = null,
  ) {
    super(status, body, retryAfter);
    this.message = `Part ${partNumber}: ${this.message}`;
  }
}

/** A resume was asked with a file that is not the one the interrupted upload was sending. */
export class ResumeMismatch extends UploadFailure {
  override name = "ResumeMismatch";
  constructor(what: string) {
    super(
      `This is not the file of the interrupted upload (${what}). Pick the same file again, or discard it.`,
    );
  }
}

/** An empty file: storage has nothing to verify in it and the API refuses it. */
export class EmptyFileError extends UploadFailure {
  override name = "EmptyFileError";
  constructor() {
    super("This file is empty, so there is nothing to upload.");
  }
}

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
export function describeTransportFailure(kind: TransportError["kind"]): string {
  if (kind === "stall") return "The upload stopped making progress. Check your connection and retry.";
  return kind === "timeout"
    ? "The upload timed out. Check your connection and retry."
    : "Could not reach the storage (network error or the bucket's CORS rules refused this site). Check your connection and retry.";
}

/** True for the error a cancelled fetch/XHR/worker rejects with. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

/** The error to reject with when a signal fires. */
export function abortError(): DOMException {
  return new DOMException("The operation was aborted", "AbortError");
}
