import type { AppRouter } from "@signet/api";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type {
  ApiKeysApi,
  AuditApi,
  Domain,
  FilesApi,
  FoldersApi,
  LimitsApi,
  ProcedureName,
  Procedures,
  ProfileApi,
  ThumbnailApi,
  UploadApi,
  WebhooksApi,
} from "./types.ts";

let onUnauthorized: () => void = () => {};

/** Registers what to do when the server says the session is gone (the app sends the user to sign in). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/** The one typed tRPC client; same origin, so the session cookie rides along. */
export const trpc = createTRPCClient<AppRouter>({
  links: [
    httpBatchLink({
      url: "/trpc",
      // A session can end while the page is open (expiry, sign-out in another tab); every call then fails
      // the same way, so it is handled once here rather than in each page.
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (response.status === 401) onUnauthorized();
        return response;
      },
    }),
  ],
});

type Client = typeof trpc;

type Method = "query" | "mutate";

/** The procedures of router `D` that the client calls with `method`: its queries, or its mutations. */
type Named<D extends Domain, M extends Method> = Extract<
  { [K in keyof Client[D]]: Client[D][K] extends Record<M, unknown> ? K : never }[keyof Client[D]],
  string
>;

type Call = (input: unknown) => Promise<unknown>;

/**
 * Binds named queries and mutations of one router as plain async functions. This is where the compiler checks the
 * contract: a name that is not a query (or a mutation) of that router, or a procedure whose input or output has
 * drifted from the seam a composable expects, stops this file type-checking.
 */
function bind<D extends Domain, Q extends Named<D, "query">, M extends Named<D, "mutate">>(
  domain: D,
  names: { queries?: Q[]; mutations?: M[] },
) {
  const router = trpc[domain] as unknown as Record<string, Record<Method, Call>>;
  const calls = (method: Method, list: string[] = []) =>
    list.map((name) => [name, (input: unknown) => (router[name] as Record<Method, Call>)[method](input)]);
  const bound = Object.fromEntries([...calls("query", names.queries), ...calls("mutate", names.mutations)]);
  return bound as Procedures<D, Extract<Q | M, ProcedureName<D>>>;
}

export const uploadApi: UploadApi = bind("files", {
  queries: ["listParts"],
  mutations: ["createUpload", "completeUpload", "abortUpload", "signParts"],
});

export const filesApi: FilesApi = bind("files", {
  queries: ["list", "search", "downloadUrl", "shareUrl"],
  mutations: ["deleteMany", "move", "rename", "update", "delete"],
});

export const thumbnailApi: ThumbnailApi = bind("files", {
  queries: ["thumbnailUrls"],
  mutations: ["createThumbnailUpload", "completeThumbnailUpload"],
});

export const profileApi: ProfileApi = bind("profile", {
  queries: ["get", "imageHistory"],
  mutations: ["update", "createImageUpload", "completeImageUpload", "removeImage", "restoreImage"],
});

export const auditApi: AuditApi = bind("audit", { queries: ["list"] });

export const apiKeysApi: ApiKeysApi = bind("apiKeys", { queries: ["list"], mutations: ["create", "revoke"] });

export const webhooksApi: WebhooksApi = bind("webhooks", {
  queries: ["list", "deliveries"],
  mutations: ["create", "update", "rotateSecret", "delete", "test", "replay"],
});

export const limitsApi: LimitsApi = {
  get: () => trpc.limits.query(),
};

export const foldersApi: FoldersApi = {
  ...bind("folders", { queries: ["list"], mutations: ["create", "ensurePath", "rename", "delete"] }),
  usage: () => trpc.files.usage.query(),
};
