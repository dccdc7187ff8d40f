import { type ComputedRef, computed, markRaw, type Ref, reactive, ref } from "vue";
import type { FileView, UploadApi } from "../lib/api-types.ts";
import { describeApiError, describeStorageFailure } from "../lib/errors.ts";
import { type Hasher, isAbortError, type PutTransport } from "../lib/transport.ts";

export type UploadPhase =
  | "queued"
  | "hashing"
  | "signing"
  | "uploading"
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

export interface UseUploadOptions {
  api: UploadApi;
  put: PutTransport;
  hash: Hasher;
  /** Milliseconds clock for speed; injectable so tests are deterministic. */
  now?: () => number;
  /** Files processed at the same time. */
  concurrency?: number;
  /** Called once per file the server has verified. */
  onUploaded?: (file: FileView) => void;
}

export interface UseUploadReturn {
  items: Readonly<Ref<readonly UploadItem[]>>;
  totals: ComputedRef<UploadTotals>;
  busy: ComputedRef<boolean>;
  /** Queues files; they start as soon as a slot is free. */
  add(files: Iterable<File> | ArrayLike<File>): UploadItem[];
  /** Stops a queued or running upload and releases what the server reserved for it. */
  cancel(id: string): void;
  /** Starts a failed or cancelled upload again with a fresh URL. */
  retry(id: string): void;
  /** Removes a finished, failed or cancelled row. */
  dismiss(id: string): void;
  /** Resolves when nothing is queued or running. */
  whenIdle(): Promise<void>;
  /**
   * Cancels every queued or running upload and resolves once the server has answered each release (or failed
   * to): call it before ending the session, or the releases arrive without one.
   */
  cancelAll(): Promise<void>;
}

const ACTIVE: ReadonlySet<UploadPhase> = new Set(["hashing", "signing", "uploading", "verifying"]);
const CANCELLABLE: ReadonlySet<UploadPhase> = new Set(["queued", "hashing", "signing", "uploading"]);
const SPEED_WINDOW_MS = 3000;

interface Runtime {
  attempt: number;
  batch: number;
  controller: AbortController | null;
  /** Server-side upload that exists but is not verified yet; aborted if this attempt ends early. */
  pendingFileId: string | null;
  checksum: string | null;
  samples: { at: number; loaded: number }[];
}

/** True when the item can be cancelled in its current phase. */
export function canCancel(item: UploadItem): boolean {
  return CANCELLABLE.has(item.phase);
}

/** True when the item can be retried in its current phase. */
export function canRetry(item: UploadItem): boolean {
  return item.phase === "error" || item.phase === "cancelled";
}

/**
 * Upload queue: checksum in a worker, ask the API for a pre-signed PUT, send the bytes straight to the bucket
 * with progress, then ask the API to verify. The transport, hasher and clock are injected.
 */
