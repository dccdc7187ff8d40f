/**
 * R2's part rule, then a multipart upload with equal parts completed the way Signet completes it: with the ETags
 * the server reads from ListParts. A step the storage does not support fails both rows with its name.
 */
import { S3Error, s3ErrorOf } from "@signet/signer";
import { MIN_PART_SIZE } from "../../services/multipart.ts";
import { describeError, PROBE_TTL, type ProbeRun, send, sha256Base64 } from "../probe-kit.ts";

const MULTIPART_IMPACT = "files above the multipart threshold cannot be uploaded";

export async function probeMultipart(run: ProbeRun): Promise<void> {
  const { storage, record } = run;
  const key = `${run.prefix}multipart.bin`;
  let step = "CreateMultipartUpload";
  let ruleRecorded = false;
  try {
    // As Signet's own uploads: SHA-256 part checksums asked for at creation, signed into each part's URL, and
    // listed back in the completion (AWS S3 refuses a completion without them).
    const { uploadId } = await storage.createMultipartUpload(key, {
      contentType: "application/octet-stream",
      checksumAlgorithm: "SHA256",
    });
    run.uploads.push({ key, uploadId });
    run.written.add(key);
    // Parts of the smallest size S3 takes; part 2 (the last) is larger than part 1: R2 refuses that at
    // completion, AWS S3 accepts it.
    for (const [partNumber, size] of [
      [1, MIN_PART_SIZE],
      [2, MIN_PART_SIZE + 1],
    ] as const) {
      step = `UploadPart ${partNumber} (presigned)`;
      const body = new Uint8Array(size);
      const signed = await storage.presignUploadPart(key, uploadId, partNumber, {
        expiresIn: PROBE_TTL,
        contentLength: size,
        checksumSha256: await sha256Base64(body),
      });
      const response = await send(signed, run.origin, body);
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
