import type { AppDeps } from "../deps.ts";

/** The signed-in user a service acts for. */
export interface Actor {
  id: string;
  name: string;
  email: string;
}

/** Where a call came from, for the audit trail. */
export interface RequestMeta {
  requestId: string;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/** What every service call receives: the app's dependencies, the caller and the request. */
export interface ServiceContext extends AppDeps {
  user: Actor;
  request: RequestMeta;
}
