import {
  createUploader,
  filesEndpoint,
  type Hasher,
  isAbortError,
  memoryResumeStore,
  type PutTransport,
  ResumeMismatch,
  type ResumeRecord,
  type ResumeStore,
  recordFingerprint,
  type Sleep,
  type UploadProgress,
} from "@signet/client";
import { type ComputedRef, computed, markRaw, type Ref, reactive, ref } from "vue";
import { describeApiError } from "../api/errors.ts";
import type { FileView, Limits, UploadApi } from "../api/types.ts";
import { formatBytes } from "../ui/format.ts";
import { relativePathOf } from "./relative-paths.ts";
import type { UploadItem, UploadPhase, UploadTotals } from "./types.ts";

export type { UploadItem, UploadPhase, UploadTotals } from "./types.ts";

export interface UseUploadOptions {
  api: UploadApi;
  put: PutTransport;
  hash: Hasher;
  /** Hashes each part of an upload in parts; default Web Crypto on the calling thread (the SPA passes a worker). */
  partHash?: Hasher;
  /** Milliseconds clock for speed; injectable so tests are deterministic. */
  now?: () => number;
  /** Files processed at the same time. */
  concurrency?: number;
  /** Called once per file the server has verified, with the local file it was read from. */
  onUploaded?: (file: FileView, source: File) => void;
  /** The server's limits, so a file over the maximum is refused before anything is sent. */
  limits?: Readonly<Ref<Limits | null>>;
  /** Waits before an automatic retry of a failed PUT (network error, 5xx); `[]` leaves every retry to the user. */
  retryDelays?: readonly number[];
  sleep?: Sleep;
  /** Loads the server's limits (the multipart threshold decides which files go in parts). */
  loadLimits?: () => Promise<Limits | null>;
  /** Where unfinished uploads in parts are remembered across reloads; default in memory. */
  resumeStore?: ResumeStore;
}

