/** Clock skew: this machine's clock against the endpoint's `Date`, as SigV4 will feel it. */
import { PROBE_TTL, type ProbeRun } from "../probe-kit.ts";

/** Clock skew SigV4 tolerates on header-signed requests; beyond it the storage refuses every request. */
const MAX_SKEW_SECONDS = 900;
/** Skew that shortens or lengthens every URL's life noticeably (upload URLs live 600 s by default). */
const WARN_SKEW_SECONDS = 60;

export async function probeClock(run: ProbeRun): Promise<void> {
  const signed = await run.storage.presignHead(`${run.prefix}clock`, { expiresIn: PROBE_TTL });
  const before = run.clock().getTime();
  const response = await fetch(signed.url, { method: "HEAD" });
  const after = run.clock().getTime();
  const date = response.headers.get("date");
  if (!date || Number.isNaN(Date.parse(date))) {
    run.record("clock", "skip", "the endpoint sent no Date header");
    return;
  }
  // Date has whole seconds: the endpoint's time is somewhere in [date, date + 1 s).
  const skew = Math.round((Date.parse(date) + 500 - (before + after) / 2) / 1000);
  const detail = `${Math.abs(skew)} s ${skew > 0 ? "behind" : "ahead of"} the endpoint`;
  const advice = {
    impact:
      Math.abs(skew) >= MAX_SKEW_SECONDS
        ? "the storage refuses every request signed here (RequestTimeTooSkewed)"
        : "every URL lives shorter or longer than configured by that much",
    fix: "sync this machine's clock (e.g. `timedatectl set-ntp true`, or chrony/ntpd)",
  };
  const status =
    Math.abs(skew) >= MAX_SKEW_SECONDS ? "fail" : Math.abs(skew) >= WARN_SKEW_SECONDS ? "warn" : "ok";
  run.record("clock", status, skew === 0 ? "in sync with the endpoint (±1 s)" : detail, advice);
}
