/**
 * Typed hooks for those who embed Signet (`createSignet(config, { hooks })`): called once an event's batch has
 * committed, each with its own event type's data. A hook that throws or rejects is logged and never fails the
 * request, the sweeper or the other hooks; webhook delivery does not depend on them.
 */
import type { Logger } from "../ground.ts";
import type { EventRow, EventType, SignetEvent } from "./events.ts";

type Hook<T extends EventType> = (event: SignetEvent<T>) => void | Promise<void>;

export interface SignetHooks {
  onFileReady?: Hook<"file.ready">;
  onFileQuarantined?: Hook<"file.quarantined">;
  onFileRejected?: Hook<"file.rejected">;
  onFileDeleted?: Hook<"file.deleted">;
  onUploadExpired?: Hook<"upload.expired">;
  onProfileImageChanged?: Hook<"profile.image.changed">;
  onAccountDeleted?: Hook<"account.deleted">;
}

const HOOK_OF: Partial<Record<EventType, keyof SignetHooks>> = {
  "file.ready": "onFileReady",
  "file.quarantined": "onFileQuarantined",
  "file.rejected": "onFileRejected",
  "file.deleted": "onFileDeleted",
  "upload.expired": "onUploadExpired",
  "profile.image.changed": "onProfileImageChanged",
  "account.deleted": "onAccountDeleted",
};

/** Calls each event's hook, if any; failures are logged with the event's id and type only. */
export function runHooks(hooks: SignetHooks, events: EventRow[], logger: Logger): Promise<void> {
  const calls = events.map(async (row) => {
    const name = HOOK_OF[row.type as EventType];
    const hook = name ? (hooks[name] as Hook<EventType> | undefined) : undefined;
    if (!hook) return;
    try {
      await hook(row.payload as unknown as SignetEvent);
    } catch (error) {
      logger({ level: "error", msg: "event hook failed", hook: name, eventId: row.id, error: String(error) });
    }
  });
  return Promise.all(calls).then(() => {});
}
