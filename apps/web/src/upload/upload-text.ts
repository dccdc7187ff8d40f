import { formatBytes, formatSpeed } from "../ui/format.ts";
import type { UploadItem, UploadTotals } from "./types.ts";

const PHASE_LABELS: Record<UploadItem["phase"], string> = {
  queued: "Waiting",
  hashing: "Computing checksum",
  signing: "Requesting upload link",
  uploading: "Uploading",
  paused: "Paused",
  verifying: "Verifying",
  done: "Uploaded",
  error: "Failed",
  cancelled: "Cancelled",
};

type ItemView = Pick<UploadItem, "phase" | "hashed" | "loaded" | "total" | "percent" | "speed">;

/** "12 s left", "4 min left", "2 h 5 min left": rounded the way a person would say it. */
export function timeLeft(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "";
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s left`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min left`;
  const hours = Math.floor(seconds / 3600);
  return `${hours} h ${Math.round((seconds - hours * 3600) / 60)} min left`;
}

/** The badge of an upload row. */
export function phaseLabel(item: ItemView): string {
  if (item.phase === "hashing" && item.total > 0) {
    return `${PHASE_LABELS.hashing} ${Math.floor((item.hashed / item.total) * 100)}%`;
  }
  return PHASE_LABELS[item.phase];
}

/**
 * The line under an upload's bar: percent, bytes and (while sending) speed. A failed or cancelled upload says
 * where it stopped, because "100%" beside "Failed" reads as a contradiction.
 */
export function progressLabel(item: ItemView): string {
  const bytes = `${formatBytes(item.loaded)} of ${formatBytes(item.total)}`;
  if (item.phase === "error" || item.phase === "cancelled") return `Stopped at ${item.percent}% · ${bytes}`;
  const sending = item.phase === "uploading" && item.speed > 0;
  const speed = sending ? formatSpeed(item.speed) : "";
  const eta = sending ? timeLeft((item.total - item.loaded) / item.speed) : "";
  return [`${item.percent}%`, bytes, speed, eta].filter(Boolean).join(" · ");
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * The sentence announced when a batch finishes. It never says "0 files uploaded": the rows above may well show
 * earlier uploads as done, and only what needs the user's attention is worth a number.
 */
export function batchOutcome(totals: Pick<UploadTotals, "done" | "failed">): string {
  const { done, failed } = totals;
  if (failed === 0) return done === 0 ? "" : `${count(done, "file", "files")} uploaded`;
  const failures = `${count(failed, "upload", "uploads")} failed — use Retry on the ${failed === 1 ? "row" : "rows"} below`;
  return done === 0 ? failures : `${count(done, "file", "files")} uploaded, ${failures}`;
}