export function useUpload(options: UseUploadOptions): UseUploadReturn {
  const { api, put, hash, onUploaded } = options;
  const now = options.now ?? (() => performance.now());
  const concurrency = Math.max(1, options.concurrency ?? 3);
  const items = ref<UploadItem[]>([]);
  const runtime = new Map<string, Runtime>();
  let nextId = 0;
  let batch = 0;
  let batchHighWater = 0;
  let idleWaiters: (() => void)[] = [];

  const isBusy = () => items.value.some((item) => item.phase === "queued" || ACTIVE.has(item.phase));
  const busy = computed(isBusy);

  const totals = computed<UploadTotals>(() => {
    let loaded = 0;
    let total = 0;
    let speed = 0;
    let active = 0;
    let done = 0;
    let failed = 0;
    for (const item of items.value) {
      if (runtime.get(item.id)?.batch !== batch) continue;
      if (item.phase === "error") failed++;
      // Failed and cancelled files leave the total so the bar describes what will actually arrive.
      if (item.phase === "error" || item.phase === "cancelled") continue;
      total += item.total;
      loaded += item.phase === "done" ? item.total : item.loaded;
      speed += item.speed;
      if (item.phase === "done") done++;
      else active++;
    }
    const raw = total === 0 ? (done > 0 ? 100 : 0) : Math.floor((loaded / total) * 100);
    // A retry restarts a file at zero and a file added mid-batch grows the total; neither should make the
    // bar jump back, which reads as "something broke". It catches up once the bytes do.
    batchHighWater = Math.max(batchHighWater, raw);
    return { loaded, total, percent: batchHighWater, speed, active, done, failed };
  });

  function enterBatch(rt: Runtime) {
    if (!isBusy()) {
      batch++;
      batchHighWater = 0;
    }
    rt.batch = batch;
  }

  function setPhase(item: UploadItem, phase: UploadPhase) {
    item.phase = phase;
    if (!ACTIVE.has(phase)) item.speed = 0;
    if (!isBusy() && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  // Server calls that may still create or release a reservation; `cancelAll` waits for them.
  const inFlight = new Set<Promise<unknown>>();

  function track(call: Promise<unknown>) {
    const settled = call.then(
      () => {},
      () => {},
    );
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
  }

  function abortQuietly(fileId: string) {
    // Best effort: if this fails the server's own expiry releases the quota later.
    track(api.abortUpload({ fileId }));
  }

  function recordProgress(item: UploadItem, rt: Runtime, loaded: number) {
    const clamped = Math.min(Math.max(loaded, item.loaded), item.total);
    item.loaded = clamped;
    item.percent = item.total === 0 ? 100 : Math.floor((clamped / item.total) * 100);
    const at = now();
    rt.samples.push({ at, loaded: clamped });
    while (rt.samples.length > 2 && at - rt.samples[0]!.at > SPEED_WINDOW_MS) rt.samples.shift();
    const first = rt.samples[0]!;
    const elapsed = at - first.at;
    if (elapsed >= 250) item.speed = ((clamped - first.loaded) / elapsed) * 1000;
  }

  async function run(item: UploadItem, rt: Runtime) {
    const attempt = ++rt.attempt;
    const controller = new AbortController();
    rt.controller = controller;
    rt.pendingFileId = null;
    const current = () => rt.attempt === attempt && !controller.signal.aborted;
    if (item.file.size === 0) {
      // Storage has nothing to verify in an empty object, and the API refuses them; say so without a round trip.
      item.error = "This file is empty, so there is nothing to upload.";
      setPhase(item, "error");
      schedule();
      return;
    }
    try {
      if (rt.checksum === null) {
        setPhase(item, "hashing");
        const checksum = await hash(
          item.file,
          (hashed) => {
            if (current()) item.hashed = hashed;
          },
          controller.signal,
        );
        if (!current()) return;
        rt.checksum = checksum;
      }
      setPhase(item, "signing");
      const signing = api.createUpload({
        filename: item.file.name,
        contentType: item.file.type || "application/octet-stream",
        size: item.file.size,
        checksumSha256: rt.checksum,
      });
      track(signing);
      const ticket = await signing;
      if (!current()) {
        abortQuietly(ticket.fileId);
        return;
      }
      rt.pendingFileId = ticket.fileId;
      rt.samples = [{ at: now(), loaded: 0 }];
      setPhase(item, "uploading");
      const response = await put({
        url: ticket.url,
        method: ticket.method,
        headers: ticket.headers,
        body: item.file,
        signal: controller.signal,
        onProgress: (loaded) => {
          if (current()) recordProgress(item, rt, loaded);
        },
      });
      if (!current()) return;
      if (response.status < 200 || response.status >= 300) {
        throw new StorageRefusal(describeStorageFailure(response.status, response.body));
      }
      recordProgress(item, rt, item.total);
      setPhase(item, "verifying");
      // From here the server owns the outcome: a refused verification already removed the object.
      rt.pendingFileId = null;
      const result = await api.completeUpload({ fileId: ticket.fileId });
      if (rt.attempt !== attempt) return;
      item.result = result;
      setPhase(item, "done");
      onUploaded?.(result);
    } catch (error) {
      if (rt.attempt !== attempt || controller.signal.aborted || isAbortError(error)) return;
      if (rt.pendingFileId) abortQuietly(rt.pendingFileId);
      rt.pendingFileId = null;
      item.error = error instanceof StorageRefusal ? error.message : describeApiError(error);
      setPhase(item, "error");
    } finally {
      if (rt.attempt === attempt) schedule();
    }
  }

  function schedule() {
    let running = items.value.filter((item) => ACTIVE.has(item.phase)).length;
    for (const item of items.value) {
      if (running >= concurrency) break;
      if (item.phase !== "queued") continue;
      running++;
      void run(item, runtime.get(item.id)!);
    }
  }

  function find(id: string): [UploadItem, Runtime] | null {
    const item = items.value.find((candidate) => candidate.id === id);
    const rt = runtime.get(id);
    return item && rt ? [item, rt] : null;
  }

  function cancel(id: string) {
    const found = find(id);
    if (!found) return;
    const [item, rt] = found;
    if (!canCancel(item)) return;
    rt.controller?.abort();
    if (rt.pendingFileId) abortQuietly(rt.pendingFileId);
    rt.pendingFileId = null;
    item.error = null;
    setPhase(item, "cancelled");
    schedule();
  }

  return {
    items,
    totals,
    busy,
    add(files) {
      const added: UploadItem[] = [];
      for (const file of Array.from(files)) {
        const id = `upload-${++nextId}`;
        const rt: Runtime = {
          attempt: 0,
          batch: 0,
          controller: null,
          pendingFileId: null,
          checksum: null,
          samples: [],
        };
        enterBatch(rt);
        runtime.set(id, rt);
        const item = reactive<UploadItem>({
          id,
          file: markRaw(file),
          phase: "queued",
          hashed: 0,
          loaded: 0,
          total: file.size,
          percent: 0,
          speed: 0,
          error: null,
          result: null,
        }) as UploadItem;
        items.value.push(item);
        added.push(item);
      }
      schedule();
      return added;
    },
    cancel,
    retry(id) {
      const found = find(id);
      if (!found) return;
      const [item, rt] = found;
      if (!canRetry(item)) return;
      enterBatch(rt);
      item.error = null;
      item.loaded = 0;
      item.percent = 0;
      setPhase(item, "queued");
      schedule();
    },
    dismiss(id) {
      const found = find(id);
      if (!found || found[0].phase === "queued" || ACTIVE.has(found[0].phase)) return;
      items.value = items.value.filter((item) => item.id !== id);
      runtime.delete(id);
    },
    async cancelAll() {
      for (const item of items.value) cancel(item.id);
      // A URL still being signed is released when it arrives, which adds a call; drain until nothing is left.
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
    whenIdle() {
      if (!isBusy()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

/** The bucket answered the PUT with an error status; the message is already human. */
class StorageRefusal extends Error {
  override name = "StorageRefusal";
}
