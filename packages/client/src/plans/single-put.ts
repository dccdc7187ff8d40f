/**
 * The single-PUT plan: hash the whole file, announce it (the checksum is signed into the URL), send one PUT,
 * retry what the retry policy says a retry can fix (an expired URL is released and announced again), then let
 * the server verify.
 */
import type { SinglePutPlan, UploadPlan } from "../endpoints.ts";
import { StorageRefusal, TransportError } from "../errors.ts";
import { retryCounter } from "../retry-policy.ts";
import type { UploadSession } from "../session.ts";

/** Runs the plan to the server's verdict; throws what stopped it (the session releases the reservation). */
export async function sendSinglePut<R>(session: UploadSession<R>): Promise<R> {
  const checksum = await session.checksum();
  let plan = single(await session.announce(checksum));
  const retries = retryCounter(session.tools.retryPolicy);
  let sentBefore = false;
  for (;;) {
    let failure: StorageRefusal | TransportError;
    try {
      const response = await session.put(plan, session.file);
      if (response.status >= 200 && response.status < 300) break;
      failure = new StorageRefusal(response.status, response.body, response.retryAfter ?? null);
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      failure = error;
    }
    // The URL is signed with If-None-Match: *, so after a connection lost mid-PUT a retry that is refused
    // with 412 means the first attempt's bytes did arrive: the server's verification decides.
    if (failure instanceof StorageRefusal && failure.status === 412 && sentBefore) break;
    const decision = retries.next(failure);
    if (!decision) throw failure;
    if (decision.resign) {
      session.release(plan);
      plan = single(await session.announce(checksum));
      sentBefore = false;
    } else sentBefore = true;
    if (decision.delayMs > 0) await session.backoff(decision.delayMs);
  }
  return session.verify(plan);
}

/** The plan as a single PUT; a server that answers parts for a file under its threshold is a broken server. */
function single(plan: UploadPlan): SinglePutPlan {
  if (plan.plan !== "single") throw new Error("the server answered parts for a single-PUT upload");
  return plan;
}
