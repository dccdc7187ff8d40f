import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserPut, createHarness, type Harness, sha256Base64, type TestUser } from "./testing/harness.ts";

let h: Harness;
let alice: TestUser;

beforeAll(async () => {
  h = await createHarness();
  alice = await h.signUp();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

const bytes = new TextEncoder().encode("hello, signet!\n");

describe("generic upload as the SPA does it (session cookie)", () => {
  it("signs, stores, verifies, lists and serves the bytes back", async () => {
    const who = { cookie: alice.cookie };
    const created = await h.trpc(
      "files.createUpload",
      {
        filename: "hello.txt",
        contentType: "text/plain",
        size: bytes.length,
        checksumSha256: await sha256Base64(bytes),
      },
      who,
    );
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    const up = created.data as {
      fileId: string;
      key: string;
      url: string;
      method: string;
      headers: Record<string, string>;
      expiresIn: number;
      expiresAt: string;
    };
    expect(up.method).toBe("PUT");
    expect(up.key).toBe(`u/${alice.id}/${up.fileId}.txt`);
    expect(up.expiresIn).toBe(600);
    expect(up.headers["content-length"]).toBe(String(bytes.length));
    expect(up.headers["if-none-match"]).toBe("*");
    expect(up.headers["x-amz-meta-uploaded-by"]).toBe(alice.id);

    const put = await browserPut(up.url, up.headers, bytes);
    expect(put.status).toBe(200);

    const done = await h.trpc("files.completeUpload", { fileId: up.fileId }, who);
    expect(done).toMatchObject({ ok: true, data: { id: up.fileId, status: "ready", size: bytes.length } });
    const again = await h.trpc("files.completeUpload", { fileId: up.fileId }, who);
    expect(again).toMatchObject({ ok: true, data: { status: "ready" } });

    const list = await h.trpc("files.list", {}, who, "query");
    expect(list.ok && (list.data as { items: { id: string }[] }).items.map((i) => i.id)).toContain(up.fileId);

    const dl = await h.trpc("files.downloadUrl", { fileId: up.fileId }, who, "query");
    expect(dl.ok).toBe(true);
    if (!dl.ok) return;
    const { url, filename, expiresIn } = dl.data as { url: string; filename: string; expiresIn: number };
    expect(filename).toBe("hello.txt");
    expect(expiresIn).toBe(900);
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
    expect(got.headers.get("content-disposition")).toContain("attachment");
  });
});
