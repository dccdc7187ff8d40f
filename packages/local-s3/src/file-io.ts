// The byte-streaming engine: writes a body into one file as it arrives and reads byte ranges of a file back out,
// fast and in bounded memory. It knows nothing of buckets, records or where files live: the layout and commit
// protocol (store.ts) hand it paths and open handles. node:fs is implemented by Node, Bun and Deno.

import { Buffer } from "node:buffer";
import { constants } from "node:fs";
import { type FileHandle, open, rm } from "node:fs/promises";

/** Buffering writes into ~1 MiB batches keeps syscalls few without holding much memory. */
const WRITE_BATCH = 1 << 20;
/** Largest chunk a range read hands out. */
export const READ_CHUNK = 1 << 20;
const MAX_INFLIGHT_WRITES = 4;
/**
 * A large body is flushed to disk every this many bytes while it streams in (fdatasync on the thread pool,
 * one at a time), so the fsync before the commit only waits for the tail instead of the whole object.
 */
const SYNC_EVERY = 32 << 20;

/** A body being written: chunks go to a new file, nothing is visible until the caller renames it into place. */
export interface TempFile {
  /** Queues a chunk; returns a promise only when the caller must wait for the disk to catch up. */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /** Flushes, fsyncs and closes; call once before committing. */
  finish(): Promise<void>;
  /** Closes and removes the file; safe to call at any point, and more than once. */
  discard(): Promise<void>;
  readonly path: string;
}

/** Sequential reads of a byte range of an open file. */
export interface FileRange {
  /**
   * The next chunk (at most READ_CHUNK bytes), or undefined once the range is done. Reads into `into` when
   * given (it must hold READ_CHUNK bytes; the chunk is a view of it), else into a new buffer.
   */
  read(into?: Uint8Array): Promise<Uint8Array | undefined>;
  /** Closes the file early; safe to call more than once. */
  close(): Promise<void>;
}

/** Creates `path` (which must not exist) for a body about to stream in. */
export async function createTempFile(path: string): Promise<TempFile> {
  const handle = await open(path, "wx");
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let position = 0;
  // Positional writes may run concurrently on the thread pool; a few MiB in flight keeps the disk busy
  // while the next batch arrives and is hashed, and bounds memory whatever the object size.
  const inflight: Promise<unknown>[] = [];
  let syncing: Promise<void> | undefined;
  let unsynced = 0;
  let closed = false;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const batch = pending;
    const at = position;
    position += pendingBytes;
    unsynced += pendingBytes;
    pending = [];
    pendingBytes = 0;
    const write = handle.writev(batch, at);
    write.catch(() => {}); // observed when settled; this only keeps a failure from going unhandled meanwhile
    inflight.push(write);
    if (inflight.length >= MAX_INFLIGHT_WRITES) await inflight.shift();
    if (unsynced >= SYNC_EVERY && !syncing) {
      unsynced = 0;
      syncing = handle.datasync().finally(() => {
        syncing = undefined;
      });
      syncing.catch(() => {}); // the final sync reports the disk's failure, if any
    }
  };
  const settle = async () => {
    await Promise.all(inflight.splice(0));
    await syncing?.catch(() => {});
  };
  return {
    path,
    write: (chunk) => {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      return pendingBytes >= WRITE_BATCH ? flush() : undefined;
    },
    finish: async () => {
      await flush();
      await settle();
      await handle.sync();
      closed = true;
      await handle.close();
    },
    discard: async () => {
      if (!closed) {
        closed = true;
        await settle().catch(() => {});
        await handle.close().catch(() => {});
      }
      await rm(path, { force: true });
    },
  };
}

