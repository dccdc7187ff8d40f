import { z } from "zod";
import * as account from "../../services/account.ts";
import { protectedProcedure, router } from "../init.ts";

/** Leaving Signet: status for the verification banner, the export, and deleting the account. */
export const accountRouter = router({
  status: protectedProcedure.query(({ ctx }) => account.accountStatus(ctx)),
  export: protectedProcedure
    .input(
      z.object({
        expiresIn: z
          .number()
          .int("must be a whole number of seconds")
          .min(60, "must be at least 60 seconds (1 minute)"),
      }),
    )
    .query(({ ctx, input }) => account.exportFiles(ctx, input)),
  delete: protectedProcedure
    .input(z.object({ password: z.string().min(1, "enter your current password").max(128) }))
    .mutation(({ ctx, input }) => account.deleteAccount(ctx, input)),
});
