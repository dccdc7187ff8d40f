/** The first probe: are these keys accepted at all? Every other probe is skipped when they are not. */
import { S3Error } from "@signet/signer";
import { type Advice, describeError, type ProbeRun } from "../probe-kit.ts";

/** A listing of the run's (empty) prefix; true when it worked. */
export async function probeCredentials(run: ProbeRun): Promise<boolean> {
  try {
    await run.storage.listObjects(run.prefix);
    run.record("credentials", "ok", "listing the bucket with these keys works");
    return true;
  } catch (error) {
    run.record("credentials", "fail", describeError(error), credentialsAdvice(error));
    return false;
  }
}

function credentialsAdvice(error: unknown): Advice {
  const code = error instanceof S3Error ? error.code : "";
  const impact = "nothing works: every URL Signet signs is refused";
  switch (code) {
    case "InvalidAccessKeyId":
      return { impact, fix: "S3_ACCESS_KEY_ID (or R2_ACCESS_KEY_ID) is not a key this storage knows" };
    case "SignatureDoesNotMatch":
      return {
        impact,
        fix: "S3_SECRET_ACCESS_KEY does not belong to S3_ACCESS_KEY_ID (or S3_REGION is wrong)",
      };
    case "NoSuchBucket":
      return { impact, fix: "create the bucket named by S3_BUCKET, or correct S3_BUCKET" };
    case "AccessDenied":
      return {
        impact,
        fix: "give the key read and write access to objects of this bucket (R2: Object Read & Write)",
      };
    case "AuthorizationHeaderMalformed":
      return { impact, fix: "set S3_REGION to the bucket's region (`auto` for R2)" };
    case "RequestTimeTooSkewed":
      return { impact, fix: "sync this machine's clock (e.g. `timedatectl set-ntp true`)" };
    default:
      return {
        impact,
        fix: "check S3_ENDPOINT (scheme, host, port) and that the storage is reachable from here (with the embedded endpoint: is `pnpm start` running?)",
      };
  }
}
