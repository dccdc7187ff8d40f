import * as apiKeys from "../../services/api-keys.ts";
import { protectedProcedure, router } from "../init.ts";
import { apiKeyIdInput, createApiKeyInput } from "../schemas.ts";

export const apiKeysRouter = router({
  list: protectedProcedure.query(({ ctx }) => apiKeys.listApiKeys(ctx)),
  create: protectedProcedure
    .input(createApiKeyInput)
    .mutation(({ ctx, input }) => apiKeys.createApiKey(ctx, input)),
  revoke: protectedProcedure
    .input(apiKeyIdInput)
    .mutation(({ ctx, input }) => apiKeys.revokeApiKey(ctx, input.id)),
});
