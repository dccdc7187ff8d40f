/**
 * Unfinished multipart uploads remembered across reloads and closed tabs: @signet/client's `ResumeStore` on
 * IndexedDB (through idb-keyval), keyed by the file's fingerprint. The server's list of parts stays the truth;
 * this only says which uploads to offer.
 */
import { type ResumeRecord, type ResumeStore, recordFingerprint } from "@signet/client";
import { createStore, del, entries, get, set, type UseStore } from "idb-keyval";

export { memoryResumeStore, type ResumeStore } from "@signet/client";

let opened: UseStore | null = null;

/** Opened on first use, so merely importing this module touches no IndexedDB. */
function database(): UseStore {
  opened ??= createStore("signet-uploads", "interrupted");
  return opened;
}

/** The browser's store: one IndexedDB database of its own. */
export const indexedDbResumeStore: ResumeStore = {
  get: (fingerprint) => get<ResumeRecord>(fingerprint, database()),
  set: (fingerprint, record) => set(fingerprint, record, database()),
  delete: (fingerprint) => del(fingerprint, database()),
  async list() {
    const rows = await entries<string, ResumeRecord>(database());
    // Records kept before the store was keyed by fingerprint sit under their fileId: move them once.
    for (const [key, record] of rows) {
      const fingerprint = recordFingerprint(record);
      if (key !== fingerprint) await set(fingerprint, record, database()).then(() => del(key, database()));
    }
    return rows.map(([, record]) => record);
  },
};
