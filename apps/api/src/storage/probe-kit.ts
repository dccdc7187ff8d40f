/**
 * What every probe of the storage doctor shares: the check rows it records, the run it writes its keys under, and
 * sending a presigned request as the browser at PUBLIC_URL would.
 */
import { S3Error, type Signer } from "@signet/signer";
import { corsRulesAsR2Json, spaCorsRule } from "./cors-rule.ts";

/** `warn`: uploads work, but something is weaker than on R2. `fail`: users are hurt. `skip`: could not run. */
export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export type CheckId =
  | "credentials"
  | "clock"
  | "upload"
  | "cors-preflight"
  | "cors-etag"
  | "size"
  | "if-none-match"
  | "checksum"
  | "download"
  | "part-rule"
  | "multipart"
  | "cleanup";

export interface Check {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** What was observed. */
  detail: string;
  /** What breaks for users (warn and fail only). */
  impact?: string;
  /** The exact fix (warn and fail only). */
  fix?: string;
}

export const TITLES: Record<CheckId, string> = {
  credentials: "credentials accepted",
  clock: "clock skew",
  upload: "presigned upload as the SPA sends it",
  "cors-preflight": "CORS preflight for the upload",
  "cors-etag": "CORS exposes ETag",
  size: "wrong size refused",
  "if-none-match": "If-None-Match: * enforced",
  checksum: "wrong checksum refused (BadDigest)",
  download: "download filename (response-content-disposition)",
  "part-rule": "unequal multipart parts refused (R2 rule)",
  multipart: "multipart upload completes",
  cleanup: "probe objects removed",
};

/** The signer calls the doctor makes. */
export type DoctorStorage = Pick<
  Signer,
  | "presignPut"
  | "presignGet"
  | "presignHead"
  | "presignUploadPart"
  | "listObjects"
  | "deleteObject"
  | "createMultipartUpload"
  | "listParts"
  | "completeMultipartUpload"
  | "abortMultipartUpload"
>;

export interface Advice {
  impact: string;
  fix: string;
}

export type Recorder = (id: CheckId, status: CheckStatus, detail: string, advice?: Advice) => void;

/** One doctor run: where its keys go, what it wrote (for the cleanup), and where its rows are recorded. */
export interface ProbeRun {
  storage: DoctorStorage;
  /** The SPA's origin (PUBLIC_URL): the origin the CORS probes send. */
  origin: string;
  clock: () => Date;
  /** `signet-doctor/<run>/`: every key of this run is below it. */
  prefix: string;
  written: Set<string>;
  uploads: { key: string; uploadId: string }[];
  record: Recorder;
}

/** Presigned URLs of the probes live this long. */
export const PROBE_TTL = 300;
export const PROBE_FILENAME = "signet doctor probe ü.txt";

export async function sha256Base64(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * An error as one line. A storage that sends an empty `<Message>` (Ceph RGW) gets the code and status as its
 * message from the signer: said once, not twice.
 */
export function describeError(error: unknown): string {
  if (error instanceof S3Error) {
    const head = `${error.code} (HTTP ${error.status})`;
    return !error.message || error.message === head ? head : `${head}: ${error.message}`;
  }
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const reason = cause?.code ?? cause?.message;
  return reason ? `could not connect (${reason})` : String((error as Error)?.message ?? error);
}

/** Sends a presigned request as a browser at `origin` would: every signed header, plus Origin. */
export function send(
  signed: { url: string; method: string; headers: Record<string, string> },
  origin: string,
  body?: Uint8Array<ArrayBuffer>,
): Promise<Response> {
  // fetch sets content-length from the body itself, as a browser does.
  const { "content-length": _, ...headers } = signed.headers;
  return fetch(signed.url, { method: signed.method, headers: { ...headers, origin }, body: body ?? null });
}

/** A presigned PUT of `body` to `key` with every header Signet signs, sent from the run's origin. */
export async function putSigned(
  run: ProbeRun,
  key: string,
  body: Uint8Array<ArrayBuffer>,
  extra: { checksumSha256?: string; contentLength?: number } = {},
): Promise<Response> {
  run.written.add(key);
  const signed = await run.storage.presignPut(key, {
    expiresIn: PROBE_TTL,
    contentType: "text/plain",
    contentLength: extra.contentLength ?? body.byteLength,
    checksumSha256: extra.checksumSha256 ?? (await sha256Base64(body)),
    metadata: {
      "original-filename": PROBE_FILENAME,
      "uploaded-by": "signet-doctor",
      "uploaded-at": run.clock().toISOString(),
    },
    ifNoneMatch: "*",
  });
  return send(signed, run.origin, body);
}

/** A comma-separated response header as lower-case names. */
export function listHeader(response: Response, name: string): string[] {
  return (response.headers.get(name) ?? "")
    .split(",")
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);
}

export function originAllowed(response: Response, origin: string): boolean {
  const allowed = response.headers.get("access-control-allow-origin");
  return allowed === origin || allowed === "*";
}

export function corsFix(origin: string): string {
  return `run \`signet cors apply --origin ${origin}\`, or paste this into R2's dashboard (Settings → CORS Policy):\n${corsRulesAsR2Json([spaCorsRule(origin)])}`;
}
