import { foldersContract as c } from "../../contract/folders.ts";
import * as folders from "../../services/folders.ts";
import { procedure, router } from "../init.ts";

export const foldersRouter = router({
  list: procedure(c.list, (ctx, input) => folders.listFolder(ctx, input?.folderId)),
  create: procedure(c.create, folders.createFolder),
  ensurePath: procedure(c.ensurePath, folders.ensureFolder),
  rename: procedure(c.rename, folders.renameFolder),
  move: procedure(c.move, folders.moveFolder),
  delete: procedure(c.delete, folders.deleteFolder),
});
