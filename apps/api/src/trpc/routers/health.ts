import { serviceContract } from "../../contract/service.ts";
import { procedure } from "../init.ts";

export const healthRouter = procedure(serviceContract.health, (ctx) => ({
  ok: true as const,
  storage: ctx.config.storage,
  database: ctx.config.database,
}));
