/**
 * Unfinished multipart uploads remembered across reloads and closed tabs (IndexedDB through idb-keyval): what
 * @signet/client needs to resume one (fileId, name, size, lastModified, part size, first part's checksum, parts
 * done). The server's list of parts stays the truth; this only says which uploads to offer.
 */
import type { ResumeRecord } from "@signet/client";
import { createStore, del, entries, set, type UseStore } from "idb-keyval";

/** Where interrupted uploads are kept; injectable so unit tests can use memory. */
export interface ResumeStore {
  save(record: ResumeRecord): Promise<void>;
  remove(id: string): Promise<void>;
  all(): Promise<ResumeRecord[]>;
}

let opened: UseStore | null = null;

/** Opened on first use, so merely importing this module touches no IndexedDB. */
function database(): UseStore {
  opened ??= createStore("signet-uploads", "interrupted");
  return opened;
}

/** The browser's store: one IndexedDB database of its own. */
export const indexedDbResumeStore: ResumeStore = {
  save: (record) => set(record.id, record, database()),
  remove: (id) => del(id, database()),
  async all() {
    const rows = await entries<string, ResumeRecord>(database());
    return rows.map(([, record]) => record);
  },
};

/** A store in memory (tests, and browsers where IndexedDB is unavailable). */
export function memoryResumeStore(): ResumeStore {
  const records = new Map<string, ResumeRecord>();
  return {
    save: async (record) => void records.set(record.id, structuredClone(record)),
    remove: async (id) => void records.delete(id),
    all: async () => [...records.values()].map((r) => structuredClone(r)),
  };
}
