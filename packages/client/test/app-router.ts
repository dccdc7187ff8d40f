/**
 * The API's router type for the tests' typed tRPC client. Imported by path rather than as a package
 * dependency: @signet/api depends on @signet/client (its `signet upload` command), so the reverse edge would be
 * a cycle in the workspace graph.
 */
export type { AppRouter } from "../../../apps/api/src/index.ts";
