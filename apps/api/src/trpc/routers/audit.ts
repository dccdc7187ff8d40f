import { listAudit } from "../../services/audit.ts";
import { protectedProcedure, router } from "../init.ts";
import { pageInput } from "../schemas.ts";

export const auditRouter = router({
  list: protectedProcedure
    .input(pageInput)
    .query(({ ctx, input }) => listAudit(ctx.db, ctx.user.id, input ?? {})),
});
