import type { FileView } from "../api/types.ts";

export type UploadPhase =
  | "queued"
  | "hashing"
  | "signing"
  | "uploading"
  | "paused"
  | "verifying"
  | "done"
  | "error"
  | "cancelled";

/** One file in the upload queue. Fields are reactive; the composable owns all writes. */
export interface UploadItem {
  readonly id: string;
  readonly file: File;
  phase: UploadPhase;
  /** Bytes read by the checksum worker. */
  hashed: number;
  /** Bytes the storage has received in the current attempt. */
  loaded: number;
  total: number;
  /** 0..100, for the current attempt. */
  percent: number;
  /** Bytes per second over the last few seconds; 0 when not uploading. */
  speed: number;
  error: string | null;
  result: FileView | null;
  /** Sent in parts and resumable: Pause works, and Retry sends only the parts still missing. */
  resumable: boolean;
}

/** Aggregate over the current batch (everything added since the queue was last idle). */
export interface UploadTotals {
  loaded: number;
  total: number;
  /** Never decreases while a batch is in progress. */
  percent: number;
  speed: number;
  active: number;
  done: number;
  failed: number;
}
