/**
 * Delivers the outbox to the endpoints, at least once. Each attempt first claims its delivery with one
 * conditional UPDATE (`lease_until < now`), so several instances, a request's first attempt and Workers' cron
 * never attempt the same delivery at the same moment. An attempt is one POST signed per Standard Webhooks, with
 * a timeout and no redirects followed: 2xx delivers, 410 disables the endpoint, anything else (or no answer) is
 * retried after a growing delay with jitter, about a day in all, then the delivery is dead-lettered. A
 * `file.quarantined` delivery to a blocking endpoint is a verdict request (quarantine.ts): delivered only when
 * the answer holds a verdict.
 */
import { event, webhookAttempt, webhookDelivery, webhookEndpoint } from "@signet/db";
import { and, asc, eq, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { AppDeps } from "../deps.ts";
import { observeDeliveryAttempt } from "../observability/audit-hook.ts";
import { uuidv7 } from "./ids.ts";
import { applyVerdict, parseVerdict, verdictRequestBody, waitingFile } from "./quarantine.ts";
import { signedHeaders } from "./webhook-signing.ts";
import { refuseWebhookUrl } from "./webhook-url.ts";

/** Seconds to wait after each failed attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h (about 31 h in all). */
export const RETRY_DELAYS_S = [5, 300, 1800, 7200, 18_000, 36_000, 50_400];

export type DeliveryDeps = Pick<AppDeps, "db" | "clock" | "logger"> & {
  config: Pick<AppDeps["config"], "webhooks">;
  /** Signs the verdict requests' GETs and deletes denied objects; without it (the CLI) they wait for the server. */
  storage?: AppDeps["storage"];
  events?: AppDeps["events"];
  /** The transport (the runtime's fetch); a parameter so a runtime can supply its own. */
  fetch?: typeof fetch;
};

export type AttemptOutcome = "delivered" | "retry" | "dead" | "busy";

interface DeliveryKey {
  eventId: string;
  endpointId: string;
}

/** ±20 % so that retries of many deliveries failing together do not come back together. */
function jittered(seconds: number): number {
  return Math.round(seconds * 1000 * (0.8 + Math.random() * 0.4));
}

/** Joins a delivery to its endpoint, whose `enabled` `dueToEnabled` reads. */
export const toEndpoint = eq(webhookEndpoint.id, webhookDelivery.endpointId);

/** Pending and past its next attempt time at `now`. */
function due(now: Date) {
  return and(eq(webhookDelivery.status, "pending"), lte(webhookDelivery.nextAttemptAt, now));
}

/**
 * Due at `now` to an enabled endpoint (joined by `toEndpoint`): a disabled endpoint's deliveries wait for it on
 * purpose, neither attempted nor late.
 */
export function dueToEnabled(now: Date) {
  return and(due(now), eq(webhookEndpoint.enabled, true));
}

/** Nobody holds the delivery's lease at `now`. */
function unleased(now: Date) {
  return or(isNull(webhookDelivery.leaseUntil), lt(webhookDelivery.leaseUntil, now));
}

/** Claims the delivery for `owner` when it is due and nobody holds it; false when someone else has it. */
async function claim(deps: DeliveryDeps, key: DeliveryKey, owner: string, leaseMs: number): Promise<boolean> {
  const now = deps.clock();
  const claimed = await deps.db
    .update(webhookDelivery)
    .set({ leaseUntil: new Date(now.getTime() + leaseMs), leaseOwner: owner })
    .where(
      and(
        eq(webhookDelivery.eventId, key.eventId),
        eq(webhookDelivery.endpointId, key.endpointId),
        due(now),
        unleased(now),
      ),
    )
    .returning({ eventId: webhookDelivery.eventId });
  return claimed.length === 1;
}

/** What went wrong, in words fit for the delivery log (never the URL: it may carry a token in its path). */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error instanceof Error ? error.message : String(error)}${cause}`.slice(0, 300);
}

/**
 * One POST, no redirect followed, within `timeoutMs`; `error` is null exactly when the receiver took it.
 * `answer`: the answer's body (read only when `readAnswer`, for a verdict).
 */
async function post(
  deps: DeliveryDeps,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  readAnswer = false,
): Promise<{ status: number | null; error: string | null; answer?: string }> {
  // Checked again at each attempt: the host may resolve elsewhere now than when the endpoint was saved.
  const refusal = await refuseWebhookUrl(url, { allowPrivate: deps.config.webhooks.allowPrivate });
  if (refusal) return { status: null, error: `url refused: ${refusal}` };
  try {
    const response = await (deps.fetch ?? fetch)(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "user-agent": "Signet-Webhooks/1" },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const ok = response.status >= 200 && response.status <= 299;
    if (ok && readAnswer) return { status: response.status, error: null, answer: await response.text() };
    await response.body?.cancel().catch(() => {});
    return { status: response.status, error: ok ? null : `answered ${response.status}` };
  } catch (failure) {
    return { status: null, error: describeFailure(failure, timeoutMs) };
  }
}

/**
 * One attempt at one delivery, if this caller can claim it. `timeoutMs` bounds the attempt (the configured
 * timeout, or less when the caller's budget is nearly spent).
 */
export async function attemptDelivery(
  deps: DeliveryDeps,
  key: DeliveryKey,
  owner: string,
  timeoutMs = deps.config.webhooks.timeoutMs,
): Promise<AttemptOutcome> {
  // The lease outlives the attempt's timeout, so it cannot lapse while the request is still in flight.
  if (!(await claim(deps, key, owner, timeoutMs + 5_000))) return "busy";
  const [row] = await deps.db
    .select({ delivery: webhookDelivery, event, endpoint: webhookEndpoint })
    .from(webhookDelivery)
    .innerJoin(event, eq(event.id, webhookDelivery.eventId))
    .innerJoin(webhookEndpoint, eq(webhookEndpoint.id, webhookDelivery.endpointId))
    .where(and(eq(webhookDelivery.eventId, key.eventId), eq(webhookDelivery.endpointId, key.endpointId)));
  if (!row) return "busy";
  const { delivery, endpoint } = row;
  const now = deps.clock();
  const ours = and(
    eq(webhookDelivery.eventId, key.eventId),
    eq(webhookDelivery.endpointId, key.endpointId),
    eq(webhookDelivery.leaseOwner, owner),
  );
  if (!endpoint.enabled) {
    // Switched off meanwhile: the delivery waits for it to be enabled again (or for its log to expire).
    await deps.db.update(webhookDelivery).set({ leaseUntil: null, leaseOwner: null }).where(ours);
    return "busy";
  }

  // A verdict request while its file still waits; otherwise (judged already, deleted) a plain event.
  const judged =
    endpoint.blocking && row.event.type === "file.quarantined"
      ? await waitingFile(deps, row.event.fileId)
      : undefined;
  const storage = deps.storage;
  if (judged && !storage) {
    await deps.db.update(webhookDelivery).set({ leaseUntil: null, leaseOwner: null }).where(ours);
    return "busy";
  }
  const body =
    judged && storage
      ? await verdictRequestBody({ storage, clock: deps.clock }, row.event.payload, judged)
      : JSON.stringify(row.event.payload);
  const secrets =
    endpoint.previousSecret && endpoint.previousSecretUntil && endpoint.previousSecretUntil > now
      ? [endpoint.secret, endpoint.previousSecret]
      : [endpoint.secret];
  const headers = await signedHeaders(secrets, { id: row.event.id, timestamp: now, body });
  const started = performance.now();
  const answered = await post(deps, endpoint.url, headers, body, timeoutMs, judged !== undefined);
  const latencyMs = Math.round(performance.now() - started);
  const { status } = answered;
  let { error } = answered;
  if (judged && storage && error === null) {
    const verdict = parseVerdict(answered.answer ?? "");
    if (verdict)
      await applyVerdict({ db: deps.db, storage, clock: deps.clock, events: deps.events }, judged, verdict);
    else error = `answered ${status} without a verdict`;
  }

  const attempts = delivery.attempts + 1;
  const gone = status === 410;
  const outcome: AttemptOutcome =
    error === null ? "delivered" : gone || attempts > RETRY_DELAYS_S.length ? "dead" : "retry";
  const delay = RETRY_DELAYS_S[attempts - 1] ?? 0;
  await deps.db.batch([
    deps.db
      .update(webhookDelivery)
      .set({
        status: outcome === "retry" ? "pending" : outcome === "delivered" ? "delivered" : "dead",
        attempts,
        lastStatus: status,
        lastError: error,
        leaseUntil: null,
        leaseOwner: null,
        nextAttemptAt:
          outcome === "retry" ? new Date(now.getTime() + jittered(delay)) : delivery.nextAttemptAt,
        deliveredAt: outcome === "delivered" ? now : null,
      })
      .where(ours),
    deps.db.insert(webhookAttempt).values({
      id: uuidv7(now),
      eventId: key.eventId,
      endpointId: key.endpointId,
      at: now,
      status,
      latencyMs,
      error,
    }),
    ...(gone
      ? [
          deps.db
            .update(webhookEndpoint)
            .set({ enabled: false, disabledReason: "the receiver answered 410 Gone" })
            .where(eq(webhookEndpoint.id, endpoint.id)),
        ]
      : []),
  ]);
  observeDeliveryAttempt(
    deps.db,
    { outcome, gone, timedOut: error?.startsWith("no answer within") ?? false },
    (deps.clock().getTime() - row.event.at.getTime()) / 1000,
  );
  if (outcome === "dead") {
    deps.logger({
      level: "warn",
      msg: "webhook delivery dead-lettered",
      eventId: key.eventId,
      endpointId: endpoint.id,
    });
  }
  return outcome;
}

export interface DeliveryPass {
  attempted: number;
  delivered: number;
}

/**
 * Attempts every due delivery (or only those of `eventIds`), `concurrency` at a time, until none is left or the
 * budget is spent. No attempt outlives the budget: its timeout is cut to what is left.
 */
export async function deliverDue(
  deps: DeliveryDeps,
  options: { budgetMs: number; eventIds?: string[]; concurrency?: number; owner?: string },
): Promise<DeliveryPass> {
  const deadline = performance.now() + options.budgetMs;
  const owner = options.owner ?? crypto.randomUUID();
  const concurrency = options.concurrency ?? 8;
  const pass: DeliveryPass = { attempted: 0, delivered: 0 };
  const tried = new Set<string>();
  while (performance.now() < deadline - 100) {
    const now = deps.clock();
    const due = await deps.db
      .select({ eventId: webhookDelivery.eventId, endpointId: webhookDelivery.endpointId })
      .from(webhookDelivery)
      .innerJoin(webhookEndpoint, toEndpoint)
      .where(
        and(
          dueToEnabled(now),
          unleased(now),
          options.eventIds
            ? sql`${webhookDelivery.eventId} in ${options.eventIds.length ? options.eventIds : [""]}`
            : undefined,
        ),
      )
      .orderBy(asc(webhookDelivery.nextAttemptAt))
      .limit(100);
    // Each delivery once per pass: one that failed now is due again only after its delay anyway.
    const fresh = due.filter((d) => !tried.has(`${d.eventId} ${d.endpointId}`));
    if (fresh.length === 0) break;
    for (let i = 0; i < fresh.length; i += concurrency) {
      const left = deadline - performance.now();
      if (left < 100) break;
      const timeout = Math.min(deps.config.webhooks.timeoutMs, Math.floor(left));
      const outcomes = await Promise.all(
        fresh.slice(i, i + concurrency).map((d) => {
          tried.add(`${d.eventId} ${d.endpointId}`);
          return attemptDelivery(deps, d, owner, timeout).catch((error: unknown) => {
            deps.logger({
              level: "warn",
              msg: "webhook attempt failed",
              eventId: d.eventId,
              error: String(error),
            });
            return "busy" as const;
          });
        }),
      );
      for (const o of outcomes) {
        if (o !== "busy") pass.attempted++;
        if (o === "delivered") pass.delivered++;
      }
    }
  }
  return pass;
}

/** Forgets delivery log rows, and finished events, older than WEBHOOK_LOG_DAYS. */
export async function pruneDeliveryLog(
  deps: Pick<AppDeps, "db" | "clock"> & { config: Pick<AppDeps["config"], "webhooks"> },
): Promise<void> {
  const cutoff = new Date(deps.clock().getTime() - deps.config.webhooks.logDays * 86_400_000);
  await deps.db.batch([
    deps.db.delete(webhookAttempt).where(lt(webhookAttempt.at, cutoff)),
    deps.db
      .delete(event)
      .where(
        and(
          lt(event.at, cutoff),
          sql`not exists (select 1 from ${webhookDelivery} where ${webhookDelivery.eventId} = ${event.id} and ${webhookDelivery.status} = 'pending')`,
        ),
      ),
  ]);
}
