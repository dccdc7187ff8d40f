/**
 * @signet/local-s3: an embedded S3-compatible endpoint, as strict as R2 about SigV4, CORS, conditional and
 * checksummed writes, and multipart rules, storing objects on disk.
 */
import { createS3App, type LocalS3Options } from "./app.ts";
import type { ListenOptions, RunningServer } from "./node.ts";

export type { Credentials, LocalS3Options } from "./app.ts";
export { generateCredentials } from "./credentials.ts";
export type { ListenOptions, RunningServer } from "./node.ts";

export interface LocalS3 {
  /** Handles one request; runtime-agnostic (Node, Bun, Deno, or in process). */
  fetch(request: Request): Promise<Response>;
  /** Serves the endpoint over HTTP on Node; port 0 picks a free port. */
  listen(options: ListenOptions): Promise<RunningServer>;
}

/** Creates an endpoint over `dir` accepting the given credentials. */
export function createLocalS3(options: LocalS3Options): LocalS3 {
  const { fetch } = createS3App(options);
  return {
    fetch,
    // Loaded on demand so that importing the package under Bun or Deno does not pull in the Node server.
    listen: async (listenOptions) => (await import("./node.ts")).listenNode(fetch, listenOptions),
  };
}
