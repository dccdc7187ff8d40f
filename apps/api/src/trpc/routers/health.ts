import { publicProcedure } from "../init.ts";

/** The facts /readyz reports: whether the database and the bucket answer now (shared with /readyz). */
export const healthRouter = publicProcedure.query(async ({ ctx }) => {
  const ready = await ctx.observer?.readiness();
  return {
    ok: ready?.ok ?? true,
    storage: ctx.config.storage,
    database: ctx.config.database,
    ...(ready ? { checks: ready.checks } : {}),
  };
});
