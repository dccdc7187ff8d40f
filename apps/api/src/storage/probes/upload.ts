/**
 * The upload the SPA makes (every header Signet signs, from PUBLIC_URL), and whether the storage holds a PUT to
 * what was signed: the size, If-None-Match: * and the checksum.
 */
import { s3ErrorOf } from "@signet/signer";
import { describeError, type ProbeRun, putSigned, sha256Base64 } from "../probe-kit.ts";

const DIGEST_CODES = new Set(["BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch"]);

/** The upload probe's object, once it arrived: the probes that read or overwrite it use it. */
export interface ProbeObject {
  key: string;
  content: Uint8Array<ArrayBuffer>;
  /** The PUT's response, as the browser would see it (its CORS headers). */
  response: Response;
}

export async function probeUpload(run: ProbeRun): Promise<ProbeObject | undefined> {
  const key = `${run.prefix}upload.txt`;
  const content = new TextEncoder().encode("signet doctor probe\n");
  const response = await putSigned(run, key, content);
  if (response.ok) {
    await response.body?.cancel();
    run.record("upload", "ok", `HTTP ${response.status}`);
    return { key, content, response };
  }
  const error = await s3ErrorOf(response);
  run.record("upload", "fail", describeError(error), {
    impact: "every upload fails",
    fix:
      error.code === "RequestTimeTooSkewed" || error.code === "AccessDenied"
        ? "see the clock and credentials rows; the key needs object write access"
        : "this storage refuses a header Signet signs (content-type, content-length, if-none-match, x-amz-checksum-sha256, x-amz-meta-*): use a storage that supports them (R2, S3)",
  });
  return undefined;
}

export async function probeSize(run: ProbeRun): Promise<void> {
  // Signed for 4 bytes, 5 sent: what a client lying about its size would do.
  const response = await putSigned(run, `${run.prefix}size.txt`, new TextEncoder().encode("12345"), {
    contentLength: 4,
    checksumSha256: await sha256Base64(new TextEncoder().encode("1234")),
  });
  if (!response.ok) {
    const error = await s3ErrorOf(response);
    run.record(
      "size",
      "ok",
      `5 bytes on a URL signed for 4 refused: ${error.code} (HTTP ${response.status})`,
    );
    return;
  }
  await response.body?.cancel();
  run.record("size", "fail", `5 bytes on a URL signed for 4 accepted (HTTP ${response.status})`, {
    impact:
      "anyone holding an upload URL can store more than announced: MAX_FILE_BYTES and quotas hold only after the upload, when Signet rejects and deletes it",
    fix: "use a storage that enforces signed headers (R2, AWS S3, MinIO, Ceph RGW)",
  });
}

/** A second PUT of the probe's object, on a fresh URL: refused with 412 where conditional writes hold. */
export async function probeIfNoneMatch(run: ProbeRun, object: ProbeObject): Promise<void> {
  const response = await putSigned(run, object.key, object.content);
  await response.body?.cancel();
  if (response.status === 412) {
    run.record("if-none-match", "ok", "a second PUT to an existing key answered 412");
    return;
  }
  run.record(
    "if-none-match",
    "fail",
    `a second PUT to an existing key answered ${response.status}, not 412`,
    {
      impact:
        "a replayed upload URL overwrites a file that was already verified: its bytes can change after Signet checked them",
      fix: "use a storage that supports conditional writes (R2, AWS S3, MinIO, Ceph RGW)",
    },
  );
}

export async function probeChecksum(run: ProbeRun): Promise<void> {
  const content = new TextEncoder().encode("signet doctor probe\n");
  const wrong = await sha256Base64(new TextEncoder().encode("other bytes"));
  const response = await putSigned(run, `${run.prefix}checksum.txt`, content, { checksumSha256: wrong });
  if (!response.ok) {
    const error = await s3ErrorOf(response);
    if (DIGEST_CODES.has(error.code)) {
      run.record("checksum", "ok", `refused: ${error.code} (HTTP ${response.status})`);
    } else {
      run.record(
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
  run.record(
    "checksum",
    "warn",
    `a body that does not match x-amz-checksum-sha256 was stored (HTTP ${response.status})`,
    {
      impact:
        "this storage does not enforce checksums: bytes corrupted on the way are stored; Signet will verify after upload instead (size and type always, the SHA-256 where the storage reports one)",
      fix: "none required; for end-to-end integrity use a storage that verifies x-amz-checksum-sha256 (R2, AWS S3)",
    },
  );
}
