// The on-disk layout and its commit protocol; the bytes themselves are written and read by the engine in
// file-io.ts, which never sees this layout. Layout under `dir`:
//   <bucket>/objects/<sha256(key)>.json          commit record: the object's metadata, naming its data file
//   <bucket>/objects/<sha256(key)>.<rand>.data   the object's bytes (one file; or one per part, in order, for an
//                                                object assembled from a multipart upload: its parts are hard-linked
//                                                into place, so completing never copies the bytes)
//   <bucket>/uploads/<uploadId>/upload.json      an in-progress multipart upload
//   <bucket>/uploads/<uploadId>/<n>.json|.data   its parts, committed the same way as objects
//   <bucket>/cors.json                           the bucket's CORS rules
//   <bucket>/.tmp/<pid>.<rand>                   bodies being written; a dead pid's are swept at start-up
// File names derive only from hashes, validated bucket names and validated upload ids, so no key can name a
// path outside `dir` or collide with an internal file. A write lands in .tmp, is fsynced, then renamed into place;
// the JSON record is renamed last, so a reader (or a restart after a crash) sees the old object or the new one.
// A replaced object's files are removed once no reader of this process has them open (one process per directory).

import type { Dirent } from "node:fs";
import {
  copyFile,
  type FileHandle,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
} from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import type { Checksum } from "./checksums.ts";
import { hash, random, toHex } from "./digest.ts";
import {
  createTempFile,
  type FileRange,
  fsyncDir,
  readExtents,
  readRange,
  streamFile,
  streamRange,
  type TempFile,
  writeSmallFile,
} from "./file-io.ts";

/** Everything stored about an object besides its bytes. */
export interface ObjectRecord {
  key: string;
  size: number;
  /** Quoted, as sent in the ETag header. */
  etag: string;
  /** ISO-8601 with milliseconds. */
  lastModified: string;
  headers: StoredHeaders;
  /** The flexible checksum the object was uploaded with (read it through checksums.ts's storedChecksum). */
  checksum?: Checksum;
  /** Written by versions before flexible checksums: a SHA-256 checksum, base64. */
  checksumSha256?: string;
  /** Data file name inside the bucket's objects directory (the first one, when there are `extents`). */
  data: string;
  /**
   * An object assembled from parts: `count` data files `<prefix>.<n>.data` (n = 1..count), each `size` bytes but
   * the last (`lastSize`), as R2's part rule makes them. Kept this short so a 10,000-part object's record is too.
   */
  extents?: { prefix: string; count: number; size: number; lastSize: number };
}

/** Every data file of an object, in order, with its size. */
function dataFiles(record: ObjectRecord): { name: string; size: number }[] {
  const extents = record.extents;
  if (!extents) return [{ name: record.data, size: record.size }];
  return Array.from({ length: extents.count }, (_, i) => ({
    name: `${extents.prefix}.${i + 1}.data`,
    size: i === extents.count - 1 ? extents.lastSize : extents.size,
  }));
}

/** Headers S3 stores with an object and returns on GET/HEAD. */
export interface StoredHeaders {
  contentType: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
  /** `x-amz-meta-*` without the prefix, names lower-case. */
  metadata: Record<string, string>;
}

export interface UploadRecord {
  uploadId: string;
  key: string;
  initiated: string;
  headers: StoredHeaders;
  /** The checksum asked for at creation: every part carries one of this algorithm. */
  checksum?: Pick<Checksum, "algorithm" | "type">;
}

/** What a completed upload answered, kept a while so a retried CompleteMultipartUpload gets the same answer. */
export interface CompletedUpload {
  key: string;
  etag: string;
  checksum?: Checksum;
  completed: string;
}

