/**
 * The multipart plan: a few parts in flight, each part hashed (SHA-256, Web Crypto by default) while earlier
 * parts upload, each PUT signed ahead with that part's exact length and checksum. Its pieces are siblings in
 * `multipart/`: how it starts, part checksums, part URLs, sending one part (the retry policy decides every
 * retry), progress and the lanes.
 *
 * Pausing stops sending without releasing the server's upload; resuming (after a pause, a reload or a crash)
 * asks the server which parts arrived and sends only the others, after checking that the file is the same one.
 */
import type { MultipartEndpoint } from "../endpoints.ts";
import { abortError } from "../errors.ts";
import type { ResumeRecord } from "../resume-store.ts";
import type { UploadSession } from "../session.ts";
import { inLanes } from "./multipart/lanes.ts";
import { PartProgress } from "./multipart/part-progress.ts";
import { partSender } from "./multipart/part-sender.ts";
import { PartUrls } from "./multipart/part-urls.ts";
import { announceUpload, resumeUpload } from "./multipart/start.ts";

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

/** Runs the plan to the server's verdict; throws what stopped it. */
export async function sendMultipart<R>(
  session: UploadSession<R>,
  endpoint: MultipartEndpoint,
  options: MultipartOptions,
): Promise<R> {
  const stop = new AbortController();
  const signal = AbortSignal.any([session.signal, stop.signal, ...(options.pause ? [options.pause] : [])]);

  // 1. The plan: announced now, or read back from the server for a resume.
  const { plan, checksums, arrived, record } = options.resume
    ? await resumeUpload(session, endpoint, options.resume, signal)
    : await announceUpload(session, endpoint, signal);
  options.journal?.({ ...record });

  // 2. Progress starts from the parts the server already holds.
  const progress = new PartProgress(session, checksums);
  for (const n of arrived) progress.arrived(n);
  progress.report();

  // 3. Each missing part is sent by a lane; the parts a lane will want next are hashed and signed meanwhile
  // (memory holds their checksums, never their bytes).
  const missing: number[] = [];
  for (let n = 1; n <= plan.partCount; n++) if (!arrived.has(n)) missing.push(n);
  const urls = new PartUrls(endpoint, plan, signal, session.tools.now);
  const lookahead = options.concurrency * 2;
  const prepare = (from: number) => {
    for (const n of missing.slice(from, from + lookahead)) {
      checksums.of(n).then(
        (checksum) => urls.signAhead(n, checksum),
        () => {},
      );
    }
  };
  const sendPart = partSender({
    session,
    checksums,
    urls,
    progress,
    signal,
    onArrived: (n) => {
      record.partsDone.push(n);
      options.journal?.({ ...record, partsDone: [...record.partsDone] });
    },
  });
  prepare(0);
  let failure: unknown = null;
  await inLanes(
    missing,
    options.concurrency,
    (n, index) => {
      prepare(index + 1);
      return sendPart(n);
    },
    () => stop.abort(),
  ).catch((error: unknown) => {
    failure = error;
  });

  // 4. A cancel or a pause outranks whatever failed because of it; otherwise the server verifies.
  if (session.signal.aborted || options.pause?.aborted) throw abortError();
  if (failure !== null) throw failure;
  const verdict = await session.verify(plan);
  options.journal?.(null);
  return verdict;
}
