import { type Ref, ref } from "vue";
import { describeApiError } from "../api/errors.ts";
import { attempt, type Result } from "../api/result.ts";
import type { WebhookDelivery, WebhookEndpoint, WebhooksApi } from "../api/types.ts";

export interface UseWebhooksReturn {
  endpoints: Ref<WebhookEndpoint[]>;
  /** The secret of the endpoint just created or rotated: shown once, until dismissed. */
  secret: Ref<{ endpointId: string; value: string } | null>;
  /** The delivery log of the endpoint being looked at. */
  log: Ref<{ endpointId: string; items: WebhookDelivery[] } | null>;
  error: Ref<string | null>;
  load(): Promise<void>;
  /** `blocking`: verified files wait in quarantine until this endpoint answers allow or deny. */
  create(url: string, blocking?: boolean): Promise<Result<WebhookEndpoint>>;
  setEnabled(endpoint: WebhookEndpoint, enabled: boolean): Promise<Result<unknown>>;
  rotate(endpoint: WebhookEndpoint): Promise<Result<unknown>>;
  remove(endpoint: WebhookEndpoint): Promise<Result<unknown>>;
  sendTest(endpoint: WebhookEndpoint): Promise<Result<{ eventId: string; delivered: boolean }>>;
  showLog(endpointId: string): Promise<void>;
  replay(endpointId: string, eventId: string): Promise<Result<unknown>>;
  dismissSecret(): void;
}

/** The user's webhook endpoints, with the transport injected (the tRPC client, or a fake in tests). */
export function useWebhooks(options: { api: WebhooksApi }): UseWebhooksReturn {
  const { api } = options;
  const endpoints = ref<WebhookEndpoint[]>([]);
  const secret = ref<{ endpointId: string; value: string } | null>(null);
  const log = ref<{ endpointId: string; items: WebhookDelivery[] } | null>(null);
  const error = ref<string | null>(null);

  async function load() {
    const result = await attempt(() => api.list(undefined), describeApiError);
    if (result.ok) endpoints.value = result.value.items;
    error.value = result.ok ? null : result.error;
  }

  async function after<T>(result: Result<T>): Promise<Result<T>> {
    if (result.ok) await load();
    return result;
  }

  async function showLog(endpointId: string) {
    const result = await attempt(() => api.deliveries({ id: endpointId }), describeApiError);
    if (result.ok) log.value = { endpointId, items: result.value.items };
    error.value = result.ok ? null : result.error;
  }

  return {
    endpoints,
    secret,
    log,
    error,
    load,
    async create(url, blocking = false) {
      const result = await attempt(
        () => api.create({ url, ...(blocking ? { blocking } : {}) }),
        describeApiError,
      );
      if (result.ok) secret.value = { endpointId: result.value.id, value: result.value.secret };
      return after(result);
    },
    setEnabled: async (endpoint, enabled) =>
      after(await attempt(() => api.update({ id: endpoint.id, enabled }), describeApiError)),
    async rotate(endpoint) {
      const result = await attempt(() => api.rotateSecret({ id: endpoint.id }), describeApiError);
      if (result.ok) secret.value = { endpointId: endpoint.id, value: result.value.secret };
      return after(result);
    },
    async remove(endpoint) {
      const result = await attempt(() => api.delete({ id: endpoint.id }), describeApiError);
      if (result.ok && log.value?.endpointId === endpoint.id) log.value = null;
      return after(result);
    },
    async sendTest(endpoint) {
      const result = await attempt(() => api.test({ id: endpoint.id }), describeApiError);
      await showLog(endpoint.id);
      return result;
    },
    showLog,
    async replay(endpointId, eventId) {
      const result = await attempt(() => api.replay({ id: endpointId, eventId }), describeApiError);
      await showLog(endpointId);
      return result;
    },
    dismissSecret() {
      secret.value = null;
    },
  };
}
