import * as account from "../../services/account.ts";
import { protectedProcedure, router } from "../init.ts";
import { deleteAccountInput, exportInput } from "../schemas.ts";

/** Leaving Signet: status for the verification banner, the export, and deleting the account. */
export const accountRouter = router({
  status: protectedProcedure.query(({ ctx }) => account.accountStatus(ctx)),
  export: protectedProcedure.input(exportInput).query(({ ctx, input }) => account.exportFiles(ctx, input)),
  delete: protectedProcedure
    .input(deleteAccountInput)
    .mutation(({ ctx, input }) => account.deleteAccount(ctx, input)),
});
