import { apiKeysContract as c } from "../../contract/api-keys.ts";
import * as apiKeys from "../../services/api-keys.ts";
import { procedure, router } from "../init.ts";

export const apiKeysRouter = router({
  list: procedure(c.list, apiKeys.listApiKeys),
  create: procedure(c.create, apiKeys.createApiKey),
  revoke: procedure(c.revoke, (ctx, { id }) => apiKeys.revokeApiKey(ctx, id)),
});
