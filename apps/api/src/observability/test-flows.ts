/** Test helpers for the observability suites: the uploads they count, and reading an exposition back. */
import { browserPut, type Harness, sha256Base64, type TestUser } from "../testing/harness.ts";

/** Uploads `text` as the SPA does (create, PUT, complete) and returns the file id. */
export async function uploadText(h: Harness, user: TestUser, text: string): Promise<string> {
  const bytes = new TextEncoder().encode(text);
  const created = await h.trpc(
    "files.createUpload",
    {
      filename: "a.txt",
      contentType: "text/plain",
      size: bytes.length,
      checksumSha256: await sha256Base64(bytes),
    },
    { token: user.token },
  );
  if (!created.ok) throw new Error(`createUpload: ${created.code} ${created.message}`);
  const up = created.data as { fileId: string; url: string; headers: Record<string, string> };
  const put = await browserPut(up.url, up.headers, bytes);
  if (put.status !== 200) throw new Error(`PUT: ${put.status}`);
  const done = await h.trpc("files.completeUpload", { fileId: up.fileId }, { token: user.token });
  if (!done.ok) throw new Error(`completeUpload: ${done.code} ${done.message}`);
  return up.fileId;
}

/** The samples of a Prometheus text exposition: `name{labels}` → value. */
export function samples(exposition: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of exposition.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
