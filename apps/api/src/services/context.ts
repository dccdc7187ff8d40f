import type { AppDeps } from "../deps.ts";
import type { Actor, RequestMeta } from "../ground.ts";

export type { Actor, RequestMeta };

/** What every service call receives: the app's dependencies, the caller and the request. */
export interface ServiceContext extends AppDeps {
  user: Actor;
  request: RequestMeta;
}
