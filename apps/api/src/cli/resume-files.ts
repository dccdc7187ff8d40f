/**
 * @signet/client's `ResumeStore` as files: one JSON record per interrupted upload in a directory (the CLI's
 * SIGNET_STATE_DIR), named by a hash of its key. Operations run one after another, so an older record never
 * lands after a newer one, or after its removal.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ResumeRecord, ResumeStore } from "@signet/client";

/** The file a key's record is kept in (the format `signet upload` has always written). */
export function recordPath(dir: string, key: string): string {
  return join(dir, `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.json`);
}

async function readRecord(path: string): Promise<ResumeRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as ResumeRecord;
  } catch {
    // Missing, or cut short by a crash mid-write: either way there is nothing to resume from.
    return undefined;
  }
}

export function fileResumeStore(dir: string): ResumeStore {
  let last: Promise<unknown> = Promise.resolve();
  /** Runs `step` after every operation asked before it. */
  function inTurn<T>(step: () => Promise<T>): Promise<T> {
    const result = last.then(step);
    last = result.catch(() => {});
    return result;
  }
  return {
    get: (key) => inTurn(() => readRecord(recordPath(dir, key))),
    set: (key, record) =>
      inTurn(async () => {
        await mkdir(dir, { recursive: true });
        await writeFile(recordPath(dir, key), JSON.stringify(record));
      }),
    delete: (key) => inTurn(() => rm(recordPath(dir, key), { force: true })),
    list: () =>
      inTurn(async () => {
        const names = await readdir(dir).catch(() => []);
        const records = await Promise.all(
          names.filter((name) => name.endsWith(".json")).map((name) => readRecord(join(dir, name))),
        );
        return records.filter((record): record is ResumeRecord => record !== undefined);
      }),
  };
}
