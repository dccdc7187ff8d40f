/**
 * Rows for the backup tests: `users` users, each with `filesEach` files (sizes 100, 101, …; the first one pending,
 * the rest ready) and a quota reservation equal to the sum of those sizes, written straight into the database.
 */
import { type Database, file, user, userQuota } from "@signet/db";

export const SEEDED_AT = new Date("2026-12-01T10:00:00Z");

export async function seedUsersAndFiles(db: Database, users: number, filesEach: number): Promise<void> {
  const at = SEEDED_AT;
  for (let u = 0; u < users; u++) {
    const id = `user-${u}`;
    await db.insert(user).values({ id, name: id, email: `${id}@example.com`, createdAt: at, updatedAt: at });
    for (let f = 0; f < filesEach; f++) {
      await db.insert(file).values({
        id: `file-${u}-${f}`,
        ownerId: id,
        key: `u/${id}/${f}.bin`,
        originalFilename: `${f}.bin`,
        contentType: "application/octet-stream",
        size: 100 + f,
        status: f === 0 ? "pending" : "ready",
        createdAt: at,
        uploadExpiresAt: at,
      });
    }
    const sizes = Array.from({ length: filesEach }, (_, f) => 100 + f).reduce((a, b) => a + b, 0);
    await db.insert(userQuota).values({ userId: id, reservedBytes: sizes });
  }
}
