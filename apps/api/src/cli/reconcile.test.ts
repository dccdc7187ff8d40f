import { mkdir } from "node:fs/promises";
import { closeDb, createDb, file, user, userQuota } from "@signet/db";
import { migrate } from "@signet/db/migrate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli, startTestBucket, type TestBucket } from "./testing.ts";

// `signet reconcile` spawned as an operator runs it, on a real libSQL file and a real local-s3 bucket.

let bucket: TestBucket;
beforeAll(async () => {
  bucket = await startTestBucket();
});
afterAll(async () => {
  await bucket?.close();
});

describe("signet reconcile", { timeout: 180_000 }, () => {
  it("reports drift and an orphan with exit 1, repairs them with --fix, then reports nothing with exit 0", async () => {
    // State a crash could leave: 4 ready bytes but 1028 reserved, and an object whose row never got written.
    await mkdir(bucket.env.DATA_DIR!, { recursive: true });
    const db = await createDb({ url: `file:${bucket.env.DATA_DIR}/signet.db` });
    await migrate(db);
    const now = new Date();
    await db
      .insert(user)
      .values({ id: "user-1", name: "U", email: "u@example.com", createdAt: now, updatedAt: now });
    await db.insert(file).values({
      id: "file-1",
      ownerId: "user-1",
      key: "u/user-1/kept.txt",
      originalFilename: "kept.txt",
      contentType: "text/plain",
      size: 4,
      status: "ready",
      createdAt: now,
      uploadExpiresAt: now,
    });
    await db.insert(userQuota).values({ userId: "user-1", reservedBytes: 1028 });
    closeDb(db);
    for (const [key, body] of [
      ["u/user-1/kept.txt", "kept"],
      ["u/user-1/orphan.bin", "orphan"],
    ] as const) {
      const signed = await bucket.signer.presignPut(key, {
        expiresIn: 60,
        contentType: "application/octet-stream",
        contentLength: body.length,
      });
      const { "content-length": _, ...headers } = signed.headers;
      expect((await fetch(signed.url, { method: "PUT", headers, body })).status).toBe(200);
    }

    const report = await spawnCli(["reconcile"], bucket.env);
    expect(report.stderr).toBe("");
    expect(report.code).toBe(1);
    const lines = report.stdout.split("\n");
    expect(lines[0]).toBe("Scanned 2 objects.");
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}user-1 +1028 +4 +found$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}object without row +u\/user-1\/orphan\.bin +orphan\.bin +found$/),
    );
    expect(lines.at(-2)).toBe("Run `signet reconcile --fix` to repair.");

    const fixed = await spawnCli(["reconcile", "--fix", "--json"], bucket.env);
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.stdout)).toMatchObject({
      clean: true,
      fixed: true,
      quota: [{ userId: "user-1", reservedBytes: 1028, liveBytes: 4, fixed: true }],
      storage: [{ kind: "orphan-object", key: "u/user-1/orphan.bin", fixed: true }],
    });
    expect(await bucket.signer.headObject("u/user-1/orphan.bin")).toBeNull();

    const clean = await spawnCli(["reconcile"], bucket.env);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("Quota: every user's reserved bytes match their files.");
    expect(clean.stdout).toContain("Storage: every object has its row and every row its object.");
  });
});
