/**
 * The one place that decides whether a failure is retried and after how long, for every retry the engine makes:
 * a PUT to the storage (network error, timeout, stall, 5xx, 429 with Retry-After, 403 expired URL) and an API
 * call the engine makes on its own (signing part URLs). Callers only count and obey.
 */
import { isAbortError, StorageRefusal } from "./errors.ts";
import { DEFAULT_RETRY_DELAYS } from "./retry.ts";

/** What happened to one request so far. */
export interface RetryHistory {
  /** Retries after a wait already made (each uses one of the policy's delays). */
  retries: number;
  /** Fresh URLs already asked for after an expired one. */
  resigns: number;
}

/** Retry after `delayMs`; with `resign`, ask the server for a fresh URL first (the old one expired). */
export interface RetryDecision {
  delayMs: number;
  resign: boolean;
}

export interface RetryPolicy {
  /** How to retry after `failure`, or null when it is final. */
  decide(failure: unknown, history: RetryHistory): RetryDecision | null;
}

export interface RetryPolicyOptions {
  /** The wait before each retry; its length is how many retries a request gets. Default 1 s, 3 s, 9 s. */
  delays?: readonly number[];
  /** Each wait is moved by up to ± this fraction, so many clients failing together do not retry together. */
  jitter?: number;
  /** Fresh URLs per request after expired ones (a URL expiring is not the request's fault). Default 3. */
  maxResigns?: number;
  /** A storage's Retry-After is obeyed up to this long (default 60 s); beyond it, the usual wait. */
  maxRetryAfterMs?: number;
  /** Injectable for tests: [0, 1), like Math.random. */
  random?: () => number;
  /** Injectable for tests: wall-clock milliseconds, for a Retry-After given as a date. */
  now?: () => number;
}

/** The HTTP status a failed API call carried (tRPC client errors keep it in `data.httpStatus`), if any. */
function apiStatus(error: unknown): number | undefined {
  const status = (error as { data?: { httpStatus?: unknown } | null } | null)?.data?.httpStatus;
  return typeof status === "number" ? status : undefined;
}

/** Retry-After in milliseconds (seconds or an HTTP date), or null when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date names its day and month; Date.parse alone would take "-1" for a year.
  const at = /[a-z]/i.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * Whether a failure may pass on its own: the storage briefly unavailable (5xx, 408, 429), no HTTP answer at
 * all (network, timeout, stall, a fetch TypeError), or an API call answered 5xx / 429. Other statuses are final.
 */
function mayRecover(failure: unknown): boolean {
  if (failure instanceof StorageRefusal) return failure.transient;
  const status = apiStatus(failure);
  return status === undefined || status >= 500 || status === 429;
}

/**
 * A policy with backoff and jitter.
 *
 * @example createRetryPolicy({ delays: [500, 2000, 8000], jitter: 0.2 })
 */
export function createRetryPolicy(options: RetryPolicyOptions = {}): RetryPolicy {
  const delays = options.delays ?? DEFAULT_RETRY_DELAYS;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0));
  const maxResigns = options.maxResigns ?? 3;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const jittered = (ms: number) => Math.round(ms * (1 - jitter + 2 * jitter * random()));
  return {
    decide(failure, history) {
      if (isAbortError(failure)) return null;
      if (failure instanceof StorageRefusal && failure.expired) {
        return history.resigns < maxResigns ? { delayMs: 0, resign: true } : null;
      }
      if (!mayRecover(failure) || history.retries >= delays.length) return null;
      const backoff = jittered(delays[history.retries]!);
      if (failure instanceof StorageRefusal) {
        // The storage said when: waiting less only earns another refusal, waiting more wastes time.
        const asked = retryAfterMs(failure.retryAfter, now());
        if (asked !== null && asked <= maxRetryAfterMs) return { delayMs: asked, resign: false };
      }
      return { delayMs: backoff, resign: false };
    },
  };
}

/** The engine's default: 1 s, 3 s, 9 s, each ± 20 %. */
export const DEFAULT_RETRY: RetryPolicyOptions = { delays: DEFAULT_RETRY_DELAYS, jitter: 0.2 };
export const defaultRetryPolicy: RetryPolicy = createRetryPolicy(DEFAULT_RETRY);

/** Counts one request's retries for a policy: `next(failure)` says what to do and records it. */
export function retryCounter(policy: RetryPolicy) {
  const history: RetryHistory = { retries: 0, resigns: 0 };
  return {
    get retries() {
      return history.retries;
    },
    next(failure: unknown): RetryDecision | null {
      const decision = policy.decide(failure, { ...history });
      if (decision?.resign) history.resigns++;
      else if (decision) history.retries++;
      return decision;
    },
  };
}
