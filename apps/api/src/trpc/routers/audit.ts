import { auditContract as c } from "../../contract/audit.ts";
import { listAudit } from "../../services/audit.ts";
import { procedure, router } from "../init.ts";

export const auditRouter = router({
  list: procedure(c.list, (ctx, input) => listAudit(ctx.db, ctx.user.id, input ?? {})),
});
