/**
 * Which servers have a database file open. Each server started on a `file:` database keeps a mark
 * `<db>.instances/<host>-<pid>` while it runs; a restore refuses while a mark names a live process. A server killed
 * with -9 leaves its mark behind: a mark of this host whose process is gone is stale and is removed, so it never
 * blocks a restore. A mark from another host cannot be checked from here and is reported with its path.
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";

function marksDir(databaseFile: string): string {
  return `${databaseFile}.instances`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as { code?: string }).code === "EPERM";
  }
}

/** Marks this process as serving `databaseFile`; returns the function that removes the mark. */
export async function markInstance(databaseFile: string): Promise<() => Promise<void>> {
  const dir = marksDir(databaseFile);
  await mkdir(dir, { recursive: true });
  const mark = join(dir, `${hostname()}-${process.pid}`);
  await writeFile(mark, `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date() })}\n`);
  return () => rm(mark, { force: true });
}

/** The marks of servers that may be running on `databaseFile`; removes stale marks of this host on the way. */
export async function liveInstances(databaseFile: string): Promise<string[]> {
  const dir = marksDir(databaseFile);
  const names = await readdir(dir).catch(() => [] as string[]);
  const live: string[] = [];
  const host = hostname();
  for (const name of names) {
    const match = /^(.*)-(\d+)$/.exec(name);
    if (match && match[1] === host && !alive(Number(match[2]))) {
      await rm(join(dir, name), { force: true });
      continue;
    }
    live.push(join(dir, name));
  }
  return live;
}
