import { describe, expect, it } from "vitest";
import type { ApiKey, ApiKeysApi, CreatedApiKey } from "../api/types.ts";
import { keyState, useApiKeys } from "./useApiKeys.ts";

/** An in-memory server with the API's rules for keys. */
function memoryApi(): ApiKeysApi & { store: ApiKey[] } {
  const store: ApiKey[] = [];
  let n = 0;
  return {
    store,
    async list() {
      return { items: [...store] };
    },
    async create(input) {
      n++;
      const view: ApiKey = {
        id: `00000000-0000-7000-8000-00000000000${n}`,
        name: input.name,
        prefix: `sgk_abc${n}`,
        scope: input.scope,
        createdAt: "2026-01-01T00:00:00.000Z",
        expiresAt: input.expiresInDays ? "2026-01-31T00:00:00.000Z" : null,
        revokedAt: null,
      };
      store.unshift(view);
      return { ...view, key: `sgk_abc${n}secret` } satisfies CreatedApiKey;
    },
    async revoke({ id }) {
      const key = store.find((k) => k.id === id);
      if (!key) throw new Error("No such API key");
      key.revokedAt = "2026-01-02T00:00:00.000Z";
      return { ...key };
    },
  };
}

describe("useApiKeys", () => {
  it("shows a new key once, lists it without the secret, and revokes it", async () => {
    const api = memoryApi();
    const keys = useApiKeys({ api });
    await keys.load();
    const made = await keys.create({ name: "  backup job ", scope: "upload", expiresInDays: 30 });
    expect(made.ok).toBe(true);
    expect(keys.created.value?.key).toBe("sgk_abc1secret");
    expect(api.store[0]).toMatchObject({ name: "backup job", scope: "upload" });
    expect(JSON.stringify(keys.keys.value)).not.toContain("secret");
    keys.dismissCreated();
    expect(keys.created.value).toBeNull();
    await keys.load();
    expect(keys.keys.value).toHaveLength(1);

    expect((await keys.revoke(api.store[0]!.id)).ok).toBe(true);
    expect(keyState(keys.keys.value[0]!)).toBe("Revoked");
  });

  it("asks for a name before calling the server, and reports the server's refusal", async () => {
    const api = memoryApi();
    const keys = useApiKeys({ api });
    expect(await keys.create({ name: "  ", scope: "read", expiresInDays: null })).toMatchObject({
      ok: false,
    });
    expect(api.store).toHaveLength(0);
    const missing = await keys.revoke("nope");
    expect(missing).toMatchObject({ ok: false, error: expect.stringMatching(/No such API key/) });
  });

  it("tells expired keys from active ones", () => {
    const key = { revokedAt: null, expiresAt: "2026-01-31T00:00:00.000Z" } as ApiKey;
    expect(keyState(key, new Date("2026-01-30T00:00:00Z"))).toBe("Active");
    expect(keyState(key, new Date("2026-02-01T00:00:00Z"))).toBe("Expired");
  });
});
