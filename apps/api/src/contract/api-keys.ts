/** The apiKeys.* procedures: personal API keys (managed from a session, never with a key). */
import { z } from "@hono/zod-openapi";
import { nameSchema } from "../auth/name-rules.ts";
import { grantTimes, listOf, withSecretShownOnce } from "./common.ts";
import { contracts } from "./define.ts";

/** The shapes this domain answers, as the services build them. */
export type ApiKeyView = z.output<typeof apiKeyView>;
export type CreatedApiKey = z.output<typeof createdApiKey>;
export type ApiKeyList = z.output<typeof apiKeyList>;

export const createApiKeyInput = z.object({
  // A key's name follows the display-name rule: shown in lists beside the user's own name, so held to the same.
  name: nameSchema,
  scope: z.enum(["read", "upload", "full"], { error: "must be one of read, upload, full" }),
  expiresInDays: z.number().int("must be a whole number of days").min(1).max(3650).optional(),
});

export const apiKeyIdInput = z.object({ id: z.uuid("must be an API key id") });

export const apiKeyView = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scope: z.enum(["read", "upload", "full"]),
    ...grantTimes,
  })
  .openapi("ApiKey");

export const createdApiKey = withSecretShownOnce(apiKeyView, "CreatedApiKey", {
  key: "The key itself: shown this once, store it now",
});

export const apiKeyList = listOf(apiKeyView, "ApiKeyList");

// Mutations need `full`, and services/api-keys.ts refuses any API key outright: managing keys takes a session.
export const apiKeysContract = contracts("api-keys", {
  create: {
    kind: "mutation",
    access: "full",
    input: createApiKeyInput,
    output: createdApiKey,
    rest: {
      method: "post",
      path: "/api/api-keys",
      status: 201,
      summary: "Create a personal API key (the key is shown once)",
    },
  },
  list: {
    kind: "query",
    access: "read",
    output: apiKeyList,
    rest: { method: "get", path: "/api/api-keys", summary: "Your API keys (never the keys themselves)" },
  },
  revoke: {
    kind: "mutation",
    access: "full",
    input: apiKeyIdInput,
    output: apiKeyView,
    rest: { method: "delete", path: "/api/api-keys/{id}", summary: "Revoke an API key" },
  },
});
