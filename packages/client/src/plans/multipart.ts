/**
 * The multipart plan: a few parts in flight, each part hashed (SHA-256, Web Crypto by default) while earlier
 * parts upload, each PUT signed on demand with that part's exact length and checksum.
 * Memory stays bounded: a part is a `Blob.slice`, read only by the hasher and the transport.
 *
 * Failures: network errors and 5xx are retried with backoff, an expired URL is signed again, anything else the
 * storage refuses ends the upload with a `PartRefusal` naming the part. Pausing stops sending without releasing
 * the server's upload; resuming (after a pause, a reload or a crash) asks the server which parts arrived and
 * sends only the others, after checking that the file is the same one.
 */
import type { MultipartEndpoint, MultipartPlan, SignedPart } from "../endpoints.ts";
import {
  abortError,
  isAbortError,
  PartRefusal,
  ResumeMismatch,
  StorageRefusal,
  TransportError,
} from "../errors.ts";
import type { UploadSession } from "../session.ts";

/** What to remember to resume an upload later (IndexedDB in the SPA, a state file for the CLI). */
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

export interface MultipartOptions {
  /** Parts in flight at once (default 4). */
  concurrency: number;
  /** Resume this upload instead of announcing a new one. */
  resume?: ResumeRecord | undefined;
  /** Called whenever the record changes; `null` once the upload no longer needs resuming. */
  journal?: ((record: ResumeRecord | null) => void) | undefined;
  /** Stops sending; the server's upload stays, to be resumed with `resume`. */
  pause?: AbortSignal | undefined;
}

/** Re-sign a URL that has less than this left, rather than race its expiry. */
const EXPIRY_MARGIN_MS = 30_000;
/** Signing again after an expired URL is not a failure, but it cannot loop forever. */
const MAX_RESIGNS = 3;

function lastModifiedOf(file: Blob): number | null {
  const value = (file as Partial<File>).lastModified;
  return typeof value === "number" ? value : null;
}

/**
 * Whether an API call's failure may pass on its own: no HTTP answer at all (a tRPC client error without
 * `data`, a fetch TypeError), or a 5xx / 429. Refusals with a 4xx status are final.
 */
function apiCallMayRecover(error: unknown): boolean {
  const status = (error as { data?: { httpStatus?: unknown } | null } | null)?.data?.httpStatus;
  return typeof status !== "number" || status >= 500 || status === 429;
}

