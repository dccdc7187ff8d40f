/** The CLI's resume store on a real temporary directory. */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResumeRecord } from "@signet/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileResumeStore } from "./resume-files.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-resume-files-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (partsDone: number[]): ResumeRecord => ({
  id: "0190f1a2-0000-7000-8000-000000000001",
  name: "film.bin",
  size: 41_943_040,
  lastModified: 1_700_000_000_000,
  partSize: 16_777_216,
  partCount: 3,
  firstPartChecksum: "abc=",
  partsDone,
});

describe("fileResumeStore", () => {
  it("keeps each record as JSON in a file named by the key's hash, the format `signet upload` always wrote", async () => {
    const states = join(dir, "states");
    const store = fileResumeStore(states);
    expect(await store.get("/home/ada/film.bin")).toBeUndefined();
    await store.set("/home/ada/film.bin", record([1]));
    const name = `${createHash("sha256").update("/home/ada/film.bin").digest("hex").slice(0, 32)}.json`;
    expect(await readdir(states)).toEqual([name]);
    expect(JSON.parse(await readFile(join(states, name), "utf8"))).toEqual(record([1]));
    expect(await store.get("/home/ada/film.bin")).toEqual(record([1]));
  });

  it("applies writes in the order they were asked, even when nobody waits for them", async () => {
    const store = fileResumeStore(dir);
    void store.set("a", record([1]));
    void store.set("a", record([1, 2]));
    void store.set("b", record([3]));
    void store.delete("b");
    expect(await store.get("a")).toEqual(record([1, 2]));
    expect(await store.get("b")).toBeUndefined();
  });

  it("lists the records it can read; a file cut short by a crash is nothing to resume", async () => {
    const store = fileResumeStore(dir);
    await store.set("a", record([1]));
    await writeFile(join(dir, "0123.json"), '{"id": "cut sho');
    expect(await store.list()).toEqual([record([1])]);
    expect(await fileResumeStore(join(dir, "missing")).list()).toEqual([]);
  });
});
