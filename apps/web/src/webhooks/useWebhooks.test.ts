import { describe, expect, it } from "vitest";
import type { WebhookEndpoint, WebhooksApi } from "../api/types.ts";
import { useWebhooks } from "./useWebhooks.ts";

/** An in-memory server for the composable: endpoints in an array, refusing URLs the way the API words it. */
function memoryApi(): WebhooksApi {
  const endpoints: WebhookEndpoint[] = [];
  const view = (id: string, url: string): WebhookEndpoint => ({
    id,
    url,
    description: "",
    eventTypes: [],
    enabled: true,
    blocking: false,
    disabledReason: null,
    operatorWide: false,
    createdAt: "2026-12-07T00:00:00.000Z",
    previousSecretUntil: null,
  });
  const find = (id: string) => endpoints.find((e) => e.id === id)!;
  return {
    list: async () => ({ items: [...endpoints] }),
    async create({ url, blocking }) {
      if (!url.startsWith("https:"))
        throw Object.assign(new Error("url: must use https"), { data: { code: "BAD_REQUEST" } });
      const endpoint = { ...view(`e${endpoints.length}`, url), blocking: blocking === true };
      endpoints.push(endpoint);
      return { ...endpoint, secret: "whsec_first" };
    },
    async update({ id, enabled }) {
      Object.assign(find(id), enabled === undefined ? {} : { enabled });
      return find(id);
    },
    rotateSecret: async ({ id }) => ({ ...find(id), secret: "whsec_second" }),
    async delete({ id }) {
      endpoints.splice(endpoints.indexOf(find(id)), 1);
      return { ok: true as const };
    },
    test: async () => ({ eventId: "evt_1", delivered: true }),
    deliveries: async () => ({ items: [] }),
    replay: async () => ({ ok: true as const }),
  };
}

describe("useWebhooks", () => {
  it("shows a secret once per create or rotation, and keeps the list in step", async () => {
    const webhooks = useWebhooks({ api: memoryApi() });
    const refused = await webhooks.create("http://example.com/hook");
    expect(refused).toEqual({ ok: false, error: "url: must use https" });
    expect(webhooks.secret.value).toBeNull();

    await webhooks.create("https://example.com/hook");
    expect(webhooks.secret.value).toEqual({ endpointId: "e0", value: "whsec_first" });
    expect(webhooks.endpoints.value.map((e) => e.url)).toEqual(["https://example.com/hook"]);
    webhooks.dismissSecret();

    const [endpoint] = webhooks.endpoints.value;
    await webhooks.setEnabled(endpoint!, false);
    expect(webhooks.endpoints.value[0]?.enabled).toBe(false);
    await webhooks.rotate(endpoint!);
    expect(webhooks.secret.value?.value).toBe("whsec_second");
    await webhooks.remove(endpoint!);
    expect(webhooks.endpoints.value).toEqual([]);
  });

  it("asks for a blocking endpoint (quarantine verdict) only when told to", async () => {
    const webhooks = useWebhooks({ api: memoryApi() });
    await webhooks.create("https://example.com/plain");
    await webhooks.create("https://example.com/scanner", true);
    expect(webhooks.endpoints.value.map((e) => [e.url, e.blocking])).toEqual([
      ["https://example.com/plain", false],
      ["https://example.com/scanner", true],
    ]);
  });
});