/** Runs the plan to the server's verdict; throws what stopped it. */
export async function sendMultipart<R>(
  session: UploadSession<R>,
  endpoint: MultipartEndpoint,
  options: MultipartOptions,
): Promise<R> {
  const { file } = session;
  const stop = new AbortController();
  const signals = [session.signal, stop.signal, ...(options.pause ? [options.pause] : [])];
  const signal = AbortSignal.any(signals);
  const stopped = () => signal.aborted;

  // Checksums, hashed one after another in part order (each behind the previous), so part n+1 is hashed while
  // part n uploads, and hashing never stands before the first byte for longer than one part.
  let hashed = 0;
  let hashChain: Promise<unknown> = Promise.resolve();
  const checksums = new Map<number, Promise<string>>();
  let layout = { partSize: 0, partCount: 0 };
  const partBlob = (n: number) =>
    file.slice((n - 1) * layout.partSize, Math.min(file.size, n * layout.partSize));
  /** Takes a checksum computed before the plan was known as part `n`'s. */
  function adoptChecksum(n: number, checksum: Promise<string>) {
    checksums.set(n, checksum);
    hashChain = checksum.catch(() => {});
    checksum.then(
      () => {
        hashed += partBlob(n).size;
      },
      () => {},
    );
  }
  function checksumOf(n: number): Promise<string> {
    let known = checksums.get(n);
    if (!known) {
      known = hashChain.then(() => {
        if (stopped()) throw abortError();
        return session.tools.partHash(partBlob(n), () => {}, signal);
      });
      known.then(
        (_) => {
          hashed += partBlob(n).size;
        },
        () => {},
      );
      hashChain = known.catch(() => {});
      checksums.set(n, known);
    }
    return known;
  }

  // The plan: announced now, or read back from the server for a resume.
  let plan: MultipartPlan;
  let arrived = new Set<number>();
  let record: ResumeRecord;
  if (options.resume) {
    const resume = options.resume;
    const lastModified = lastModifiedOf(file);
    if (resume.size !== file.size)
      throw new ResumeMismatch(`its size is ${file.size} bytes, not ${resume.size}`);
    if (resume.name !== session.facts.name) throw new ResumeMismatch(`its name is not ${resume.name}`);
    if (resume.lastModified !== null && lastModified !== null && resume.lastModified !== lastModified) {
      throw new ResumeMismatch("it was modified since");
    }
    const listed = await endpoint.listParts(resume.id);
    plan = { plan: "multipart", id: resume.id, partSize: listed.partSize, partCount: listed.partCount };
    layout = plan;
    const first = await checksumOf(1);
    const serverFirst = listed.parts.find((p) => p.partNumber === 1)?.checksumSha256;
    if (first !== resume.firstPartChecksum || (serverFirst && serverFirst !== first)) {
      throw new ResumeMismatch("its first bytes differ");
    }
    session.hold(plan);
    arrived = new Set(listed.parts.map((p) => p.partNumber));
    record = { ...resume, partSize: plan.partSize, partCount: plan.partCount, partsDone: [...arrived] };
  } else {
    // The first part's checksum is what the resume record needs before any part goes: hash it while the
    // upload is announced, at the part size the server usually plans (kept only if the plan agrees).
    const usual = await endpoint.usualPartSize?.().catch(() => undefined);
    const early =
      usual !== undefined && usual < file.size
        ? session.tools.partHash(file.slice(0, usual), () => {}, signal)
        : null;
    early?.catch(() => {});
    const announced = await session.announce();
    if (announced.plan !== "multipart")
      throw new Error("the server answered a single PUT for a multipart upload");
    plan = announced;
    layout = plan;
    if (early && plan.partSize === usual) adoptChecksum(1, early);
    record = {
      id: plan.id,
      name: session.facts.name,
      size: file.size,
      lastModified: lastModifiedOf(file),
      partSize: plan.partSize,
      partCount: plan.partCount,
      firstPartChecksum: await checksumOf(1),
      partsDone: [],
    };
  }
  options.journal?.({ ...record });

  // Progress: whole parts that arrived, plus each part in flight at its own high-water mark.
  const partLoaded = new Map<number, number>();
  let done = 0;
  for (const n of arrived) done += partBlob(n).size;
  const report = () => {
    let inFlight = 0;
    for (const value of partLoaded.values()) inFlight += value;
    session.uploaded(done + inFlight, hashed);
  };
  report();

  const missing: number[] = [];
  for (let n = 1; n <= plan.partCount; n++) if (!arrived.has(n)) missing.push(n);
  // Parts hashed and signed ahead of the ones being sent: memory holds checksums for these, never their bytes.
  const lookahead = options.concurrency * 2;

  // Part URLs: signed in batches, ahead of the lanes (as soon as a part's checksum is known), and cached until
  // shortly before they expire; a lane that finds none asks for its own. One signing request at a time: what
  // queues up meanwhile goes in the next batch, so a whole window of parts costs one round trip, not one each.
  const urls = new Map<number, SignedPart>();
  const signing = new Map<number, Promise<SignedPart>>();
  let queue: {
    partNumber: number;
    checksumSha256: string;
    resolve: (part: SignedPart) => void;
    reject: (error: unknown) => void;
  }[] = [];
  let flushing = false;
  /** False once the server signs URLs that live shorter than the re-sign margin: signing ahead would be waste. */
  let signAhead = true;
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length > 0 && !stopped()) {
        const batch = queue.slice(0, 100);
        queue = queue.slice(100);
        try {
          const signed = await endpoint.signParts(
            plan,
            batch.map(({ partNumber, checksumSha256 }) => ({ partNumber, checksumSha256 })),
          );
          for (const entry of batch) {
            const part = signed.find((s) => s.partNumber === entry.partNumber);
            if (part) {
              urls.set(entry.partNumber, part);
              if (Date.parse(part.expiresAt) - Date.now() <= EXPIRY_MARGIN_MS) signAhead = false;
              entry.resolve(part);
            } else entry.reject(new Error(`the server did not sign part ${entry.partNumber}`));
          }
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
      for (const entry of queue.splice(0)) entry.reject(abortError());
    } finally {
      flushing = false;
    }
  }
  function urlFor(partNumber: number, checksumSha256: string): Promise<SignedPart> {
    const cached = urls.get(partNumber);
    if (cached && Date.parse(cached.expiresAt) - Date.now() > EXPIRY_MARGIN_MS)
      return Promise.resolve(cached);
    urls.delete(partNumber);
    const pending = signing.get(partNumber);
    if (pending) return pending;
    // Forgotten once settled either way, so after a failure the next lane to ask signs again.
    const done = new Promise<SignedPart>((resolve, reject) => {
      queue.push({ partNumber, checksumSha256, resolve, reject });
    }).finally(() => signing.delete(partNumber));
    done.catch(() => {});
    signing.set(partNumber, done);
    void flush();
    return done;
  }
  /** Hashes and signs the parts a lane will want next, so neither stands before their PUTs. */
  function prepare(from: number) {
    for (let i = from; i < Math.min(missing.length, from + lookahead); i++) {
      const n = missing[i]!;
      checksumOf(n).then(
        (checksum) => {
          if (signAhead && !stopped() && !urls.has(n)) urlFor(n, checksum).catch(() => {});
        },
        () => {},
      );
    }
  }

  async function sendPart(n: number) {
    const body = partBlob(n);
    const checksum = await checksumOf(n);
    const delays = session.tools.retryDelays;
    let resigns = 0;
    for (let attempt = 0; ; ) {
      if (stopped()) throw abortError();
      let part: SignedPart;
      try {
        part = await urlFor(n, checksum);
      } catch (error) {
        // The API unreachable (offline) or briefly failing is retried like a part; a refusal is final.
        if (stopped() || !apiCallMayRecover(error) || attempt >= delays.length) throw error;
        await session.tools.sleep(delays[attempt]!, signal);
        attempt++;
        continue;
      }
      let failure: StorageRefusal | TransportError;
      try {
        const response = await session.tools.put({
          url: part.url,
          method: "PUT",
          headers: part.headers,
          body,
          signal,
          onProgress: (loaded) => {
            if (loaded > (partLoaded.get(n) ?? 0)) {
              partLoaded.set(n, Math.min(loaded, body.size));
              report();
            }
          },
        });
        if (response.status >= 200 && response.status < 300) {
          partLoaded.delete(n);
          done += body.size;
          record.partsDone.push(n);
          options.journal?.({ ...record, partsDone: [...record.partsDone] });
          report();
          return;
        }
        failure = new PartRefusal(n, response.status, response.body);
      } catch (error) {
        if (stopped() || isAbortError(error)) throw abortError();
        failure =
          error instanceof TransportError
            ? error
            : new TransportError("network", error instanceof Error ? error.message : String(error));
      }
      if (failure instanceof StorageRefusal) {
        if (failure.expired && resigns < MAX_RESIGNS) {
          resigns++;
          urls.delete(n);
          continue;
        }
        if (!failure.transient) throw failure;
      }
      if (attempt >= delays.length) throw failure;
      await session.tools.sleep(delays[attempt]!, signal);
      attempt++;
    }
  }

  let next = 0;
  async function lane() {
    while (next < missing.length) {
      const n = missing[next++]!;
      prepare(next);
      await sendPart(n);
    }
  }
  prepare(0);
  const lanes = Array.from({ length: Math.min(options.concurrency, Math.max(1, missing.length)) }, () =>
    lane().catch((error) => {
      stop.abort();
      throw error;
    }),
  );
  const results = await Promise.allSettled(lanes);
  const failed = results.find(
    (r): r is PromiseRejectedResult => r.status === "rejected" && !isAbortError(r.reason),
  );
  if (session.signal.aborted || options.pause?.aborted) throw abortError();
  if (failed) throw failed.reason;
  const aborted = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (aborted) throw aborted.reason;
  const verdict = await session.verify(plan);
  options.journal?.(null);
  return verdict;
}
