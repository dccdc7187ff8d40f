/**
 * A guest's side of an upload request (`/u/<token>`): the token (and the password, when the request has one) is
 * all the guest holds. The guest procedures stand in for `files.*` behind the same upload engine, and unfinished
 * uploads in parts are remembered in an IndexedDB store of the guest's own, apart from a signed-in user's.
 */
import type { AppRouter } from "@signet/api";
import type { ResumeRecord, ResumeStore } from "@signet/client";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type { inferRouterOutputs } from "@trpc/server";
import { createStore, del, entries, get, set, type UseStore } from "idb-keyval";
import type { UploadApi } from "../api/types.ts";

export type GuestRequest = inferRouterOutputs<AppRouter>["guestUploads"]["describe"];

// A client of its own: a guest has no session, so a 401 (a wrong password) must not send them to sign in.
const guestTrpc = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/trpc" })] });

export function describeRequest(token: string): Promise<GuestRequest> {
  return guestTrpc.guestUploads.describe.query({ token });
}

/** The upload procedures for one request; `password` is read at each new upload, so it can be typed later. */
export function guestUploadApi(token: string, password: () => string): UploadApi {
  const g = guestTrpc.guestUploads;
  return {
    createUpload: (input) =>
      g.createUpload.mutate({ ...input, token, ...(password() ? { password: password() } : {}) }),
    completeUpload: ({ fileId }) => g.completeUpload.mutate({ token, fileId }),
    abortUpload: ({ fileId }) => g.abortUpload.mutate({ token, fileId }),
    signParts: (input) => g.signParts.mutate({ ...input, token }),
    listParts: ({ fileId }) => g.listParts.query({ token, fileId }),
  };
}

let opened: UseStore | null = null;

/** Guests' interrupted uploads, kept apart from the signed-in user's store (`signet-uploads`). */
export const guestResumeStore: ResumeStore = {
  get: (fingerprint) => get<ResumeRecord>(fingerprint, store()),
  set: (fingerprint, record) => set(fingerprint, record, store()),
  delete: (fingerprint) => del(fingerprint, store()),
  async list() {
    return (await entries<string, ResumeRecord>(store())).map(([, record]) => record);
  },
};

function store(): UseStore {
  opened ??= createStore("signet-guest-uploads", "interrupted");
  return opened;
}
