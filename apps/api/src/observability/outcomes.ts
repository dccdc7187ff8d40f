/**
 * From what the services already say to the closed label sets of metrics.ts: which procedures hand out signed
 * URLs (and of what kind), how a refusal reads, and what a verification's audit event means.
 */
import type { IssueOutcome, UrlKind, VerifyOutcome } from "./metrics.ts";

/** The procedures that sign URLs for the caller (REST routes and the seed routes call these same procedures). */
const ISSUING: Record<string, UrlKind> = {
  "files.createUpload": "upload",
  "files.signParts": "part",
  "files.downloadUrl": "download",
  "files.shareUrl": "share",
  "profile.createImageUpload": "profile_image",
  "profile.imageDownloadUrl": "profile_image",
};

export function urlKindOf(procedure: string): UrlKind | undefined {
  return ISSUING[procedure];
}

/** How a call for a URL ended, from its tRPC error (none: issued). */
export function issueOutcome(error: { code: string; message: string } | undefined): IssueOutcome {
  if (!error) return "issued";
  if (error.code === "TOO_MANY_REQUESTS") return "rate_limited";
  // PAYLOAD_TOO_LARGE is also a file over MAX_FILE_BYTES: only the quota's refusal says "quota".
  if (error.code === "PAYLOAD_TOO_LARGE" && /quota/i.test(error.message)) return "over_quota";
  return "refused";
}

/** The audit actions that settle a verification of a file, and whether each means ready. */
const VERIFICATIONS: Record<string, boolean> = {
  "file.complete": true,
  "file.sweep_ready": true,
  "file.reject": false,
  "file.sweep_reject": false,
};

/**
 * The verification outcome an audit event records, or undefined for any other event. The reasons are
 * `verifyUpload`'s messages (services/upload.ts).
 */
export function verificationOf(
  action: string,
  detail: Record<string, unknown> | undefined,
): { outcome: VerifyOutcome; bytes: number } | undefined {
  const ready = VERIFICATIONS[action];
  if (ready === undefined) return undefined;
  if (ready) return { outcome: "ready", bytes: typeof detail?.size === "number" ? detail.size : 0 };
  const reason = typeof detail?.reason === "string" ? detail.reason : "";
  const outcome: VerifyOutcome = /was not uploaded/.test(reason)
    ? "missing"
    : /^size is/.test(reason)
      ? "size_mismatch"
      : /^content type is/.test(reason)
        ? "type_mismatch"
        : /checksum/.test(reason)
          ? "checksum_mismatch"
          : "other";
  return { outcome, bytes: 0 };
}
