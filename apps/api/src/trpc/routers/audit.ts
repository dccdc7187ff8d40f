import { listAudit } from "../../services/audit.ts";
import { router, userQuery } from "../init.ts";
import { pageInput } from "../schemas.ts";

export const auditRouter = router({
  list: userQuery(pageInput, (ctx, input) => listAudit(ctx.db, ctx.user.id, input ?? {})),
});
