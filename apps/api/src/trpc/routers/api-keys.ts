import * as apiKeys from "../../services/api-keys.ts";
import { protectedProcedure, router, userMutation } from "../init.ts";
import { apiKeyIdInput, createApiKeyInput } from "../schemas.ts";

export const apiKeysRouter = router({
  list: protectedProcedure.query(({ ctx }) => apiKeys.listApiKeys(ctx)),
  create: userMutation(createApiKeyInput, apiKeys.createApiKey),
  revoke: userMutation(apiKeyIdInput, (ctx, { id }) => apiKeys.revokeApiKey(ctx, id)),
});