export interface PartRecord {
  partNumber: number;
  size: number;
  etag: string;
  lastModified: string;
  checksum?: Omit<Checksum, "type">;
  data: string;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const UPLOAD_ID = /^[0-9a-f]{48}$/;
const ORPHAN_AGE_MS = 60 * 60 * 1000;
/** How long a completed upload's answer is kept for retries of its CompleteMultipartUpload. */
const COMPLETED_KEPT_MS = 24 * 60 * 60 * 1000;

/**
 * True when `name` is a bucket name S3 accepts: 3–63 lower-case letters, digits, `.` and `-`, starting and ending
 * with a letter or digit, no dot next to a dot or a dash (each label must be a DNS label), not an IP address.
 */
export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME.test(name) && !/\.\.|\.-|-\./.test(name) && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

/** True when `id` could be an upload id this store issued; anything else cannot name a directory. */
export function isValidUploadId(id: string): boolean {
  return UPLOAD_ID.test(id);
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

function randomName(): string {
  return toHex(random(12));
}

/** Temp files carry the writer's pid so a start-up sweep can tell a crashed writer's leftovers from live ones. */
function tempName(): string {
  return `${process.pid}.${randomName()}`;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

async function entries(path: string): Promise<Dirent[]> {
  try {
    return await readdir(path, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

/** A disk-backed store rooted at one directory. One process per directory. */
export class DiskStore {
  private readonly locks = new Map<string, Promise<void>>();
  /** Data files being read, by path, with their reader count; and those replaced meanwhile, removed at the end. */
  private readonly reading = new Map<string, number>();
  private readonly retired = new Set<string>();

  constructor(readonly root: string) {}

  /** Creates the root and removes what a crashed writer left behind (temp files, unreferenced data files). */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    for (const bucket of await this.listBuckets()) {
      await mkdir(this.tmpDir(bucket.name), { recursive: true });
      await this.sweepTemp(this.tmpDir(bucket.name));
      await this.sweepOrphans(join(this.bucketDir(bucket.name), "objects"));
      for (const upload of await entries(join(this.bucketDir(bucket.name), "uploads"))) {
        const dir = join(this.bucketDir(bucket.name), "uploads", upload.name);
        const completed = await stat(join(dir, "completed.json")).catch(() => undefined);
        if (completed && Date.now() - completed.mtimeMs > COMPLETED_KEPT_MS)
          await rm(dir, { recursive: true, force: true });
        else await this.sweepOrphans(dir);
      }
    }
  }

  /** Removes temp files whose writing process is gone; another live instance's uploads are left alone. */
  private async sweepTemp(dir: string): Promise<void> {
    for (const entry of await entries(dir)) {
      const pid = Number(entry.name.slice(0, entry.name.indexOf(".")));
      if (pid === process.pid || isAlive(pid)) continue;
      await rm(join(dir, entry.name), { force: true, recursive: true });
    }
  }

  /**
   * Removes data files no record points to (left by a crash between rename and commit). Only old ones: a
   * young one may belong to a commit in progress in another instance over the same directory.
   */
  private async sweepOrphans(dir: string): Promise<void> {
    for (const entry of await entries(dir)) {
      if (!entry.name.endsWith(".data")) continue;
      const base = entry.name.slice(0, entry.name.indexOf("."));
      const record = await readJson<ObjectRecord>(join(dir, `${base}.json`));
      if (record && dataFiles(record).some((file) => file.name === entry.name)) continue;
      const info = await stat(join(dir, entry.name)).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > ORPHAN_AGE_MS) await rm(join(dir, entry.name), { force: true });
    }
  }

  private bucketDir(bucket: string): string {
    return join(this.root, bucket);
  }

  private tmpDir(bucket: string): string {
    return join(this.root, bucket, ".tmp");
  }

  private objectsDir(bucket: string): string {
    return join(this.root, bucket, "objects");
  }

  private objectBase(key: string): string {
    return toHex(hash("sha256", key));
  }

  private uploadDir(bucket: string, uploadId: string): string {
    if (!isValidUploadId(uploadId)) throw new Error("invalid upload id");
    return join(this.root, bucket, "uploads", uploadId);
  }

  /** Runs `fn` while holding the lock for `name`; callers queue in arrival order. */
  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name) ?? Promise.resolve();
    let release = () => {};
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.locks.set(name, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(name) === tail) this.locks.delete(name);
    }
  }

  // Buckets

  async bucketExists(bucket: string): Promise<boolean> {
    try {
      return (await stat(this.bucketDir(bucket))).isDirectory();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /** Creates a bucket; false when it already exists. */
  async createBucket(bucket: string): Promise<boolean> {
    return this.withLock(`bucket\n${bucket}`, async () => {
      if (await this.bucketExists(bucket)) return false;
      const staging = join(this.root, `.${bucket}.${randomName()}`);
      for (const sub of ["objects", "uploads", ".tmp"]) await mkdir(join(staging, sub), { recursive: true });
      await rename(staging, this.bucketDir(bucket));
      await fsyncDir(this.root);
      return true;
    });
  }

  /** Deletes an empty bucket; false when it still holds objects. */
  async deleteBucket(bucket: string): Promise<boolean> {
    return this.withLock(`bucket\n${bucket}`, async () => {
      if ((await entries(this.objectsDir(bucket))).some((e) => e.name.endsWith(".json"))) return false;
      await rm(this.bucketDir(bucket), { recursive: true, force: true });
      return true;
    });
  }

  async listBuckets(): Promise<{ name: string; created: string }[]> {
    const out: { name: string; created: string }[] = [];
    for (const entry of await entries(this.root)) {
      if (!entry.isDirectory() || !isValidBucketName(entry.name)) continue;
      const info = await stat(join(this.root, entry.name));
      out.push({ name: entry.name, created: info.birthtime.toISOString() });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async getCors(bucket: string): Promise<unknown> {
    return readJson(join(this.bucketDir(bucket), "cors.json"));
  }

  async putCors(bucket: string, rules: unknown): Promise<void> {
    await this.writeJsonAtomic(bucket, join(this.bucketDir(bucket), "cors.json"), rules);
  }

  async deleteCors(bucket: string): Promise<void> {
    await rm(join(this.bucketDir(bucket), "cors.json"), { force: true });
  }

  // Bodies

  /** Opens a temp file in the bucket for a body about to stream in. */
  async createTemp(bucket: string): Promise<TempFile> {
    return createTempFile(join(this.tmpDir(bucket), tempName()));
  }

  private async writeJsonAtomic(bucket: string, path: string, value: unknown): Promise<void> {
    const tmp = join(this.tmpDir(bucket), `${tempName()}.json`);
    await writeSmallFile(tmp, JSON.stringify(value));
    await rename(tmp, path);
  }

  // Objects

  async headObject(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    return readJson<ObjectRecord>(join(this.objectsDir(bucket), `${this.objectBase(key)}.json`));
  }

  /**
   * Opens an object for reading: its record and a function streaming a byte range. Its data stays readable
   * until `close` (or the end of the stream), whatever overwrite or delete comes meanwhile.
   */
  async openObject(
    bucket: string,
    key: string,
  ): Promise<
    | {
        record: ObjectRecord;
        stream(start: number, end: number): ReadableStream<Uint8Array>;
        close(): Promise<void>;
      }
    | undefined
  > {
    const dir = this.objectsDir(bucket);
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await this.headObject(bucket, key);
      if (!record) return undefined;
      if (record.extents) {
        // Several files cannot all be opened up front, so they are pinned instead: once the record is seen
        // unchanged after pinning, any later replacement finds the pins and leaves the files until release.
        const files = dataFiles(record).map((file) => ({ path: join(dir, file.name), size: file.size }));
        const paths = files.map((file) => file.path);
        this.pin(paths);
        const again = await this.headObject(bucket, key);
        if (again?.data !== record.data) {
          this.unpin(paths);
          continue;
        }
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          this.unpin(paths);
        };
        return {
          record,
          stream: (start, end) => streamRange(readExtents(files, start, end, release)),
          close: async () => release(),
        };
      }
      let handle: FileHandle;
      try {
        handle = await open(join(dir, record.data), "r");
      } catch (error) {
        if (isMissing(error)) continue; // replaced between reading the record and opening: read the new one
        throw error;
      }
      return {
        record,
        stream: (start, end) => streamFile(handle, start, end),
        close: () => handle.close(),
      };
    }
    return undefined;
  }

  private pin(paths: string[]): void {
    for (const path of paths) this.reading.set(path, (this.reading.get(path) ?? 0) + 1);
  }

  private unpin(paths: string[]): void {
    for (const path of paths) {
      const left = (this.reading.get(path) ?? 1) - 1;
      if (left > 0) {
        this.reading.set(path, left);
        continue;
      }
      this.reading.delete(path);
      if (this.retired.delete(path)) void rm(path, { force: true }).catch(() => {});
    }
  }

  /** Removes a replaced or deleted object's data files, or marks those still being read for removal after. */
  private async retire(bucket: string, record: ObjectRecord): Promise<void> {
    const dir = this.objectsDir(bucket);
    for (const { name } of dataFiles(record)) {
      const path = join(dir, name);
      if (this.reading.has(path)) this.retired.add(path);
      else await rm(path, { force: true });
    }
  }

  /**
   * Makes a finished temp file the object `key`. `check` runs under the key's lock with the current record
   * (conditional writes); when it throws, nothing changes and the temp file is removed.
   */
  async commitObject(
    bucket: string,
    temp: TempFile,
    record: Omit<ObjectRecord, "data">,
    check?: (current: ObjectRecord | undefined) => void,
  ): Promise<ObjectRecord> {
    const base = this.objectBase(record.key);
    return this.withLock(`object\n${bucket}\n${record.key}`, async () => {
      const current = await this.headObject(bucket, record.key);
      try {
        check?.(current);
      } catch (error) {
        await temp.discard();
        throw error;
      }
      const full: ObjectRecord = { ...record, data: `${base}.${randomName()}.data` };
      const dir = this.objectsDir(bucket);
      await rename(temp.path, join(dir, full.data));
      await this.writeJsonAtomic(bucket, join(dir, `${base}.json`), full);
      await fsyncDir(dir);
      if (current) await this.retire(bucket, current);
      return full;
    });
  }

  /**
   * Makes a multipart upload's parts the object `key`, without copying: each part's file is hard-linked into
   * the objects directory (copied only where the file system has no hard links), so the upload can still be
   * completed again if anything fails before the record is written. `check` is as for commitObject.
   */
  async commitParts(
    bucket: string,
    uploadId: string,
    parts: PartRecord[],
    record: Omit<ObjectRecord, "data" | "extents">,
    check?: (current: ObjectRecord | undefined) => void,
  ): Promise<ObjectRecord> {
    const base = this.objectBase(record.key);
    const from = this.uploadDir(bucket, uploadId);
    const dir = this.objectsDir(bucket);
    return this.withLock(`object\n${bucket}\n${record.key}`, async () => {
      const current = await this.headObject(bucket, record.key);
      check?.(current);
      const first = parts[0];
      const last = parts.at(-1);
      if (!first || !last) throw new Error("an object needs at least one part");
      const extents = {
        prefix: `${base}.${randomName()}`,
        count: parts.length,
        size: first.size,
        lastSize: last.size,
      };
      const files = dataFiles({ ...record, data: "", extents });
      if (parts.some((part, i) => part.size !== files[i]!.size)) {
        throw new Error("parts must all be the same size but the last (checked before commit)");
      }
      try {
        for (const [i, part] of parts.entries()) {
          const target = join(dir, files[i]!.name);
          await link(join(from, part.data), target).catch(async (error: NodeJS.ErrnoException) => {
            if (!["EXDEV", "EPERM", "ENOTSUP", "EMLINK", "ENOSYS"].includes(error.code ?? "")) throw error;
            await copyFile(join(from, part.data), target);
          });
        }
        await fsyncDir(dir);
      } catch (error) {
        for (const file of files) await rm(join(dir, file.name), { force: true });
        throw error;
      }
      const full: ObjectRecord = { ...record, data: files[0]!.name, extents };
      await this.writeJsonAtomic(bucket, join(dir, `${base}.json`), full);
      await fsyncDir(dir);
      if (current) await this.retire(bucket, current);
      return full;
    });
  }

  /** Removes an object; absent objects are not an error. */
  async deleteObject(bucket: string, key: string): Promise<void> {
    const base = this.objectBase(key);
    await this.withLock(`object\n${bucket}\n${key}`, async () => {
      const current = await this.headObject(bucket, key);
      if (!current) return;
      const dir = this.objectsDir(bucket);
      await unlink(join(dir, `${base}.json`));
      await this.retire(bucket, current);
    });
  }

  /** Every object record in the bucket, sorted by key in UTF-8 byte order (S3's listing order). */
  async listObjects(bucket: string): Promise<ObjectRecord[]> {
    const dir = this.objectsDir(bucket);
    const names = (await entries(dir)).filter((e) => e.name.endsWith(".json")).map((e) => e.name);
    const records: ObjectRecord[] = [];
    // A few reads in flight at once: listing cost is dominated by per-file latency, not bandwidth.
    for (let i = 0; i < names.length; i += 32) {
      const batch = await Promise.all(
        names.slice(i, i + 32).map((name) => readJson<ObjectRecord>(join(dir, name))),
      );
      for (const record of batch) if (record) records.push(record);
    }
    return records.sort((a, b) => compareKeys(a.key, b.key));
  }

  /** Reads a stored part whole (a full-object checksum is computed over the parts before they are joined). */
  async readPart(bucket: string, uploadId: string, part: PartRecord): Promise<FileRange> {
    const handle = await open(join(this.uploadDir(bucket, uploadId), part.data), "r");
    return readRange(handle, 0, part.size - 1);
  }

  // Multipart uploads

  async createUpload(bucket: string, fields: Omit<UploadRecord, "uploadId">): Promise<UploadRecord> {
    const record: UploadRecord = { uploadId: toHex(random(24)), ...fields };
    const dir = this.uploadDir(bucket, record.uploadId);
    await mkdir(dir, { recursive: true });
    await this.writeJsonAtomic(bucket, join(dir, "upload.json"), record);
    await fsyncDir(dir);
    return record;
  }

  async getUpload(bucket: string, uploadId: string): Promise<UploadRecord | undefined> {
    if (!isValidUploadId(uploadId)) return undefined;
    return readJson<UploadRecord>(join(this.uploadDir(bucket, uploadId), "upload.json"));
  }

  async listUploads(bucket: string): Promise<UploadRecord[]> {
    const out: UploadRecord[] = [];
    for (const entry of await entries(join(this.bucketDir(bucket), "uploads"))) {
      const record = await this.getUpload(bucket, entry.name);
      if (record) out.push(record);
    }
    return out.sort(
      (a, b) =>
        compareKeys(a.key, b.key) || (a.initiated < b.initiated ? -1 : a.initiated > b.initiated ? 1 : 0),
    );
  }

  /** Stores a part; re-uploading a part number replaces it. Undefined when the upload no longer exists. */
  async commitPart(
    bucket: string,
    uploadId: string,
    temp: TempFile,
    record: Omit<PartRecord, "data">,
  ): Promise<PartRecord | undefined> {
    const dir = this.uploadDir(bucket, uploadId);
    const base = `part${String(record.partNumber).padStart(5, "0")}`;
    return this.withLock(`upload\n${bucket}\n${uploadId}`, async () => {
      if (!(await this.getUpload(bucket, uploadId))) {
        await temp.discard();
        return undefined;
      }
      const current = await readJson<PartRecord>(join(dir, `${base}.json`));
      const full: PartRecord = { ...record, data: `${base}.${randomName()}.data` };
      await rename(temp.path, join(dir, full.data));
      await this.writeJsonAtomic(bucket, join(dir, `${base}.json`), full);
      await fsyncDir(dir);
      if (current) await rm(join(dir, current.data), { force: true });
      return full;
    });
  }

  async listParts(bucket: string, uploadId: string): Promise<PartRecord[]> {
    const dir = this.uploadDir(bucket, uploadId);
    const parts: PartRecord[] = [];
    for (const entry of await entries(dir)) {
      if (!/^part\d{5}\.json$/.test(entry.name)) continue;
      const part = await readJson<PartRecord>(join(dir, entry.name));
      if (part) parts.push(part);
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  /** Runs `fn` holding the upload's lock (completion and abort must not interleave with part commits). */
  lockUpload<T>(bucket: string, uploadId: string, fn: () => Promise<T>): Promise<T> {
    return this.withLock(`upload\n${bucket}\n${uploadId}`, fn);
  }

  /**
   * Ends a completed upload: its answer is kept (for a retried completion), its record and parts go. Call
   * holding the upload's lock, after the object is committed.
   */
  async finishUpload(bucket: string, uploadId: string, result: CompletedUpload): Promise<void> {
    const dir = this.uploadDir(bucket, uploadId);
    await this.writeJsonAtomic(bucket, join(dir, "completed.json"), result);
    await rm(join(dir, "upload.json"), { force: true });
    for (const entry of await entries(dir)) {
      if (entry.name.startsWith("part")) await rm(join(dir, entry.name), { force: true });
    }
  }

  /** The answer of an upload completed within the last day, if this one was. */
  async getCompletedUpload(bucket: string, uploadId: string): Promise<CompletedUpload | undefined> {
    if (!isValidUploadId(uploadId)) return undefined;
    return readJson<CompletedUpload>(join(this.uploadDir(bucket, uploadId), "completed.json"));
  }

  async deleteUpload(bucket: string, uploadId: string): Promise<void> {
    const dir = this.uploadDir(bucket, uploadId);
    // Drop the record first so a half-removed upload is simply gone, never half-listed.
    await rm(join(dir, "upload.json"), { force: true });
    await rm(dir, { recursive: true, force: true });
    await rmdir(dir).catch(() => {});
  }
}

/**
 * S3 lists keys in UTF-8 byte order, which is code point order. JS compares UTF-16 code units, which differs
 * only where a surrogate (a code point above U+FFFF) meets a unit in U+E000..U+FFFF: the surrogate sorts last.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate && !ySurrogate && y >= 0xe000) return 1;
    if (ySurrogate && !xSurrogate && x >= 0xe000) return -1;
    return x - y;
  }
  return a.length - b.length;
}
