import { serviceContract } from "../../contract/service.ts";
import { procedure } from "../init.ts";

/**
 * The facts /readyz reports: whether the database and the bucket answer now (one shared check). Public, so
 * without the dependencies' error texts; /readyz shows them to whoever may read /metrics, and the log has them.
 */
export const healthRouter = procedure(serviceContract.health, async (ctx) => {
  const ready = await ctx.observer?.readiness();
  return {
    ok: ready?.ok ?? true,
    storage: ctx.config.storage,
    database: ctx.config.database,
    ...(ready
      ? { checks: { database: { ok: ready.checks.database.ok }, bucket: { ok: ready.checks.bucket.ok } } }
      : {}),
  };
});
