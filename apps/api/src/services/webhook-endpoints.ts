/**
 * Webhook endpoints, each user's own (and operator-wide ones, owner null, from the CLI): the URL (checked by
 * webhook-url.ts), the event filter, the secret (shown once, at creation and rotation), the enabled flag, a test
 * event, the delivery log and replay.
 */
import { event, webhookAttempt, webhookDelivery, webhookEndpoint } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, desc, eq, isNull, lt, or } from "drizzle-orm";
import type { AppDeps } from "../deps.ts";
import type { ServiceContext } from "./context.ts";
import { draftEvent, eventStatements } from "./events.ts";
import { uuidv7 } from "./ids.ts";
import { deliverDue } from "./webhook-delivery.ts";
import { newWebhookSecret } from "./webhook-signing.ts";
import { refuseWebhookUrl } from "./webhook-url.ts";

/** How long the secret replaced by a rotation still signs, so receivers can switch without missing one. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

type EndpointRow = typeof webhookEndpoint.$inferSelect;

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string;
  eventTypes: string[];
  enabled: boolean;
  /** Verified files of its owner (every owner's, operator-wide) wait for its verdict in `quarantined`. */
  blocking: boolean;
  disabledReason: string | null;
  operatorWide: boolean;
  createdAt: string;
  /** Until when the secret replaced by the last rotation still signs beside the current one. */
  previousSecretUntil: string | null;
}

export function toEndpointView(row: EndpointRow): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    blocking: row.blocking,
    disabledReason: row.disabledReason,
    operatorWide: row.ownerId === null,
    createdAt: row.createdAt.toISOString(),
    previousSecretUntil: row.previousSecretUntil ? row.previousSecretUntil.toISOString() : null,
  };
}

export interface EndpointInput {
  url: string;
  description?: string | undefined;
  eventTypes?: string[] | undefined;
  blocking?: boolean | undefined;
}

type WebhookConfig = { config: Pick<AppDeps["config"], "webhooks"> };

async function checkUrl(deps: WebhookConfig, url: string): Promise<void> {
  const refusal = await refuseWebhookUrl(url, { allowPrivate: deps.config.webhooks.allowPrivate });
  if (refusal) throw new TRPCError({ code: "BAD_REQUEST", message: `url: ${refusal}` });
}

/** Creates an endpoint for `ownerId` (null: operator-wide); its secret is in the answer and nowhere else. */
export async function insertEndpoint(
  deps: Pick<AppDeps, "db" | "clock"> & WebhookConfig,
  ownerId: string | null,
  input: EndpointInput,
): Promise<WebhookEndpointView & { secret: string }> {
  await checkUrl(deps, input.url);
  const secret = newWebhookSecret();
  const [row] = await deps.db
    .insert(webhookEndpoint)
    .values({
      id: uuidv7(deps.clock()),
      ownerId,
      url: input.url,
      description: input.description ?? "",
      eventTypes: input.eventTypes ?? [],
      blocking: input.blocking ?? false,
      secret,
      createdAt: deps.clock(),
    })
    .returning();
  return { ...toEndpointView(row!), secret };
}

export const createEndpoint = (ctx: ServiceContext, input: EndpointInput) =>
  insertEndpoint(ctx, ctx.user.id, input);

/** One of the caller's endpoints; NOT_FOUND for anyone else's. */
async function ownEndpoint(ctx: ServiceContext, id: string): Promise<EndpointRow> {
  const [row] = await ctx.db
    .select()
    .from(webhookEndpoint)
    .where(and(eq(webhookEndpoint.id, id), eq(webhookEndpoint.ownerId, ctx.user.id)));
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: `id: no webhook endpoint ${id}` });
  return row;
}

/** The caller's endpoints (or, for the CLI, the operator-wide ones with `ownerId` null). */
export async function listEndpointRows(deps: Pick<AppDeps, "db">, ownerId: string | null | "all") {
  const rows = await deps.db
    .select()
    .from(webhookEndpoint)
    .where(
      ownerId === "all"
        ? undefined
        : ownerId === null
          ? isNull(webhookEndpoint.ownerId)
          : eq(webhookEndpoint.ownerId, ownerId),
    )
    .orderBy(desc(webhookEndpoint.createdAt));
  return rows;
}

export async function listEndpoints(ctx: ServiceContext): Promise<{ items: WebhookEndpointView[] }> {
  return { items: (await listEndpointRows(ctx, ctx.user.id)).map(toEndpointView) };
}

export async function updateEndpoint(
  ctx: ServiceContext,
  input: { id: string; enabled?: boolean | undefined } & Partial<EndpointInput>,
): Promise<WebhookEndpointView> {
  await ownEndpoint(ctx, input.id);
  if (input.url !== undefined) await checkUrl(ctx, input.url);
  const [row] = await ctx.db
    .update(webhookEndpoint)
    .set({
      ...(input.url === undefined ? {} : { url: input.url }),
      ...(input.description === undefined ? {} : { description: input.description }),
      ...(input.eventTypes === undefined ? {} : { eventTypes: input.eventTypes }),
      ...(input.enabled === undefined ? {} : { enabled: input.enabled, disabledReason: null }),
      ...(input.blocking === undefined ? {} : { blocking: input.blocking }),
    })
    .where(eq(webhookEndpoint.id, input.id))
    .returning();
  return toEndpointView(row!);
}