export interface UseUploadReturn {
  items: Readonly<Ref<readonly UploadItem[]>>;
  totals: ComputedRef<UploadTotals>;
  busy: ComputedRef<boolean>;
  /** Queues files; they start as soon as a slot is free. */
  add(files: Iterable<File> | ArrayLike<File>): UploadItem[];
  /** Stops a queued or running upload and releases what the server reserved for it. */
  cancel(id: string): void;
  /** Starts a failed or cancelled upload again (one in parts carries on with the parts still missing). */
  retry(id: string): void;
  /** Stops sending an upload in parts; the parts that arrived stay on the server. */
  pause(id: string): void;
  /** Carries on a paused upload with the parts still missing. */
  resume(id: string): void;
  /** Uploads in parts that a reload or a closed tab interrupted: resume by picking the same file again. */
  interrupted: Readonly<Ref<readonly ResumeRecord[]>>;
  /** Reads the interrupted uploads from the store (once on start; again after sign-in). */
  loadInterrupted(): Promise<void>;
  /** Resumes an interrupted upload with the file the user picked (checked to be the same before sending). */
  resumeInterrupted(record: ResumeRecord, file: File): UploadItem;
  /** Aborts an interrupted upload on the server and forgets it. */
  discardInterrupted(record: ResumeRecord): Promise<void>;
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
const CANCELLABLE: ReadonlySet<UploadPhase> = new Set([
  "queued",
  "hashing",
  "signing",
  "uploading",
  "paused",
]);
const SPEED_WINDOW_MS = 3000;

interface Runtime {
  attempt: number;
  batch: number;
  controller: AbortController | null;
  /** Pauses the running attempt (uploads in parts only). */
  pause: AbortController | null;
  /** What resumes this upload in parts; null for a single PUT or before its parts are announced. */
  record: ResumeRecord | null;
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

/** True while an upload in parts is sending and can be paused. */
export function canPause(item: UploadItem): boolean {
  return item.resumable && item.phase === "uploading";
}

/**
 * Upload queue over @signet/client's engine (checksum in a worker, a pre-signed PUT straight to the bucket with
 * progress, retries, then the API's verification): this adds the queue, concurrency, cancel/retry and the
 * batch's totals. The transport, hasher and clock are injected.
 */
export function useUpload(options: UseUploadOptions): UseUploadReturn {
  const { onUploaded } = options;
  const store = options.resumeStore ?? memoryResumeStore();
  const { loadLimits } = options;
  const uploader = createUploader({
    endpoint: filesEndpoint({
      ...options.api,
      ...(loadLimits ? { limits: async () => (await loadLimits()) ?? {} } : {}),
    }),
    put: options.put,
    hash: options.hash,
    ...(options.partHash ? { partHash: options.partHash } : {}),
    ...(options.retryDelays ? { retryDelays: options.retryDelays } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
  const now = options.now ?? (() => performance.now());
  const concurrency = Math.max(1, options.concurrency ?? 3);
  const items = ref<UploadItem[]>([]);
  const interrupted = ref<ResumeRecord[]>([]);
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
    const pause = new AbortController();
    rt.pause = pause;
    const upload = uploader.upload(item.file, {
      // A file of a picked or dropped tree is announced with its path; state.ts turns it into its folder.
      name: relativePathOf(item.file) || item.file.name,
      signal: controller.signal,
      pause: pause.signal,
      ...(rt.record ? { resume: rt.record } : {}),
      journal: (record) => {
        if (rt.attempt !== attempt) return;
        const known = record ?? rt.record;
        rt.record = record ? markRaw(record) : null;
        if (record) item.resumable = true;
        // Kept under the file's fingerprint (name, size, date); two uploads of one file at once share it.
        const key = known && recordFingerprint(known);
        if (key) void (record ? store.set(key, record) : store.delete(key)).catch(() => {});
      },
      onProgress: (progress) => {
        if (current() && !pause.signal.aborted) onProgress(item, rt, progress);
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
      onUploaded?.(result, item.file);
    } catch (error) {
      if (rt.attempt !== attempt || controller.signal.aborted || isAbortError(error)) return;
      if (error instanceof ResumeMismatch && rt.record) {
        // Not the same file: the interrupted upload stays on offer for the right one.
        interrupted.value = [...interrupted.value, rt.record];
        rt.record = null;
        item.resumable = false;
      }
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

  function newItem(file: File, record: ResumeRecord | null): UploadItem {
    const id = `upload-${++nextId}`;
    const rt: Runtime = { attempt: 0, batch: 0, controller: null, pause: null, record, samples: [] };
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
      resumable: record !== null,
    }) as UploadItem;
    items.value.push(item);
    return item;
  }

  function find(id: string): [UploadItem, Runtime] | null {
    const item = items.value.find((candidate) => candidate.id === id);
    const rt = runtime.get(id);
    return item && rt ? [item, rt] : null;
  }

  /** Aborts a stopped upload in parts on the server (nothing else would) and forgets it. */
  function discardParts(rt: Runtime) {
    const record = rt.record;
    if (!record) return;
    rt.record = null;
    void store.delete(recordFingerprint(record)).catch(() => {});
    const done = options.api.abortUpload({ fileId: record.id }).then(
      () => {},
      () => {},
    );
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  }

  function cancel(id: string) {
    const found = find(id);
    if (!found) return;
    const [item, rt] = found;
    if (!canCancel(item)) return;
    // A paused upload has no engine running to release it; a running one is released by the engine itself,
    // synchronously on abort.
    if (item.phase === "paused") discardParts(rt);
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
      for (const file of Array.from(files)) added.push(newItem(file, null));
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
    pause(id) {
      const found = find(id);
      if (!found || !canPause(found[0])) return;
      const [item, rt] = found;
      rt.pause?.abort();
      setPhase(item, "paused");
      schedule();
    },
    resume(id) {
      const found = find(id);
      if (found?.[0].phase !== "paused") return;
      enterBatch(found[1]);
      setPhase(found[0], "queued");
      schedule();
    },
    interrupted,
    async loadInterrupted() {
      const running = new Set(
        [...runtime.values()].map((rt) => rt.record?.id).filter((id): id is string => !!id),
      );
      const records = await store.list().catch(() => []);
      interrupted.value = records.filter((record) => !running.has(record.id));
    },
    resumeInterrupted(record, file) {
      interrupted.value = interrupted.value.filter((r) => r.id !== record.id);
      const item = newItem(file, markRaw(record));
      schedule();
      return item;
    },
    async discardInterrupted(record) {
      interrupted.value = interrupted.value.filter((r) => r.id !== record.id);
      await store.delete(recordFingerprint(record)).catch(() => {});
      await options.api.abortUpload({ fileId: record.id }).catch(() => {});
    },
    dismiss(id) {
      const found = find(id);
      if (!found || found[0].phase === "queued" || ACTIVE.has(found[0].phase)) return;
      // A failed upload in parts still holds its parts and quota on the server: dismissing it gives them back.
      if (found[0].phase !== "done") discardParts(found[1]);
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
