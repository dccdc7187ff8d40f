/**
 * The storage doctor: probes the configured bucket for real, the way a browser at PUBLIC_URL and Signet's server
 * will use it, and says for each problem what breaks for users and the exact fix. Every probe writes its own
 * temporary key under `signet-doctor/<run>/` and the run removes them all at the end.
 */
import { contentDisposition, S3Error, type Signer, s3ErrorOf } from "@signet/signer";
import type { Logger } from "../ground.ts";
import { corsRulesAsR2Json, spaCorsRule, UPLOAD_CORS_HEADERS } from "./cors-rule.ts";

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

export interface DoctorOptions {
  storage: DoctorStorage;
  /** The SPA's origin (PUBLIC_URL): the origin the CORS probes send. */
  origin: string;
  /** Skip the slow probes (multipart, ~10 MiB of uploads): what `pnpm start` runs. */
  quick?: boolean;
  /** This machine's clock, compared with the endpoint's `Date`. */
  clock?: () => Date;
  /** Told before each probe starts (for a progress line). */
  onProbe?: (title: string) => void;
}

const MiB = 1024 * 1024;
/** Clock skew SigV4 tolerates on header-signed requests; beyond it the storage refuses every request. */
const MAX_SKEW_SECONDS = 900;
/** Skew that shortens or lengthens every URL's life noticeably (upload URLs live 600 s by default). */
const WARN_SKEW_SECONDS = 60;
const PROBE_TTL = 300;
const PROBE_FILENAME = "signet doctor probe ü.txt";
const DIGEST_CODES = new Set(["BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch"]);

