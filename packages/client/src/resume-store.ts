/**
 * What resumes an interrupted upload in parts, and where it is kept: `ResumeStore` is the interface (IndexedDB in
 * the SPA, files for the CLI, memory here), keyed by a fingerprint of the file. The server's list of parts stays
 * the truth about which bytes arrived; a record only says which upload to ask about.
 */

/** What to remember to resume an upload later. */
export interface ResumeRecord {
  /** The server's handle (files: the fileId). */
  id: string;
  name: string;
  size: number;
  /** `File.lastModified` when the blob is a File, else null. */
  lastModified: number | null;
  partSize: number;
  partCount: number;
  /** Base64 SHA-256 of part 1: the resumed file must start with the same bytes. */
  firstPartChecksum: string;
  /** Parts known to have arrived (a hint for display; the server's list is the truth). */
  partsDone: number[];
}

/** Interrupted uploads by fingerprint; writes land in the order they were made. */
export interface ResumeStore {
  get(fingerprint: string): Promise<ResumeRecord | undefined>;
  set(fingerprint: string, record: ResumeRecord): Promise<void>;
  delete(fingerprint: string): Promise<void>;
  /** Every record kept, to offer after a reload. */
  list(): Promise<ResumeRecord[]>;
}

/** `File.lastModified` when the blob is a File, else null. */
export function lastModifiedOf(file: Blob): number | null {
  const value = (file as Partial<File>).lastModified;
  return typeof value === "number" ? value : null;
}

/**
 * The key a file's record is kept under: its name, size and modification time (what a user picking "the same
 * file" again reproduces). The record's own checks, first bytes included, confirm it before anything is sent.
 */
export function fileFingerprint(file: Blob, name = (file as Partial<File>).name ?? "upload"): string {
  return fingerprintOf({ name, size: file.size, lastModified: lastModifiedOf(file) });
}

/** The fingerprint of the file a record was made for (equal to `fileFingerprint` of that file). */
export function recordFingerprint(record: ResumeRecord): string {
  return fingerprintOf(record);
}

function fingerprintOf(file: Pick<ResumeRecord, "name" | "size" | "lastModified">): string {
  return `signet-resume:${file.size}:${file.lastModified ?? "-"}:${file.name}`;
}

/** A store in memory (tests, and browsers where IndexedDB is unavailable). */
export function memoryResumeStore(): ResumeStore {
  const records = new Map<string, ResumeRecord>();
  return {
    get: async (fingerprint) => {
      const record = records.get(fingerprint);
      return record && structuredClone(record);
    },
    set: async (fingerprint, record) => void records.set(fingerprint, structuredClone(record)),
    delete: async (fingerprint) => void records.delete(fingerprint),
    list: async () => [...records.values()].map((record) => structuredClone(record)),
  };
}
