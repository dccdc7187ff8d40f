/** The audit contract: every file.* event names its file by the filename the user gave, even once it is gone. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserPut, createHarness, type Harness, ok, sha256Base64 } from "../testing/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

type Upload = { fileId: string; url: string; headers: Record<string, string> };
type AuditPage = { items: { action: string; objectKey: string; detail: Record<string, unknown> }[] };

describe("audit trail", () => {
  it("records detail.filename on every file.* event, so a deleted file is still named", async () => {
    const u = await h.signUp();
    const caller = h.caller(u);
    const body = new TextEncoder().encode("quarterly numbers");
    const input = { filename: "Q3 report.txt", contentType: "text/plain", size: body.length };
    const kept = (await caller.files.createUpload({
      ...input,
      checksumSha256: await sha256Base64(body),
    })) as Upload;
    expect((await browserPut(kept.url, kept.headers, body)).status).toBe(200);
    await caller.files.completeUpload({ fileId: kept.fileId });
    await caller.files.downloadUrl({ fileId: kept.fileId });
    await caller.files.shareUrl({ fileId: kept.fileId, expiresIn: 3600 });
    await caller.files.delete({ fileId: kept.fileId });
    const aborted = (await caller.files.createUpload({ ...input, filename: "draft.txt" })) as Upload;
    await caller.files.abortUpload({ fileId: aborted.fileId });
    const refused = (await caller.files.createUpload({ ...input, filename: "empty.txt" })) as Upload;
    await expect(caller.files.completeUpload({ fileId: refused.fileId })).rejects.toThrow(/not uploaded/);

    const page = ok<AuditPage>(await h.trpc("audit.list", {}, { token: u.token }, "query"));
    const fileEvents = page.items.filter((e) => e.action.startsWith("file."));
    expect(fileEvents.map((e) => [e.action, e.detail.filename])).toEqual([
      ["file.reject", "empty.txt"],
      ["file.upload_url", "empty.txt"],
      ["file.abort", "draft.txt"],
      ["file.upload_url", "draft.txt"],
      ["file.delete", "Q3 report.txt"],
      ["file.share", "Q3 report.txt"],
      ["file.download_url", "Q3 report.txt"],
      ["file.complete", "Q3 report.txt"],
      ["file.upload_url", "Q3 report.txt"],
    ]);
  });
});
