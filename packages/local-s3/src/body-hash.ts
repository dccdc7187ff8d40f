// Hashes an upload's body (the MD5 ETag, and any SHA-256 / SHA-1 checksum) as it streams in. MD5 cannot be split
// across cores and costs about as much as the socket reads and disk writes together, so on the request thread it
// halves PUT throughput. Bodies of OFFLOAD_FROM bytes or more are therefore hashed on a worker thread, which
// overlaps the hashing with the I/O. node:worker_threads (eval mode included) exists on Node, Bun and Deno.
import { Worker } from "node:worker_threads";
import { createHasher, type HashAlgorithm } from "./digest.ts";

/** Below this a body is hashed in place: a worker round trip would cost more than it saves. */
export const OFFLOAD_FROM = 4 << 20;
/** Bytes handed to the worker per message. */
const BATCH = 1 << 20;
/** Batches of one body in flight at once: bounds memory per upload whatever its size. */
const MAX_IN_FLIGHT = 4;
/** Returned batch buffers kept for reuse across uploads. */
const MAX_SPARE = 4;

/** A running hash of one body over several algorithms at once. */
export interface BodyHash {
  /** Feeds the next chunk; returns a promise only when the caller must wait for room (await it before the next). */
  update(chunk: Uint8Array): Promise<void> | undefined;
  /** The digests, in the order the algorithms were given. Ends the hash. */
  digest(): Promise<Uint8Array[]>;
  /** Ends the hash without a result (the body failed); safe to call after digest(). */
  abort(): void;
}

/**
 * Starts hashing a body with every algorithm in `algorithms`; `expectedSize` (its Content-Length, when known)
 * decides whether a worker thread does the work.
 * @example
 *   const hash = createBodyHash(["md5"], contentLength);
 *   for await (const chunk of body) await hash.update(chunk);
 *   const [md5] = await hash.digest();
 */
export function createBodyHash(algorithms: HashAlgorithm[], expectedSize: number | undefined): BodyHash {
  if (algorithms.length > 0 && expectedSize !== undefined && expectedSize >= OFFLOAD_FROM) {
    const worker = hashWorker();
    if (worker) return worker.start(algorithms);
  }
  const hashers = algorithms.map(createHasher);
  return {
    update(chunk) {
      for (const hasher of hashers) hasher.update(chunk);
      return undefined;
    },
    digest: async () => hashers.map((hasher) => hasher.digest()),
    abort() {},
  };
}

// Runs inside the worker. CommonJS because eval-mode workers are scripts on every runtime.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const jobs = new Map();
parentPort.on("message", (m) => {
  if (m.op === "start") jobs.set(m.job, m.algorithms.map((name) => createHash(name)));
  else if (m.op === "update") {
    const view = new Uint8Array(m.buffer, 0, m.length);
    for (const hash of jobs.get(m.job) ?? []) hash.update(view);
    parentPort.postMessage({ op: "returned", job: m.job, buffer: m.buffer }, [m.buffer]);
  } else if (m.op === "digest") {
    const hashes = jobs.get(m.job) ?? [];
    jobs.delete(m.job);
    parentPort.postMessage({ op: "digest", job: m.job, digests: hashes.map((hash) => hash.digest()) });
  } else if (m.op === "abort") jobs.delete(m.job);
});
`;

type WorkerMessage =
  | { op: "returned"; job: number; buffer: ArrayBuffer }
  | { op: "digest"; job: number; digests: Uint8Array[] };

interface Job {
  inFlight: number;
  /** Resolves an update() waiting for a batch to come back. */
  wake?: () => void;
  finish?: { resolve(digests: Uint8Array[]): void; reject(error: Error): void };
  failed?: Error;
}

/** One worker thread shared by every upload in the process, started on first use and restarted if it dies. */
class HashWorker {
  private readonly jobs = new Map<number, Job>();
  private readonly spare: ArrayBuffer[] = [];
  private nextJob = 1;

  constructor(private readonly worker: Worker) {
    worker.unref();
    worker.on("message", (message: WorkerMessage) => this.receive(message));
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", (code) => this.fail(new Error(`the hash worker exited with code ${code}`)));
  }

  start(algorithms: HashAlgorithm[]): BodyHash {
    const id = this.nextJob++;
    const job: Job = { inFlight: 0 };
    if (this.jobs.size === 0) this.worker.ref(); // an unfinished hash keeps the process alive
    this.jobs.set(id, job);
    this.worker.postMessage({ op: "start", job: id, algorithms });
    let batch = new Uint8Array(this.buffer());
    let filled = 0;
    let ended = false;
    const end = () => {
      ended = true;
      this.jobs.delete(id);
      if (this.jobs.size === 0) this.worker.unref();
      this.recycle(batch.buffer as ArrayBuffer);
    };
    const send = () => {
      const buffer = batch.buffer as ArrayBuffer;
      this.worker.postMessage({ op: "update", job: id, buffer, length: filled }, [buffer]);
      job.inFlight++;
      batch = new Uint8Array(this.buffer());
      filled = 0;
    };
    const room = () =>
      new Promise<void>((resolve, reject) => {
        if (job.failed) return reject(job.failed);
        job.wake = () => {
          job.wake = undefined;
          if (job.failed) reject(job.failed);
          else resolve();
        };
      });
    const update = async (chunk: Uint8Array, offset: number): Promise<void> => {
      for (let at = offset; at < chunk.byteLength; ) {
        if (job.inFlight >= MAX_IN_FLIGHT) await room();
        const take = Math.min(BATCH - filled, chunk.byteLength - at);
        batch.set(chunk.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === BATCH) send();
      }
    };
    return {
      update: (chunk) => {
        if (job.failed) return Promise.reject(job.failed);
        // The common case (a socket-sized chunk with room in the batch) stays synchronous: no promise per chunk.
        if (filled + chunk.byteLength < BATCH) {
          batch.set(chunk, filled);
          filled += chunk.byteLength;
          return undefined;
        }
        return update(chunk, 0);
      },
      digest: () =>
        new Promise<Uint8Array[]>((resolve, reject) => {
          if (job.failed) return reject(job.failed);
          if (filled > 0) send();
          job.finish = {
            resolve: (digests) => {
              end();
              resolve(digests.map((digest) => new Uint8Array(digest)));
            },
            reject,
          };
          this.worker.postMessage({ op: "digest", job: id });
        }),
      abort: () => {
        if (ended) return;
        end();
        this.worker.postMessage({ op: "abort", job: id });
      },
    };
  }

  private buffer(): ArrayBuffer {
    return this.spare.pop() ?? new ArrayBuffer(BATCH);
  }

  private recycle(buffer: ArrayBuffer): void {
    if (this.spare.length < MAX_SPARE) this.spare.push(buffer);
  }

  private receive(message: WorkerMessage): void {
    const job = this.jobs.get(message.job);
    if (message.op === "returned") {
      this.recycle(message.buffer);
      if (job) {
        job.inFlight--;
        job.wake?.();
      }
    } else job?.finish?.resolve(message.digests);
  }

  /** The worker is gone: every unfinished hash fails, and the next upload starts a new worker. */
  private fail(error: Error): void {
    if (current === this) current = undefined;
    for (const job of this.jobs.values()) {
      job.failed = error;
      job.wake?.();
      job.finish?.reject(error);
    }
    this.jobs.clear();
  }
}

let current: HashWorker | undefined;

function hashWorker(): HashWorker | undefined {
  if (!current) {
    try {
      current = new HashWorker(new Worker(WORKER_SOURCE, { eval: true }));
    } catch {
      return undefined; // no worker threads here: hash in place
    }
  }
  return current;
}
