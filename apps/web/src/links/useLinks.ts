/**
 * The owner's links: share links to files (`/s/<token>`) and upload requests for guests (`/u/<token>`), listed
 * with their downloads and uploads, created (the URL is shown once) and revoked.
 */
import type { AppRouter } from "@signet/api";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { ref } from "vue";
import { trpc } from "../api/client.ts";
import { describeApiError } from "../api/errors.ts";
import { attempt as attemptWith, type Result } from "../api/result.ts";

const attempt = <T>(run: () => Promise<T>) => attemptWith(run, describeApiError);

type Outputs = inferRouterOutputs<AppRouter>;
type Inputs = inferRouterInputs<AppRouter>;
export type ShareLink = Outputs["shares"]["list"]["items"][number];
export type UploadRequest = Outputs["uploadRequests"]["list"]["items"][number];
export type NewShareLink = Inputs["shares"]["create"];
export type NewUploadRequest = Inputs["uploadRequests"]["create"];

export function useLinks() {
  const shares = ref<ShareLink[]>([]);
  const requests = ref<UploadRequest[]>([]);
  const error = ref<string | null>(null);

  async function refresh() {
    const [s, r] = await Promise.all([
      attempt(() => trpc.shares.list.query({})),
      attempt(() => trpc.uploadRequests.list.query()),
    ]);
    error.value = !s.ok ? s.error : !r.ok ? r.error : null;
    if (s.ok) shares.value = s.value.items;
    if (r.ok) requests.value = r.value.items;
  }

  async function createShare(input: NewShareLink): Promise<Result<string>> {
    const made = await attempt(() => trpc.shares.create.mutate(input));
    if (made.ok) await refresh();
    return made.ok ? { ok: true, value: made.value.url } : made;
  }

  async function createRequest(input: NewUploadRequest): Promise<Result<string>> {
    const made = await attempt(() => trpc.uploadRequests.create.mutate(input));
    if (made.ok) await refresh();
    return made.ok ? { ok: true, value: made.value.url } : made;
  }

  async function revokeShare(id: string) {
    const done = await attempt(() => trpc.shares.revoke.mutate({ id }));
    error.value = done.ok ? null : done.error;
    await refresh();
  }

  async function revokeRequest(id: string) {
    const done = await attempt(() => trpc.uploadRequests.revoke.mutate({ id }));
    error.value = done.ok ? null : done.error;
    await refresh();
  }

  return { shares, requests, error, refresh, createShare, createRequest, revokeShare, revokeRequest };
}
