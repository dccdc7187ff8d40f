import { createCallerFactory, router } from "./init.ts";
import { accountRouter } from "./routers/account.ts";
import { apiKeysRouter } from "./routers/api-keys.ts";
import { auditRouter } from "./routers/audit.ts";
import { filesRouter } from "./routers/files.ts";
import { foldersRouter } from "./routers/folders.ts";
import { healthRouter } from "./routers/health.ts";
import { limitsRouter } from "./routers/limits.ts";
import { profileRouter } from "./routers/profile.ts";
import { sharesRouter } from "./routers/shares.ts";
import { guestUploadsRouter, uploadRequestsRouter } from "./routers/upload-requests.ts";
import { webhooksRouter } from "./routers/webhooks.ts";

export const appRouter = router({
  health: healthRouter,
  limits: limitsRouter,
  profile: profileRouter,
  files: filesRouter,
  folders: foldersRouter,
  audit: auditRouter,
  account: accountRouter,
  apiKeys: apiKeysRouter,
  shares: sharesRouter,
  uploadRequests: uploadRequestsRouter,
  guestUploads: guestUploadsRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures in process with an inner context (tests, CLI). */
export const createCaller = createCallerFactory(appRouter);
