/**
 * The single-PUT plan: hash the whole file, announce it (the checksum is signed into the URL), send one PUT,
 * retry what a retry can fix, then let the server verify. Used for every file today; multipart is the next plan.
 */
import type { SinglePutPlan, UploadPlan } from "../endpoints.ts";
import { StorageRefusal, TransportError } from "../errors.ts";
import type { UploadSession } from "../session.ts";

/** Runs the plan to the server's verdict; throws what stopped it (the session releases the reservation). */
export async function sendSinglePut<R>(session: UploadSession<R>): Promise<R> {
  const checksum = await session.checksum();
  let plan = single(await session.announce(checksum));
  const delays = session.tools.retryDelays;
  for (let attempt = 0; ; attempt++) {
    let failure: StorageRefusal | TransportError;
    try {
      const response = await session.put(plan, session.file);
      if (response.status >= 200 && response.status < 300) break;
      failure = new StorageRefusal(response.status, response.body);
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      failure = error;
    }
    const lastChance = attempt >= delays.length;
    if (failure instanceof StorageRefusal) {
      // The URL is signed with If-None-Match: *, so after a connection lost mid-PUT a retry that is refused
      // with 412 means the first attempt's bytes did arrive: the server's verification decides.
      if (failure.status === 412 && attempt > 0) break;
      if (failure.expired && !lastChance) {
        session.release(plan);
        plan = single(await session.announce(checksum));
        continue;
      }
      if (!failure.transient) throw failure;
    }
    if (lastChance) throw failure;
    await session.backoff(delays[attempt]!);
  }
  return session.verify(plan);
}

/** The plan as a single PUT; a server that answers parts for a file under its threshold is a broken server. */
function single(plan: UploadPlan): SinglePutPlan {
  if (plan.plan !== "single") throw new Error("the server answered parts for a single-PUT upload");
  return plan;
}
