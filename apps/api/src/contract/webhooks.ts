/** The webhooks.* procedures: the caller's webhook endpoints, their test event, delivery log and replay. */
import { z } from "@hono/zod-openapi";
import { iso, listOf, okBody, withSecretShownOnce } from "./common.ts";
import { contracts } from "./define.ts";

/** What Signet tells endpoints about; `webhook.test` is the event an owner sends to try an endpoint. */
export const EVENT_TYPES = [
  "file.ready",
  "file.quarantined",
  "file.rejected",
  "file.deleted",
  "upload.expired",
  "profile.image.changed",
  "account.deleted",
  "webhook.test",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The longest endpoint URL taken (services/webhook-url.ts holds the other rules). */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

const SUBSCRIBABLE = EVENT_TYPES as unknown as [string, ...string[]];

const url = z
  .string({ error: "must be a URL" })
  .max(MAX_WEBHOOK_URL_LENGTH, `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`)
  .openapi({ example: "https://example.com/hooks/signet" });
const eventTypes = z
  .array(z.enum(SUBSCRIBABLE, { error: `must be one of ${SUBSCRIBABLE.join(", ")}` }))
  .max(SUBSCRIBABLE.length)
  .openapi({ description: "The event types sent to this endpoint; empty: all of them" });
const description = z.string().trim().max(200, "must be at most 200 characters");
const blocking = z.boolean({ error: "must be true or false" }).openapi({
  description:
    "Verified files wait in `quarantined` until this endpoint answers a file.quarantined delivery with a verdict (docs/webhooks.md)",
});
const endpointId = z.uuid("must be a webhook endpoint id");

export const createWebhookInput = z.object({
  url,
  description: description.optional(),
  eventTypes: eventTypes.optional(),
  blocking: blocking.optional(),
});
export const updateWebhookInput = z.object({
  id: endpointId,
  url: url.optional(),
  description: description.optional(),
  eventTypes: eventTypes.optional(),
  enabled: z.boolean({ error: "must be true or false" }).optional(),
  blocking: blocking.optional(),
});
export const webhookIdInput = z.object({ id: endpointId });
export const deliveriesInput = z.object({
  id: endpointId,
  limit: z.number().int().min(1).max(100).optional(),
});
export const replayInput = z.object({
  id: endpointId,
  eventId: z.string().regex(/^evt_[0-9a-f]{32}$/, "must be an event id (evt_…)"),
});

export const webhookEndpointView = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(z.string()),
    enabled: z.boolean(),
    blocking: z.boolean(),
    disabledReason: z.string().nullable(),
    operatorWide: z.boolean(),
    createdAt: iso,
    previousSecretUntil: iso.nullable(),
  })
  .openapi("WebhookEndpoint");

export const webhookWithSecret = withSecretShownOnce(webhookEndpointView, "WebhookEndpointWithSecret", {
  secret: "The signing secret (whsec_…): shown this once, store it now",
});

export const webhookList = listOf(webhookEndpointView, "WebhookEndpointList");

export const testResult = z
  .object({ eventId: z.string(), delivered: z.boolean() })
  .openapi("WebhookTestResult");

export const deliveryLog = z
  .object({
    items: z.array(
      z.object({
        eventId: z.string(),
        type: z.string(),
        status: z.string().openapi({ description: "pending, delivered or dead" }),
        attempts: z.number(),
        nextAttemptAt: iso.nullable(),
        lastStatus: z.number().nullable(),
        lastError: z.string().nullable(),
        createdAt: iso,
        attemptLog: z.array(
          z.object({
            at: iso,
            status: z.number().nullable(),
            latencyMs: z.number(),
            error: z.string().nullable(),
          }),
        ),
      }),
    ),
  })
  .openapi("WebhookDeliveryLog");

export const webhooksContract = contracts("webhooks", {
  list: {
    kind: "query",
    access: "read",
    output: webhookList,
    rest: {
      method: "get",
      path: "/api/webhooks",
      summary: "Your webhook endpoints (never their secrets)",
    },
  },
  create: {
    kind: "mutation",
    access: "full",
    input: createWebhookInput,
    output: webhookWithSecret,
    rest: {
      method: "post",
      path: "/api/webhooks",
      status: 201,
      summary: "Add a webhook endpoint (its signing secret is shown once)",
    },
  },
  update: {
    kind: "mutation",
    access: "full",
    input: updateWebhookInput,
    output: webhookEndpointView,
    rest: {
      method: "patch",
      path: "/api/webhooks/{id}",
      summary: "Change or enable/disable an endpoint",
    },
  },
  rotateSecret: {
    kind: "mutation",
    access: "full",
    input: webhookIdInput,
    output: webhookWithSecret,
    rest: {
      method: "post",
      path: "/api/webhooks/{id}/rotate-secret",
      summary: "A new signing secret (shown once); the previous one still signs for 24 hours",
    },
  },
  delete: {
    kind: "mutation",
    access: "full",
    input: webhookIdInput,
    output: okBody,
    rest: { method: "delete", path: "/api/webhooks/{id}", summary: "Remove an endpoint and its log" },
  },
  test: {
    kind: "mutation",
    access: "full",
    input: webhookIdInput,
    output: testResult,
    rest: { method: "post", path: "/api/webhooks/{id}/test", summary: "Send a webhook.test event now" },
  },
  deliveries: {
    kind: "query",
    access: "read",
    input: deliveriesInput,
    output: deliveryLog,
    rest: {
      method: "get",
      path: "/api/webhooks/{id}/deliveries",
      summary: "The endpoint's recent deliveries, each with its attempts",
    },
  },
  replay: {
    kind: "mutation",
    access: "full",
    input: replayInput,
    output: okBody,
    rest: {
      method: "post",
      path: "/api/webhooks/{id}/deliveries/{eventId}/replay",
      summary: "Deliver an event to this endpoint again (same event id)",
    },
  },
});
