import { sharesContract as c } from "../../contract/shares.ts";
import * as shares from "../../services/share-links.ts";
import { procedure, router } from "../init.ts";

export const sharesRouter = router({
  create: procedure(c.create, shares.createShareLink),
  list: procedure(c.list, shares.listShareLinks),
  revoke: procedure(c.revoke, (ctx, { id }) => shares.revokeShareLink(ctx, id)),
});
