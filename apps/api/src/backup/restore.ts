/**
 * `restoreBackup`: puts a backup in place of a stopped server's database file. Everything is checked before
 * anything changes: no server running on the file, the manifest present and matching the file's bytes, SQLite's
 * integrity check, the row counts, and a schema no newer than this build's. The database it replaces is kept
 * beside it (`<db>.before-restore-<time>`), WAL included. Migrations then bring an older backup up to date.
 */
import { copyFile, mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { closeDb, createDb } from "@signet/db";
import { liveInstances } from "./instances.ts";
import { currentSchema, digestFile, type Manifest, readManifest, schemaOf, tableCounts } from "./manifest.ts";
import { BackupRefused } from "./refused.ts";
import { libsqlClient } from "./sqlite.ts";

export interface RestoreOptions {
  backup: string;
  /** The database file the server uses (DATABASE_URL's path). */
  databaseFile: string;
  clock: () => Date;
}

export interface RestoreResult {
  manifest: Manifest;
  /** Where the replaced database was moved, if there was one. */
  previous: string | null;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Checks a copy of the backup: SQLite's integrity check, the schema version and the row counts. */
async function checkCopy(copy: string, manifest: Manifest, backup: string): Promise<void> {
  let db: Awaited<ReturnType<typeof createDb>>;
  try {
    db = await createDb({ url: `file:${copy}` });
  } catch (error) {
    throw new BackupRefused(`${backup}: the database is damaged (${(error as Error).message})`);
  }
  try {
    const runner = libsqlClient(db);
    const integrity = await runner.execute("PRAGMA integrity_check").catch((error: Error) => ({
      columns: [],
      rows: [[error.message]],
    }));
    const verdict = integrity.rows.map((r) => String(r[0])).join("; ");
    if (verdict !== "ok") throw new BackupRefused(`${backup}: the database is damaged (${verdict})`);
    const schema = await schemaOf(runner);
    const ours = currentSchema();
    if (schema.latest > ours.latest) {
      throw new BackupRefused(
        `${backup}: made by a newer Signet (schema of ${new Date(schema.latest).toISOString()}, ${schema.migrations} migrations; this build knows up to ${ours.tag}); restore it with that version or newer`,
      );
    }
    const counts = await tableCounts(runner);
    for (const [table, rows] of Object.entries(manifest.tables)) {
      if (counts[table] !== rows) {
        throw new BackupRefused(
          `${backup}: table ${table} holds ${counts[table] ?? "no"} rows, the manifest says ${rows}`,
        );
      }
    }
    // Leave one self-contained file (nothing in a WAL) to move into place.
    await runner.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    closeDb(db);
  }
}

/** Restores `backup` over `databaseFile`, or throws BackupRefused having changed nothing. */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const backup = resolve(options.backup);
  const target = resolve(options.databaseFile);
  const live = await liveInstances(target);
  if (live.length > 0) {
    throw new BackupRefused(
      `${target}: a server is running on this database (${live.join(", ")}); stop every instance first (a mark left by a crashed server on another host can be deleted by hand)`,
    );
  }
  if (!(await exists(backup))) throw new BackupRefused(`${backup}: no such file`);
  const manifest = await readManifest(backup);
  const actual = await digestFile(backup);
  if (actual.bytes !== manifest.bytes || actual.sha256 !== manifest.sha256) {
    throw new BackupRefused(
      `${backup}: the file does not match its manifest (${actual.bytes} bytes, sha256 ${actual.sha256.slice(0, 12)}…; expected ${manifest.bytes} bytes, ${manifest.sha256.slice(0, 12)}…): damaged or not the backup the manifest describes`,
    );
  }

  await mkdir(dirname(target), { recursive: true });
  const copy = `${target}.restore-${crypto.randomUUID()}.tmp`;
  const cleanCopy = async () => {
    for (const suffix of ["", "-wal", "-shm"]) await rm(`${copy}${suffix}`, { force: true });
  };
  try {
    await copyFile(backup, copy);
    await checkCopy(copy, manifest, backup);
    // Still nothing changed: check once more that no server started meanwhile, then swap.
    if ((await liveInstances(target)).length > 0) {
      throw new BackupRefused(`${target}: a server started on this database during the restore`);
    }
    let previous: string | null = null;
    if (await exists(target)) {
      previous = `${target}.before-restore-${options.clock().toISOString().replace(/[:.]/g, "-")}`;
      for (const suffix of ["", "-wal", "-shm"]) {
        if (await exists(`${target}${suffix}`)) await rename(`${target}${suffix}`, `${previous}${suffix}`);
      }
    }
    await rm(`${copy}-wal`, { force: true });
    await rm(`${copy}-shm`, { force: true });
    await rename(copy, target);
    return { manifest, previous };
  } finally {
    await cleanCopy();
  }
}
