import {
  createUploader,
  filesEndpoint,
  type Hasher,
  isAbortError,
  type PutTransport,
  type Sleep,
  type UploadProgress,
} from "@signet/client";
import { type ComputedRef, computed, markRaw, type Ref, reactive, ref } from "vue";
import { describeApiError } from "../api/errors.ts";
import type { FileView, Limits, UploadApi } from "../api/types.ts";
import { formatBytes } from "../ui/format.ts";
import type { UploadItem, UploadPhase, UploadTotals } from "./types.ts";

export type { UploadItem, UploadPhase, UploadTotals } from "./types.ts";

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
  /** The server's limits, so a file over the maximum is refused before anything is sent. */
  limits?: Readonly<Ref<Limits | null>>;
  /** Waits before an automatic retry of a failed PUT (network error, 5xx); `[]` leaves every retry to the user. */
  retryDelays?: readonly number[];
  sleep?: Sleep;
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
 * Upload queue over @signet/client's engine (checksum in a worker, a pre-signed PUT straight to the bucket with
 * progress, retries, then the API's verification): this adds the queue, concurrency, cancel/retry and the
 * batch's totals. The transport, hasher and clock are injected.
 */
export function useUpload(options: UseUploadOptions): UseUploadReturn {
  const { onUploaded } = options;
  const uploader = createUploader({
    endpoint: filesEndpoint(options.api),
    put: options.put,
    hash: options.hash,
    ...(options.retryDelays ? { retryDelays: options.retryDelays } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
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

  // Running uploads; each settles only once the server has answered everything it was asked (releases included).
  const inFlight = new Set<Promise<unknown>>();

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

  function onProgress(item: UploadItem, rt: Runtime, progress: UploadProgress) {
    if (progress.phase !== item.phase) {
      // Speed is measured from the moment bytes start to leave.
      if (progress.phase === "uploading") rt.samples = [{ at: now(), loaded: item.loaded }];
      setPhase(item, progress.phase);
    }
    item.hashed = progress.hashed;
    if (progress.phase === "uploading" || progress.phase === "verifying")
      recordProgress(item, rt, progress.loaded);
  }

  /** Why the file cannot be sent at all, said before any round trip; null when it can. */
  function refusal(file: File): string | null {
    const max = options.limits?.value?.maxFileBytes;
    if (max !== undefined && file.size > max) {
      return `This file is ${formatBytes(file.size)}; files can be at most ${formatBytes(max)} here.`;
    }
    return null;
  }

  async function run(item: UploadItem, rt: Runtime) {
    const attempt = ++rt.attempt;
    const controller = new AbortController();
    rt.controller = controller;
    const current = () => rt.attempt === attempt && !controller.signal.aborted;
    const refused = refusal(item.file);
    if (refused) {
      item.error = refused;
      setPhase(item, "error");
      schedule();
      return;
    }
    // Out of "queued" at once, so a slot is never handed to this file twice; the engine reports the rest.
    setPhase(item, "hashing");
    const upload = uploader.upload(item.file, {
      signal: controller.signal,
      onProgress: (progress) => {
        if (current()) onProgress(item, rt, progress);
      },
    });
    const settled = upload.then(
      () => {},
      () => {},
    );
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
    try {
      const result = await upload;
      if (rt.attempt !== attempt) return;
      item.result = result;
      setPhase(item, "done");
      onUploaded?.(result);
    } catch (error) {
      if (rt.attempt !== attempt || controller.signal.aborted || isAbortError(error)) return;
      item.error = describeApiError(error);
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
    // The engine releases the server's reservation itself, synchronously on abort.
    rt.controller?.abort();
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
        const rt: Runtime = { attempt: 0, batch: 0, controller: null, samples: [] };
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
      // Each upload settles once the server has released it (a URL still being signed included).
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
    whenIdle() {
      if (!isBusy()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
