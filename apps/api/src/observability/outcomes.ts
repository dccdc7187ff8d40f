/**
 * From what the services already say to the closed label sets of metrics.ts: which procedures hand out signed
 * URLs (and of what kind), how a refusal reads, and what a verification's audit event means.
 */
import type { DeliveryOutcome, IssueOutcome, UrlKind, VerifyOutcome } from "./metrics.ts";

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
  return { outcome: verifyOutcome(typeof detail?.reason === "string" ? detail.reason : ""), bytes: 0 };
}

/**
 * A refusal's outcome from its reason: `verifyUpload`'s messages (services/upload.ts) and, for profile images,
 * the sniffer's "the file is …" (services/profile-image.ts).
 */
export function verifyOutcome(reason: string): VerifyOutcome {
  if (/was not uploaded/.test(reason)) return "missing";
  if (/^size is/.test(reason)) return "size_mismatch";
  if (/^content type is|^the file is/.test(reason)) return "type_mismatch";
  if (/checksum/.test(reason)) return "checksum_mismatch";
  return "other";
}

/** What a webhook attempt's result means for the series (services/webhook-delivery.ts reports it). */
export interface DeliveryReport {
  outcome: "delivered" | "retry" | "dead";
  /** The receiver answered 410 Gone: its endpoint is disabled. */
  gone: boolean;
  /** No answer within the attempt's timeout. */
  timedOut: boolean;
}

export function deliveryOutcome(report: DeliveryReport): DeliveryOutcome {
  if (report.outcome === "delivered") return "delivered";
  if (report.gone) return "disabled";
  if (report.outcome === "dead") return "dead";
  return report.timedOut ? "timeout" : "failed";
}
