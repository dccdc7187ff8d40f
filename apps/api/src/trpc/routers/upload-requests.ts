import { uploadRequestsContract as c, guestUploadsContract as g } from "../../contract/upload-requests.ts";
import * as guests from "../../services/guest-uploads.ts";
import * as requests from "../../services/upload-requests.ts";
import { procedure, router } from "../init.ts";

export const uploadRequestsRouter = router({
  create: procedure(c.create, requests.createUploadRequest),
  list: procedure(c.list, requests.listUploadRequests),
  revoke: procedure(c.revoke, (ctx, { id }) => requests.revokeUploadRequest(ctx, id)),
});

/** A guest's calls: no session, only the upload request's token. */
export const guestUploadsRouter = router({
  describe: procedure(g.describe, (ctx, { token }) => guests.describeRequest(ctx, token)),
  createUpload: procedure(g.createUpload, guests.createGuestUpload),
  signParts: procedure(g.signParts, guests.signGuestParts),
  listParts: procedure(g.listParts, guests.listGuestParts),
  completeUpload: procedure(g.completeUpload, guests.completeGuestUpload),
  abortUpload: procedure(g.abortUpload, guests.abortGuestUpload),
});