const TITLES: Record<CheckId, string> = {
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

/** Whether uploads will work: no check failed. */
export function doctorPassed(checks: Check[]): boolean {
  return checks.every((check) => check.status !== "fail");
}

async function sha256Base64(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function describeError(error: unknown): string {
  if (error instanceof S3Error) return `${error.code} (HTTP ${error.status}): ${error.message}`;
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const reason = cause?.code ?? cause?.message;
  return reason ? `could not connect (${reason})` : String((error as Error)?.message ?? error);
}

/** Sends a presigned request as a browser at `origin` would: every signed header, plus Origin. */
function send(
  signed: { url: string; method: string; headers: Record<string, string> },
  origin: string,
  body?: Uint8Array<ArrayBuffer>,
): Promise<Response> {
  // fetch sets content-length from the body itself, as a browser does.
  const { "content-length": _, ...headers } = signed.headers;
  return fetch(signed.url, { method: signed.method, headers: { ...headers, origin }, body: body ?? null });
}

function listHeader(response: Response, name: string): string[] {
  return (response.headers.get(name) ?? "")
    .split(",")
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);
}

function originAllowed(response: Response, origin: string): boolean {
  const allowed = response.headers.get("access-control-allow-origin");
  return allowed === origin || allowed === "*";
}

function corsFix(origin: string): string {
  return `run \`signet cors apply --origin ${origin}\`, or paste this into R2's dashboard (Settings → CORS Policy):\n${corsRulesAsR2Json([spaCorsRule(origin)])}`;
}

function credentialsAdvice(error: unknown): { impact: string; fix: string } {
  const code = error instanceof S3Error ? error.code : "";
  const impact = "nothing works: every URL Signet signs is refused";
  switch (code) {
    case "InvalidAccessKeyId":
      return { impact, fix: "S3_ACCESS_KEY_ID (or R2_ACCESS_KEY_ID) is not a key this storage knows" };
    case "SignatureDoesNotMatch":
      return {
        impact,
        fix: "S3_SECRET_ACCESS_KEY does not belong to S3_ACCESS_KEY_ID (or S3_REGION is wrong)",
      };
    case "NoSuchBucket":
      return { impact, fix: "create the bucket named by S3_BUCKET, or correct S3_BUCKET" };
    case "AccessDenied":
      return {
        impact,
        fix: "give the key read and write access to objects of this bucket (R2: Object Read & Write)",
      };
    case "AuthorizationHeaderMalformed":
      return { impact, fix: "set S3_REGION to the bucket's region (`auto` for R2)" };
    case "RequestTimeTooSkewed":
      return { impact, fix: "sync this machine's clock (e.g. `timedatectl set-ntp true`)" };
    default:
      return {
        impact,
        fix: "check S3_ENDPOINT (scheme, host, port) and that the storage is reachable from here (with the embedded endpoint: is `pnpm start` running?)",
      };
  }
}

/**
 * Runs the probes and returns one check per row. Never throws for a storage problem: each one becomes a
 * failed check. If the credentials are refused, the remaining probes are skipped.
 */
export async function runDoctor(options: DoctorOptions): Promise<Check[]> {
  const { storage, origin } = options;
  const clock = options.clock ?? (() => new Date());
  const run = crypto.randomUUID();
  const prefix = `signet-doctor/${run}/`;
  const written = new Set<string>();
  const uploads: { key: string; uploadId: string }[] = [];
  const checks: Check[] = [];
  const record = (
    id: CheckId,
    status: CheckStatus,
    detail: string,
    advice?: { impact: string; fix: string },
  ) => {
    checks.push({
      id,
      title: TITLES[id],
      status,
      detail,
      ...(status === "ok" || status === "skip" ? {} : advice),
    });
  };
  const probe = async (id: CheckId, body: () => Promise<void>) => {
    options.onProbe?.(TITLES[id]);
    try {
      await body();
    } catch (error) {
      record(id, "fail", `the probe itself failed: ${describeError(error)}`, {
        impact: "unknown: the storage answered in a way the doctor did not expect",
        fix: "check that S3_ENDPOINT is reachable and retry; report the detail if it persists",
      });
    }
  };
  const putSigned = async (
    key: string,
    body: Uint8Array<ArrayBuffer>,
    extra: { checksumSha256?: string; contentLength?: number } = {},
  ) => {
    written.add(key);
    const signed = await storage.presignPut(key, {
      expiresIn: PROBE_TTL,
      contentType: "text/plain",
      contentLength: extra.contentLength ?? body.byteLength,
      checksumSha256: extra.checksumSha256 ?? (await sha256Base64(body)),
      metadata: {
        "original-filename": PROBE_FILENAME,
        "uploaded-by": "signet-doctor",
        "uploaded-at": clock().toISOString(),
      },
      ifNoneMatch: "*",
    });
    return send(signed, origin, body);
  };

  // Credentials: a listing of this run's (empty) prefix.
  let reachable = false;
  await probe("credentials", async () => {
    try {
      await storage.listObjects(prefix);
      reachable = true;
      record("credentials", "ok", "listing the bucket with these keys works");
    } catch (error) {
      record("credentials", "fail", describeError(error), credentialsAdvice(error));
    }
  });
  if (!reachable) {
    for (const id of Object.keys(TITLES) as CheckId[]) {
      if (id === "credentials" || id === "cleanup") continue;
      if (options.quick && (id === "part-rule" || id === "multipart")) continue;
      record(id, "skip", "not run: the bucket could not be listed");
    }
    return checks;
  }

  try {
    await probe("clock", async () => {
      const signed = await storage.presignHead(`${prefix}clock`, { expiresIn: PROBE_TTL });
      const before = clock().getTime();
      const response = await fetch(signed.url, { method: "HEAD" });
      const after = clock().getTime();
      const date = response.headers.get("date");
      if (!date || Number.isNaN(Date.parse(date))) {
        record("clock", "skip", "the endpoint sent no Date header");
        return;
      }
      // Date has whole seconds: the endpoint's time is somewhere in [date, date + 1 s).
      const skew = Math.round((Date.parse(date) + 500 - (before + after) / 2) / 1000);
      const detail = `${Math.abs(skew)} s ${skew > 0 ? "behind" : "ahead of"} the endpoint`;
      const advice = {
        impact:
          Math.abs(skew) >= MAX_SKEW_SECONDS
            ? "the storage refuses every request signed here (RequestTimeTooSkewed)"
            : "every URL lives shorter or longer than configured by that much",
        fix: "sync this machine's clock (e.g. `timedatectl set-ntp true`, or chrony/ntpd)",
      };
      const status =
        Math.abs(skew) >= MAX_SKEW_SECONDS ? "fail" : Math.abs(skew) >= WARN_SKEW_SECONDS ? "warn" : "ok";
      record("clock", status, skew === 0 ? "in sync with the endpoint (±1 s)" : detail, advice);
    });

    // The upload the SPA makes: every header Signet signs, from PUBLIC_URL.
    const uploadKey = `${prefix}upload.txt`;
    const content = new TextEncoder().encode("signet doctor probe\n");
    let uploaded = false;
    let uploadResponse: Response | undefined;
    await probe("upload", async () => {
      uploadResponse = await putSigned(uploadKey, content);
      if (uploadResponse.ok) {
        uploaded = true;
        await uploadResponse.body?.cancel();
        record("upload", "ok", `HTTP ${uploadResponse.status}`);
      } else {
        const error = await s3ErrorOf(uploadResponse);
        record("upload", "fail", describeError(error), {
          impact: "every upload fails",
          fix:
            error.code === "RequestTimeTooSkewed" || error.code === "AccessDenied"
              ? "see the clock and credentials rows; the key needs object write access"
              : "this storage refuses a header Signet signs (content-type, content-length, if-none-match, x-amz-checksum-sha256, x-amz-meta-*): use a storage that supports them (R2, S3)",
        });
      }
    });
    /** A probe on the upload probe's object: skipped, and said so, when that upload failed. */
    const probeUploaded = (id: CheckId, body: () => Promise<void>) =>
      probe(id, async () => {
        if (!uploaded) {
          record(id, "skip", "not run: the upload probe failed");
          return;
        }
        await body();
      });

    await probe("cors-preflight", async () => {
      const signed = await storage.presignPut(`${prefix}preflight.txt`, {
        expiresIn: PROBE_TTL,
        contentType: "text/plain",
        contentLength: 1,
      });
      const preflight = async (headers: string[]) => {
        const response = await fetch(signed.url, {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": "PUT",
            ...(headers.length > 0 ? { "access-control-request-headers": headers.join(",") } : {}),
          },
        });
        await response.body?.cancel();
        const allowed = listHeader(response, "access-control-allow-headers");
        const ok =
          response.ok &&
          originAllowed(response, origin) &&
          listHeader(response, "access-control-allow-methods").includes("put") &&
          (allowed.includes("*") || headers.every((h) => allowed.includes(h)));
        return { ok, status: response.status };
      };
      const requested = [...UPLOAD_CORS_HEADERS].sort();
      if ((await preflight(requested)).ok) {
        record("cors-preflight", "ok", `PUT from ${origin} with ${requested.length} headers allowed`);
        return;
      }
      const advice = {
        impact: `browsers at ${origin} cannot upload: the preflight is refused`,
        fix: corsFix(origin),
      };
      // S3 answers a refused preflight with a bare 403: ask header by header to name what the rule lacks.
      const bare = await preflight([]);
      if (!bare.ok) {
        record("cors-preflight", "fail", `no rule allows PUT from ${origin} (HTTP ${bare.status})`, advice);
        return;
      }
      const missing: string[] = [];
      for (const header of requested) if (!(await preflight([header])).ok) missing.push(header);
      record(
        "cors-preflight",
        "fail",
        missing.length > 0
          ? `headers not allowed: ${missing.join(", ")}`
          : "each header is allowed alone, but no single rule allows them all",
        advice,
      );
    });

    await probe("cors-etag", async () => {
      if (!uploadResponse || !uploaded) {
        record("cors-etag", "skip", "not run: the upload probe failed");
        return;
      }
      const advice = {
        impact:
          "browsers cannot read ETag from upload responses: Signet completes its own uploads with the ETags it reads itself, but S3 clients that complete multipart uploads in the browser (e.g. Uppy) fail",
        fix: corsFix(origin),
      };
      if (!originAllowed(uploadResponse, origin)) {
        record(
          "cors-etag",
          "fail",
          `the upload response carries no Access-Control-Allow-Origin for ${origin}`,
          {
            ...advice,
            impact: "browsers see every upload fail, even when the bytes arrived",
          },
        );
      } else if (!listHeader(uploadResponse, "access-control-expose-headers").includes("etag")) {
        record("cors-etag", "warn", "Access-Control-Expose-Headers lacks ETag", advice);
      } else {
        record("cors-etag", "ok", "ETag is exposed to the browser");
      }
    });

    await probe("size", async () => {
      // Signed for 4 bytes, 5 sent: what a client lying about its size would do.
      const response = await putSigned(`${prefix}size.txt`, new TextEncoder().encode("12345"), {
        contentLength: 4,
        checksumSha256: await sha256Base64(new TextEncoder().encode("1234")),
      });
      if (!response.ok) {
        const error = await s3ErrorOf(response);
        record(
          "size",
          "ok",
          `5 bytes on a URL signed for 4 refused: ${error.code} (HTTP ${response.status})`,
        );
        return;
      }
      await response.body?.cancel();
      record("size", "fail", `5 bytes on a URL signed for 4 accepted (HTTP ${response.status})`, {
        impact:
          "anyone holding an upload URL can store more than announced: MAX_FILE_BYTES and quotas hold only after the upload, when Signet rejects and deletes it",
        fix: "use a storage that enforces signed headers (R2, AWS S3, MinIO, Ceph RGW)",
      });
    });

    await probeUploaded("if-none-match", async () => {
      const response = await putSigned(uploadKey, content);
      await response.body?.cancel();
      if (response.status === 412) {
        record("if-none-match", "ok", "a second PUT to an existing key answered 412");
        return;
      }
      record(
        "if-none-match",
        "fail",
        `a second PUT to an existing key answered ${response.status}, not 412`,
        {
          impact:
            "a replayed upload URL overwrites a file that was already verified: its bytes can change after Signet checked them",
          fix: "use a storage that supports conditional writes (R2, AWS S3, MinIO, Ceph RGW)",
        },
      );
    });

    await probe("checksum", async () => {
      const wrong = await sha256Base64(new TextEncoder().encode("other bytes"));
      const response = await putSigned(`${prefix}checksum.txt`, content, { checksumSha256: wrong });
      if (!response.ok) {
        const error = await s3ErrorOf(response);
        if (DIGEST_CODES.has(error.code)) {
          record("checksum", "ok", `refused: ${error.code} (HTTP ${response.status})`);
        } else {
          record(
            "checksum",
            "warn",
            `refused, but as ${error.code} (HTTP ${response.status}), not BadDigest`,
            {
              impact: "a corrupted upload is refused, with a less helpful message",
              fix: "none needed for Signet",
            },
          );
        }
        return;
      }
      await response.body?.cancel();
      record(
        "checksum",
        "warn",
        `a body that does not match x-amz-checksum-sha256 was stored (HTTP ${response.status})`,
        {
          impact:
            "this storage does not enforce checksums: bytes corrupted on the way are stored; Signet will verify after upload instead (size and type always, the SHA-256 where the storage reports one)",
          fix: "none required; for end-to-end integrity use a storage that verifies x-amz-checksum-sha256 (R2, AWS S3)",
        },
      );
    });

    await probeUploaded("download", async () => {
      const disposition = contentDisposition(PROBE_FILENAME);
      const signed = await storage.presignGet(uploadKey, {
        expiresIn: PROBE_TTL,
        responseContentDisposition: disposition,
      });
      const response = await fetch(signed.url, { headers: { origin } });
      const body = new Uint8Array(await response.arrayBuffer());
      if (!response.ok || body.byteLength !== content.byteLength) {
        record(
          "download",
          "fail",
          `presigned GET answered ${response.status} with ${body.byteLength} bytes`,
          {
            impact: "downloads fail",
            fix: "check that the key may read objects",
          },
        );
      } else if (response.headers.get("content-disposition") !== disposition) {
        record(
          "download",
          "warn",
          `Content-Disposition came back as ${JSON.stringify(response.headers.get("content-disposition"))}`,
          {
            impact: "downloads are saved under the storage key instead of the file's original name",
            fix: "use a storage that honours response-content-disposition (R2, AWS S3)",
          },
        );
      } else {
        record("download", "ok", "the file downloads under its original name");
      }
    });

    if (!options.quick) {
      options.onProbe?.(TITLES.multipart);
      await multipartProbes(prefix, options, record, uploads, written);
    }
  } finally {
    options.onProbe?.(TITLES.cleanup);
    const left: string[] = [];
    for (const { key, uploadId } of uploads) {
      await storage.abortMultipartUpload(key, uploadId).catch(() => left.push(`${key} (multipart upload)`));
    }
    for (const key of written) await storage.deleteObject(key).catch(() => left.push(key));
    if (left.length === 0) record("cleanup", "ok", `${written.size} probe keys removed`);
    else
      record("cleanup", "warn", `could not remove: ${left.join(", ")}`, {
        impact: "a few bytes of probe objects stay in the bucket",
        fix: `delete them, or run \`signet reconcile --fix\`, which removes leftovers under signet-doctor/`,
      });
  }
  return checks;
}

