import { webhooksContract as c } from "../../contract/webhooks.ts";
import * as webhooks from "../../services/webhook-endpoints.ts";
import { procedure, router } from "../init.ts";

export const webhooksRouter = router({
  list: procedure(c.list, webhooks.listEndpoints),
  create: procedure(c.create, webhooks.createEndpoint),
  update: procedure(c.update, webhooks.updateEndpoint),
  rotateSecret: procedure(c.rotateSecret, (ctx, { id }) => webhooks.rotateSecret(ctx, id)),
  delete: procedure(c.delete, (ctx, { id }) => webhooks.deleteEndpoint(ctx, id)),
  test: procedure(c.test, (ctx, { id }) => webhooks.testEndpoint(ctx, id)),
  deliveries: procedure(c.deliveries, webhooks.listDeliveries),
  replay: procedure(c.replay, webhooks.replay),
});
