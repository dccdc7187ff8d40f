/**
 * The manifest written beside every backup (`<backup>.manifest.json`): what the snapshot holds, so a restore can
 * tell a whole, untouched backup of a schema it knows from anything else, and an operator can read what the
 * database believed about each user's files at that moment.
 */
import { createHash } from "node:crypto";
import { createReadStream, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { migrationsFolder } from "@signet/db/migrate";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { BackupRefused } from "./refused.ts";
import { dataTables, quoteName, type SqlRunner, scalar } from "./sqlite.ts";

export const MANIFEST_FORMAT = "signet-backup/1";

export interface SchemaVersion {
  /** Migrations applied. */
  migrations: number;
  /** The newest applied migration's timestamp (drizzle-kit's `when`, ms): what versions compare by. */
  latest: number;
  /** Its name when this build knows it (a newer build's migration has none here). */
  tag: string | null;
}

export interface UserFiles {
  userId: string;
  /** Ready files: the objects the database believes are in the bucket. */
  objects: number;
  bytes: number;
  /** Quota reserved (pending + ready + kept profile versions). */
  reservedBytes: number;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  createdAt: string;
  /** How the snapshot was taken: `vacuum-into` (a file database) or `copy-tables` (a libSQL server). */
  method: "vacuum-into" | "copy-tables";
  schema: SchemaVersion;
  /** Rows per table. */
  tables: Record<string, number>;
  users: UserFiles[];
  /** The backup file's size and SHA-256 (hex), as written. */
  bytes: number;
  sha256: string;
}

/** The schema this build of Signet ships: its newest committed migration. */
export function currentSchema(): SchemaVersion {
  const files = readMigrationFiles({ migrationsFolder });
  const tags = migrationTags();
  const latest = Math.max(0, ...files.map((m) => m.folderMillis));
  return { migrations: files.length, latest, tag: tags.get(latest) ?? null };
}

/** Migration names by timestamp, from drizzle-kit's journal (a few hundred bytes). */
function migrationTags(): Map<number, string> {
  const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, "utf8")) as {
    entries: { when: number; tag: string }[];
  };
  return new Map(journal.entries.map((e) => [e.when, e.tag]));
}

/** The schema version a database holds, from drizzle's own record of applied migrations. */
export async function schemaOf(db: SqlRunner): Promise<SchemaVersion> {
  const result = await db.execute("SELECT count(*), coalesce(max(created_at), 0) FROM __drizzle_migrations");
  const row = result.rows[0];
  const latest = Number(row?.[1] ?? 0);
  return { migrations: Number(row?.[0] ?? 0), latest, tag: migrationTags().get(latest) ?? null };
}

/** Rows per table (every table but SQLite's own and the search index's shadow tables, whose layout varies). */
export async function tableCounts(db: SqlRunner): Promise<Record<string, number>> {
  const objects = await db.execute(
    "SELECT type, name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  const counts: Record<string, number> = {};
  for (const row of dataTables(objects.rows).tables) {
    const name = String(row[1]);
    counts[name] = Number(await scalar(db, `SELECT count(*) FROM ${quoteName(name)}`));
  }
  return counts;
}

/** What the database believes about each user's objects and quota. */
export async function userFiles(db: SqlRunner): Promise<UserFiles[]> {
  const result = await db.execute(`
    SELECT u.id,
      (SELECT count(*) FROM file f WHERE f.owner_id = u.id AND f.status = 'ready'),
      (SELECT coalesce(sum(f.size), 0) FROM file f WHERE f.owner_id = u.id AND f.status = 'ready'),
      coalesce((SELECT q.reserved_bytes FROM user_quota q WHERE q.user_id = u.id), 0)
    FROM user u ORDER BY u.id`);
  return result.rows.map((row) => ({
    userId: String(row[0]),
    objects: Number(row[1]),
    bytes: Number(row[2]),
    reservedBytes: Number(row[3]),
  }));
}

/** SHA-256 (hex) and size of a file, streamed. */
export async function digestFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

export function manifestPath(backup: string): string {
  return `${backup}.manifest.json`;
}

/** Reads and checks the shape of a backup's manifest; refuses a missing or malformed one. */
export async function readManifest(backup: string): Promise<Manifest> {
  const path = manifestPath(backup);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new BackupRefused(`${path}: no manifest beside the backup (was it made by \`signet backup\`?)`);
  }
  let value: Partial<Manifest>;
  try {
    value = JSON.parse(text) as Partial<Manifest>;
  } catch {
    throw new BackupRefused(`${path}: the manifest is not valid JSON`);
  }
  const valid =
    value.format === MANIFEST_FORMAT &&
    typeof value.sha256 === "string" &&
    typeof value.bytes === "number" &&
    typeof value.schema?.latest === "number" &&
    typeof value.tables === "object" &&
    value.tables !== null;
  if (!valid) throw new BackupRefused(`${path}: not a ${MANIFEST_FORMAT} manifest`);
  return value as Manifest;
}