type Recorder = (
  id: CheckId,
  status: CheckStatus,
  detail: string,
  advice?: { impact: string; fix: string },
) => void;

const MULTIPART_IMPACT = "files above the multipart threshold cannot be uploaded";

/**
 * R2's part rule, then a multipart upload with equal parts completed the way Signet completes it: with the ETags
 * the server reads from ListParts. A step the storage does not support fails both rows with its name.
 */
async function multipartProbes(
  prefix: string,
  options: DoctorOptions,
  record: Recorder,
  uploads: { key: string; uploadId: string }[],
  written: Set<string>,
): Promise<void> {
  const { storage } = options;
  const key = `${prefix}multipart.bin`;
  let step = "CreateMultipartUpload";
  let ruleRecorded = false;
  try {
    // As Signet's own uploads: SHA-256 part checksums asked for at creation, signed into each part's URL, and
    // listed back in the completion (AWS S3 refuses a completion without them).
    const { uploadId } = await storage.createMultipartUpload(key, {
      contentType: "application/octet-stream",
      checksumAlgorithm: "SHA256",
    });
    uploads.push({ key, uploadId });
    written.add(key);
    // Part 2 (the last) is larger than part 1: R2 refuses that at completion, AWS S3 accepts it.
    for (const [partNumber, size] of [
      [1, 5 * MiB],
      [2, 5 * MiB + 1],
    ] as const) {
      step = `UploadPart ${partNumber} (presigned)`;
      const body = new Uint8Array(size);
      const signed = await storage.presignUploadPart(key, uploadId, partNumber, {
        expiresIn: PROBE_TTL,
        contentLength: size,
        checksumSha256: await sha256Base64(body),
      });
      const response = await send(signed, options.origin, body);
      if (!response.ok) throw await s3ErrorOf(response);
      await response.body?.cancel();
    }
    step = "ListParts";
    const parts = await storage.listParts(key, uploadId);
    step = "CompleteMultipartUpload";
    let completed = false;
    ruleRecorded = true;
    try {
      await storage.completeMultipartUpload(key, uploadId, parts);
      completed = true;
      record("part-rule", "warn", "a last part larger than the others was accepted (as AWS S3 does)", {
        impact:
          "none for Signet, which always sends equal parts; a client tested only here may fail on R2, which refuses unequal parts",
        fix: "none needed",
      });
    } catch (error) {
      if (!(error instanceof S3Error)) throw error;
      record("part-rule", "ok", `refused: ${error.code}`);
    }
    if (!completed) {
      // Part 1 alone: equal parts, as Signet plans them.
      await storage.completeMultipartUpload(
        key,
        uploadId,
        parts.filter((p) => p.partNumber === 1),
      );
    }
    record(
      "multipart",
      "ok",
      parts.every((p) => p.checksumSha256 !== undefined)
        ? "completed with the ETags and SHA-256 checksums read from ListParts"
        : "completed with the ETags read from ListParts (it lists no part checksums)",
    );
  } catch (error) {
    const advice = {
      impact: MULTIPART_IMPACT,
      fix: `use a storage that supports ${step} (R2, AWS S3, MinIO, Ceph RGW)`,
    };
    const detail = `${step}: ${describeError(error)}`;
    if (!ruleRecorded) record("part-rule", "fail", detail, advice);
    record("multipart", "fail", detail, advice);
  }
}

/**
 * The quick doctor at start-up against an external bucket: one warning log line per problem, never a refusal to
 * start (an unreachable storage is one warning too).
 */
export async function warnAboutStorage(options: {
  storage: DoctorStorage;
  origin: string;
  logger: Logger;
}): Promise<void> {
  try {
    const checks = await runDoctor({ storage: options.storage, origin: options.origin, quick: true });
    const problems = checks.filter((check) => check.status === "warn" || check.status === "fail");
    for (const check of problems) {
      options.logger({
        level: "warn",
        msg: `storage: ${check.title}: ${check.detail}`,
        check: check.id,
        ...(check.impact ? { impact: check.impact } : {}),
        ...(check.fix ? { fix: check.fix } : {}),
      });
    }
    options.logger({ level: "info", msg: "storage checked", problems: problems.length });
  } catch (error) {
    options.logger({ level: "warn", msg: "storage check failed", error: describeError(error) });
  }
}