/** A new secret; the one it replaces keeps signing beside it for ROTATION_OVERLAP_MS. */
export async function rotateSecret(
  ctx: ServiceContext,
  id: string,
): Promise<WebhookEndpointView & { secret: string }> {
  const current = await ownEndpoint(ctx, id);
  const secret = newWebhookSecret();
  const [row] = await ctx.db
    .update(webhookEndpoint)
    .set({
      secret,
      previousSecret: current.secret,
      previousSecretUntil: new Date(ctx.clock().getTime() + ROTATION_OVERLAP_MS),
    })
    .where(eq(webhookEndpoint.id, id))
    .returning();
  return { ...toEndpointView(row!), secret };
}

export async function deleteEndpoint(ctx: ServiceContext, id: string): Promise<{ ok: true }> {
  await ownEndpoint(ctx, id);
  await ctx.db.delete(webhookEndpoint).where(eq(webhookEndpoint.id, id));
  return { ok: true };
}

/**
 * Sends a `webhook.test` event to one endpoint (the caller's, or any for the CLI) and makes its first attempt
 * now, within the attempt timeout. The answer says how that attempt went.
 */
export async function sendTestEvent(
  deps: Pick<AppDeps, "db" | "clock" | "logger"> & WebhookConfig,
  endpoint: EndpointRow,
): Promise<{ eventId: string; delivered: boolean }> {
  const test = draftEvent("webhook.test", deps.clock(), {
    ownerId: endpoint.ownerId,
    message: "A test event from Signet",
  });
  const [insert] = eventStatements(deps.db, { ...test, ownerId: endpoint.ownerId ?? "" });
  await deps.db.batch([
    insert,
    deps.db.insert(webhookDelivery).values({
      eventId: test.id,
      endpointId: endpoint.id,
      nextAttemptAt: test.at,
      createdAt: test.at,
    }),
  ]);
  const pass = await deliverDue(deps, {
    budgetMs: deps.config.webhooks.timeoutMs + 1000,
    eventIds: [test.id],
  });
  return { eventId: test.id, delivered: pass.delivered === 1 };
}

export async function testEndpoint(ctx: ServiceContext, id: string) {
  return sendTestEvent(ctx, await ownEndpoint(ctx, id));
}

export interface DeliveryLogEntry {
  eventId: string;
  type: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  attemptLog: { at: string; status: number | null; latencyMs: number; error: string | null }[];
}

/** The endpoint's recent deliveries, newest first, each with its attempts. */
export async function deliveryLogOf(
  deps: Pick<AppDeps, "db">,
  endpointId: string,
  limit = 50,
): Promise<{ items: DeliveryLogEntry[] }> {
  const deliveries = await deps.db
    .select({ delivery: webhookDelivery, type: event.type })
    .from(webhookDelivery)
    .innerJoin(event, eq(event.id, webhookDelivery.eventId))
    .where(eq(webhookDelivery.endpointId, endpointId))
    .orderBy(desc(webhookDelivery.createdAt), desc(webhookDelivery.eventId))
    .limit(limit);
  const attempts = await deps.db
    .select()
    .from(webhookAttempt)
    .where(eq(webhookAttempt.endpointId, endpointId))
    .orderBy(desc(webhookAttempt.at), desc(webhookAttempt.id))
    .limit(limit * 8);
  return {
    items: deliveries.map(({ delivery: d, type }) => ({
      eventId: d.eventId,
      type,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: d.status === "pending" ? d.nextAttemptAt.toISOString() : null,
      lastStatus: d.lastStatus,
      lastError: d.lastError,
      createdAt: d.createdAt.toISOString(),
      attemptLog: attempts
        .filter((a) => a.eventId === d.eventId)
        .map((a) => ({ at: a.at.toISOString(), status: a.status, latencyMs: a.latencyMs, error: a.error })),
    })),
  };
}

export async function listDeliveries(ctx: ServiceContext, input: { id: string; limit?: number | undefined }) {
  await ownEndpoint(ctx, input.id);
  return deliveryLogOf(ctx, input.id, input.limit ?? 50);
}

/** Makes a delivery due again now, from its first attempt (same event id: receivers de-duplicate on it). */
export async function replayDelivery(
  deps: Pick<AppDeps, "db" | "clock">,
  endpointId: string,
  eventId: string,
): Promise<{ ok: true }> {
  const replayed = await deps.db
    .update(webhookDelivery)
    .set({ status: "pending", attempts: 0, nextAttemptAt: deps.clock(), leaseUntil: null, leaseOwner: null })
    .where(
      and(
        eq(webhookDelivery.endpointId, endpointId),
        eq(webhookDelivery.eventId, eventId),
        // Not while an attempt is in flight: the lease is what keeps two attempts apart.
        or(isNull(webhookDelivery.leaseUntil), lt(webhookDelivery.leaseUntil, deps.clock())),
      ),
    )
    .returning({ eventId: webhookDelivery.eventId });
  if (replayed.length === 0) {
    throw new TRPCError({
      code: "NOT_FOUND",
      message: `eventId: no delivery of ${eventId} to this endpoint that is not being attempted right now`,
    });
  }
  return { ok: true };
}

export async function replay(ctx: ServiceContext, input: { id: string; eventId: string }) {
  await ownEndpoint(ctx, input.id);
  return replayDelivery(ctx, input.id, input.eventId);
}