/** Writes a small file in one go and fsyncs it (JSON records); `path` must not exist. */
export async function writeSmallFile(path: string, text: string): Promise<void> {
  const handle = await open(path, "wx");
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename inside `path` durable; not every platform lets a directory be opened, which only costs durability. */
export async function fsyncDir(path: string): Promise<void> {
  try {
    const handle = await open(path, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {}
}

/** Reads bytes [start, end] of an open file in order; closing the range closes the handle. */
export function readRange(handle: FileHandle, start: number, end: number): FileRange {
  let position = start;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close().catch(() => {});
  };
  return {
    // Each call claims its slice before awaiting, so reads may overlap (a sender reading ahead) and still come
    // back in order.
    async read(into) {
      const at = position;
      const length = Math.min(READ_CHUNK, end + 1 - at);
      if (length <= 0 || closed) return undefined;
      position += length;
      // Not zero-filled: every byte handed on is one just read from disk.
      const buffer = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, at);
      if (bytesRead < length) throw new Error("stored object is shorter than its record");
      return buffer;
    },
    close,
  };
}

const fileRanges = new WeakMap<ReadableStream<Uint8Array>, FileRange>();

/**
 * The file behind a body stream made by {@link streamFile}, for a runtime entry that can send a file faster
 * than it can pump a Web stream (Node writes it straight to the socket). Taking it makes the caller the reader
 * and closer of the file; the stream itself must then be left unread.
 */
export function takeFileRange(body: ReadableStream<Uint8Array> | null): FileRange | undefined {
  const range = body ? fileRanges.get(body) : undefined;
  if (body) fileRanges.delete(body);
  return range;
}

/** Streams bytes [start, end] of an open file; the handle is closed when the stream ends or is cancelled. */
export function streamFile(handle: FileHandle, start: number, end: number): ReadableStream<Uint8Array> {
  return streamRange(readRange(handle, start, end));
}

/** One file of an object stored as several (a multipart upload's parts, kept as they arrived). */
export interface Extent {
  path: string;
  size: number;
}

/**
 * Reads bytes [start, end] of the concatenation of `extents`, opening each file only when the range reaches it;
 * `release` runs once when the range is closed (the caller keeps the files from being removed until then).
 */
export function readExtents(extents: Extent[], start: number, end: number, release: () => void): FileRange {
  let position = start;
  let closed = false;
  /** The extent being read: its handle (opened by the first read that reaches it) and its reads in flight. */
  interface Open {
    index: number;
    offset: number;
    handle: Promise<FileHandle>;
    reads: Set<Promise<unknown>>;
  }
  let current: Open | undefined;
  // Reads may overlap (a sender reading ahead), so an extent is closed only once its last read has settled.
  const closeWhenIdle = async (extent: Open) => {
    await Promise.allSettled([...extent.reads]);
    await (await extent.handle.catch(() => undefined))?.close().catch(() => {});
  };
  const locate = (at: number) => {
    const resume = current && current.offset <= at;
    let offset = resume ? current!.offset : 0;
    let index = resume ? current!.index : 0;
    while (index < extents.length && at >= offset + extents[index]!.size) offset += extents[index++]!.size;
    return { index, offset };
  };
  return {
    // Each call claims its slice before awaiting, so overlapping reads still come back in order.
    async read(into) {
      const at = position;
      if (closed || at > end) return undefined;
      const { index, offset } = locate(at);
      const extent = extents[index];
      if (!extent) throw new Error("stored object is shorter than its record");
      // A chunk never crosses into the next extent: each read is one call on one file.
      const length = Math.min(READ_CHUNK, end + 1 - at, offset + extent.size - at);
      position += length;
      if (current?.index !== index) {
        if (current) void closeWhenIdle(current);
        current = { index, offset, handle: open(extent.path, "r"), reads: new Set() };
      }
      const { handle, reads } = current;
      const buffer = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
      const reading = handle.then((h) => h.read(buffer, 0, length, at - offset));
      reads.add(reading);
      try {
        const { bytesRead } = await reading;
        if (bytesRead < length) throw new Error("stored object is shorter than its record");
      } finally {
        reads.delete(reading);
      }
      return buffer;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (current) await closeWhenIdle(current);
      current = undefined;
      release();
    },
  };
}

/** Streams a range; the range is closed when the stream ends or is cancelled. */
export function streamRange(range: FileRange): ReadableStream<Uint8Array> {
  // One read ahead, issued by pull itself: a queuing strategy's read-ahead would start at construction,
  // before a runtime entry has had the chance to take the whole range over.
  let ahead: Promise<Uint8Array | undefined> | undefined;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const chunk = await (ahead ?? range.read());
          ahead = chunk ? range.read() : undefined;
          ahead?.catch(() => {}); // reported by the pull that awaits it
          if (chunk) controller.enqueue(chunk);
          else {
            await range.close();
            controller.close();
          }
        } catch (error) {
          await range.close();
          throw error;
        }
      },
      async cancel() {
        await ahead?.catch(() => {});
        await range.close();
      },
    },
    { highWaterMark: 0 },
  );
  fileRanges.set(stream, range);
  return stream;
}

/** Feeds the whole of a range to `consume`, one chunk at a time, then closes it. */
export async function readAll(range: FileRange, consume: (chunk: Uint8Array) => void): Promise<void> {
  // One read ahead, so the disk reads the next chunk while the last one is consumed.
  let next: Promise<Uint8Array | undefined> | undefined = range.read();
  try {
    for (;;) {
      const chunk = await next;
      if (!chunk) break;
      next = range.read();
      consume(chunk);
    }
  } finally {
    await next?.catch(() => {});
    await range.close();
  }
}
