import { accountContract as c } from "../../contract/account.ts";
import * as account from "../../services/account.ts";
import { procedure, router } from "../init.ts";

/** Leaving Signet: status for the verification banner, the export, and deleting the account. */
export const accountRouter = router({
  status: procedure(c.status, account.accountStatus),
  export: procedure(c.export, account.exportFiles),
  delete: procedure(c.delete, account.deleteAccount),
});
