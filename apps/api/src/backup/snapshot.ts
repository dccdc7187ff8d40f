/**
 * `takeBackup`: a consistent snapshot of the live database into a new local SQLite file, plus its manifest, while
 * the server keeps serving. A file database is copied with `VACUUM INTO` (one read transaction: WAL lets writers
 * go on meanwhile); a libSQL server cannot write a file here, so its tables are streamed into a new local file
 * inside one read transaction instead. The backup appears under its name only once complete (temp + rename).
 */
import { access, mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { closeDb, createDb, type Database } from "@signet/db";
import {
  digestFile,
  MANIFEST_FORMAT,
  type Manifest,
  manifestPath,
  schemaOf,
  tableCounts,
  userFiles,
} from "./manifest.ts";
import { type LibsqlClient, libsqlClient, quoteLiteral, quoteName, type SqlRunner } from "./sqlite.ts";

export type BackupMethod = Manifest["method"];

export interface BackupOptions {
  /** The live database (as opened by the server or the CLI). */
  db: Database;
  /** `vacuum-into` for a file database, `copy-tables` for a libSQL server (either works on a file). */
  method: BackupMethod;
  /** The backup file to create; refused if it exists. */
  target: string;
  clock: () => Date;
}

/** Rows copied per INSERT batch when streaming tables. */
const COPY_BATCH = 500;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Copies schema and rows from one read transaction of `source` into the empty file database `target`. */
async function copyTables(source: SqlRunner, target: LibsqlClient): Promise<void> {
  const objects = await source.execute(
    "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, rowid",
  );
  const tables = objects.rows.filter((o) => o[0] === "table").map((o) => String(o[1]));
  await target.execute("PRAGMA foreign_keys = OFF");
  for (const table of objects.rows.filter((o) => o[0] === "table")) await target.execute(String(table[2]));
  for (const table of tables) {
    for (let offset = 0; ; offset += COPY_BATCH) {
      const page = await source.execute(
        `SELECT * FROM ${quoteName(table)} ORDER BY rowid LIMIT ${COPY_BATCH} OFFSET ${offset}`,
      );
      if (page.rows.length === 0) break;
      const columns = page.columns.map(quoteName).join(", ");
      const marks = page.columns.map(() => "?").join(", ");
      const insert = `INSERT INTO ${quoteName(table)} (${columns}) VALUES (${marks})`;
      await target.batch(
        Array.from(page.rows, (row) => ({ sql: insert, args: Array.from(row) })),
        "write",
      );
      if (page.rows.length < COPY_BATCH) break;
    }
  }
  // AUTOINCREMENT counters, so ids are never reused after a restore.
  const sequence = await source
    .execute("SELECT name, seq FROM sqlite_sequence")
    .catch(() => ({ columns: [], rows: [] }));
  for (const row of sequence.rows) {
    await target.execute({
      sql: "UPDATE sqlite_sequence SET seq = ? WHERE name = ?",
      args: [row[1] ?? 0, row[0] ?? ""],
    });
  }
  for (const other of objects.rows.filter((o) => o[0] !== "table")) await target.execute(String(other[2]));
}

/** Writes a consistent snapshot of `db` to `target` and its manifest beside it; returns the manifest. */
export async function takeBackup(options: BackupOptions): Promise<Manifest> {
  const target = resolve(options.target);
  if ((await exists(target)) || (await exists(manifestPath(target)))) {
    throw new Error(`${target}: already exists; a backup never overwrites a file`);
  }
  await mkdir(dirname(target), { recursive: true });
  const temp = `${target}.${crypto.randomUUID()}.partial`;
  const createdAt = options.clock().toISOString();
  const client = libsqlClient(options.db);
  try {
    if (options.method === "vacuum-into") {
      await client.execute(`VACUUM INTO ${quoteLiteral(temp)}`);
    } else {
      const copy = await createDb({ url: `file:${temp}` });
      const read = await client.transaction("read");
      try {
        await copyTables(read, libsqlClient(copy));
      } finally {
        read.close();
        closeDb(copy);
      }
    }
    // The manifest is read from the snapshot itself, so its counts are exactly what the backup holds.
    const snapshot = await createDb({ url: `file:${temp}` });
    let described: Pick<Manifest, "schema" | "tables" | "users">;
    try {
      const runner = libsqlClient(snapshot);
      described = {
        schema: await schemaOf(runner),
        tables: await tableCounts(runner),
        users: await userFiles(runner),
      };
      // A backup is one self-contained file: everything in it, nothing left in a WAL beside it.
      await runner.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    } finally {
      closeDb(snapshot);
    }
    const wal = await stat(`${temp}-wal`).catch(() => null);
    if (wal && wal.size > 0) throw new Error(`${temp}-wal: the snapshot could not be checkpointed`);
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      createdAt,
      method: options.method,
      ...described,
      ...(await digestFile(temp)),
    };
    await rename(temp, target);
    await writeFile(manifestPath(target), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } finally {
    await rm(temp, { force: true });
    await rm(`${temp}-wal`, { force: true });
    await rm(`${temp}-shm`, { force: true });
  }
}
