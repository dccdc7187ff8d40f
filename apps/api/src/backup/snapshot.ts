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
import {
  dataTables,
  type LibsqlClient,
  libsqlClient,
  quoteLiteral,
  quoteName,
  type SqlRunner,
  type Value,
} from "./sqlite.ts";

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

/** Tables ordered so each comes after the tables its foreign keys point at (the target enforces them). */
async function parentsFirst(source: SqlRunner, tables: string[]): Promise<string[]> {
  const parents = new Map<string, string[]>();
  for (const table of tables) {
    const keys = await source.execute(`PRAGMA foreign_key_list(${quoteName(table)})`);
    const referenced = keys.rows.map((key) => String(key[2]));
    parents.set(
      table,
      referenced.filter((parent) => parent !== table && tables.includes(parent)),
    );
  }
  const ordered: string[] = [];
  const seen = new Set<string>();
  const visit = (table: string) => {
    if (seen.has(table)) return;
    seen.add(table);
    for (const parent of parents.get(table) ?? []) visit(parent);
    ordered.push(table);
  };
  for (const table of tables) visit(table);
  return ordered;
}

/** Copies schema and rows from one read transaction of `source` into the empty file database `target`. */
async function copyTables(source: SqlRunner, target: LibsqlClient): Promise<void> {
  const objects = await source.execute(
    "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
  );
  // A virtual table (the FTS5 search index) makes its own shadow tables when created: those are neither created
  // nor copied here, and its rows keep their rowids (file.search_rowid points at them).
  const { tables, virtual } = dataTables(objects.rows);
  for (const table of tables) await target.execute(String(table[2]));
  for (const table of await parentsFirst(
    source,
    tables.map((t) => String(t[1])),
  )) {
    const keepRowid = virtual.has(table);
    // Keyset pages by rowid: each page is one indexed range read, however large the table.
    let after: Value = -9223372036854775808n;
    for (;;) {
      const page = await source.execute({
        sql: `SELECT _rowid_, * FROM ${quoteName(table)} WHERE _rowid_ > ? ORDER BY _rowid_ LIMIT ${COPY_BATCH}`,
        args: [after],
      });
      if (page.rows.length === 0) break;
      const columns = keepRowid ? ["rowid", ...page.columns.slice(1)] : page.columns.slice(1);
      const insert = `INSERT INTO ${quoteName(table)} (${columns.map(quoteName).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;
      await target.batch(
        Array.from(page.rows, (row) => ({ sql: insert, args: Array.from(row).slice(keepRowid ? 0 : 1) })),
        "write",
      );
      after = page.rows[page.rows.length - 1]![0] ?? null;
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
  // Indexes and triggers last: building an index once is cheaper than keeping it up to date row by row.
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
