import { publicProcedure } from "../init.ts";

export const healthRouter = publicProcedure.query(({ ctx }) => ({
  ok: true as const,
  storage: ctx.config.storage,
  database: ctx.config.database,
}));
