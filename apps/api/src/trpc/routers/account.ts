import * as account from "../../services/account.ts";
import { protectedProcedure, router, userMutation, userQuery } from "../init.ts";
import { deleteAccountInput, exportInput } from "../schemas.ts";

/** Leaving Signet: status for the verification banner, the export, and deleting the account. */
export const accountRouter = router({
  status: protectedProcedure.query(({ ctx }) => account.accountStatus(ctx)),
  export: userQuery(exportInput, account.exportFiles),
  delete: userMutation(deleteAccountInput, account.deleteAccount),
});
