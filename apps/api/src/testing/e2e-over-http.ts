/**
 * One end-to-end suite over plain HTTP, run against a Signet started as a separate process (any runtime). It acts
 * as a script would: bearer token, JSON tRPC calls, and `fetch` straight to the presigned URLs.
 */
import { expect } from "vitest";
import { browserPut, sha256Base64 } from "./harness.ts";
import { png } from "./images.ts";

type Json = Record<string, unknown>;

export interface Client {
  baseUrl: string;
  token: string;
  call<T = Json>(path: string, input?: unknown, kind?: "query" | "mutation"): Promise<T>;
}

/** Signs a fresh user up and returns a client holding their bearer token. */
export async function signUp(baseUrl: string): Promise<Client> {
  const email = `runtime-${crypto.randomUUID()}@example.com`;
  const response = await fetch(`${baseUrl}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: baseUrl },
    body: JSON.stringify({ email, password: "correct horse battery staple", name: "Runtime Tester" }),
  });
  expect(response.status).toBe(200);
  const token = response.headers.get("set-auth-token");
  expect(token).toBeTruthy();
  return {
    baseUrl,
    token: token!,
    async call<T>(path: string, input?: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const url = `${baseUrl}/trpc/${path}`;
      // Plain fetch, never resent: a server that drops a kept-alive connection under a script fails here.
      const res =
        kind === "query"
          ? await fetch(
              input === undefined ? url : `${url}?input=${encodeURIComponent(JSON.stringify(input))}`,
              { headers },
            )
          : await fetch(url, { method: "POST", headers, body: JSON.stringify(input ?? null) });
      const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
      if (!res.ok || !body.result) throw new Error(`${path}: ${res.status} ${body.error?.message ?? ""}`);
      return body.result.data;
    },
  };
}

async function bytesOf(response: Response): Promise<Uint8Array> {
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

/** Byte-for-byte equality in one plain pass: Vitest's deep toEqual takes seconds on 256 KiB on a busy machine. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.findIndex((byte, i) => byte !== expected[i])).toBe(-1);
}

/** Generic upload: create, PUT, complete, list, download and compare bytes. */
export async function genericUpload(client: Client): Promise<void> {
  const bytes = new Uint8Array(256 * 1024);
  // getRandomValues fills at most 64 KiB per call.
  for (let offset = 0; offset < bytes.length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
  }
  const upload = await client.call<{ fileId: string; url: string; headers: Record<string, string> }>(
    "files.createUpload",
    {
      filename: "report 2026 ü.bin",
      contentType: "application/octet-stream",
      size: bytes.length,
      checksumSha256: await sha256Base64(bytes),
    },
  );
  const stored = await browserPut(upload.url, upload.headers, bytes);
  expect(stored.status).toBe(200);
  const file = await client.call<{ status: string; size: number }>("files.completeUpload", {
    fileId: upload.fileId,
  });
  expect(file).toMatchObject({ status: "ready", size: bytes.length });
  const list = await client.call<{ items: { id: string }[] }>("files.list", {}, "query");
  expect(list.items.map((item) => item.id)).toContain(upload.fileId);
  const download = await client.call<{ url: string; filename: string }>(
    "files.downloadUrl",
    { fileId: upload.fileId },
    "query",
  );
  expect(download.filename).toBe("report 2026 ü.bin");
  // Compared by digest: a deep equality of 256 KiB blocks the event loop for seconds on a loaded machine.
  const downloaded = await bytesOf(await fetch(download.url));
  expect(downloaded.length).toBe(bytes.length);
  expect(await sha256Base64(downloaded)).toBe(await sha256Base64(bytes));
}

/** Profile image: upload, overwrite (same key, new URL), download the new bytes. */
export async function profileImage(client: Client): Promise<void> {
  const keys: string[] = [];
  const urls: string[] = [];
  for (const seed of [1, 2]) {
    const image = png(seed);
    const upload = await client.call<{ presignedUrl: string; headers: Record<string, string>; key: string }>(
      "profile.createImageUpload",
      { contentType: "image/png", fileSize: image.length },
    );
    keys.push(upload.key);
    expect((await browserPut(upload.presignedUrl, upload.headers, image)).status).toBe(200);
    await client.call("profile.completeImageUpload");
    const current = await client.call<{ hasImage: boolean; downloadUrl: string }>(
      "profile.imageDownloadUrl",
      undefined,
      "query",
    );
    expect(current.hasImage).toBe(true);
    urls.push(current.downloadUrl);
    expectSameBytes(await bytesOf(await fetch(current.downloadUrl)), image);
  }
  expect(keys[0]).toBe(keys[1]);
  expect(urls[0]).not.toBe(urls[1]);
}

/** A presigned URL with one character of its signature changed is refused by the storage. */
export async function tamperedSignature(client: Client): Promise<void> {
  const bytes = new TextEncoder().encode("tamper me");
  const upload = await client.call<{ url: string; headers: Record<string, string> }>("files.createUpload", {
    filename: "t.txt",
    contentType: "text/plain",
    size: bytes.length,
  });
  const url = new URL(upload.url);
  const signature = url.searchParams.get("X-Amz-Signature")!;
  url.searchParams.set("X-Amz-Signature", `${signature[0] === "0" ? "1" : "0"}${signature.slice(1)}`);
  const response = await browserPut(url.toString(), upload.headers, bytes);
  expect(response.status).toBe(403);
  expect(await response.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
}

/** A URL past its expiry is refused. The server's clock is real here, so this waits out a 1 s URL. */
export async function expiredUrl(client: Client): Promise<void> {
  const files = await client.call<{ items: { id: string; status: string }[] }>("files.list", {}, "query");
  const ready = files.items.find((item) => item.status === "ready");
  expect(ready).toBeDefined();
  const download = await client.call<{ url: string }>(
    "files.downloadUrl",
    { fileId: ready!.id, expiresIn: 1 },
    "query",
  );
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const response = await fetch(download.url);
  expect(response.status).toBe(403);
  const body = await response.text();
  expect(body).toContain("<Code>AccessDenied</Code>");
  expect(body).toContain("Request has expired");
}

/** The path of a link on Signet's origin, sent to `baseUrl` (the runtime's own address may differ from PUBLIC_URL). */
const onBase = (client: Client, url: string) => `${client.baseUrl}${new URL(url).pathname}`;

/** A ready text file of the client's, for the sharing checks. */
async function readyText(client: Client, filename: string, text: string): Promise<string> {
  const body = new TextEncoder().encode(text);
  const upload = await client.call<{ fileId: string; url: string; headers: Record<string, string> }>(
    "files.createUpload",
    { filename, contentType: "text/plain", size: body.length, checksumSha256: await sha256Base64(body) },
  );
  expect((await browserPut(upload.url, upload.headers, body)).status).toBe(200);
  await client.call("files.completeUpload", { fileId: upload.fileId });
  return upload.fileId;
}

/**
 * Share links and upload requests: a password link downloads once through its 302 and is used up after, and a
 * guest with only an upload request's token uploads into the client's space.
 */
export async function sharing(client: Client): Promise<void> {
  const fileId = await readyText(client, "shared.txt", "shared over the runtime\n");
  const link = await client.call<{ url: string }>("shares.create", {
    fileId,
    maxDownloads: 1,
    password: "opensesame",
  });
  const post = (password: string) =>
    fetch(onBase(client, link.url), {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ password }).toString(),
    });
  expect((await post("wrong one")).status).toBe(401);
  const redirected = await post("opensesame");
  expect(redirected.status).toBe(302);
  const downloaded = await fetch(redirected.headers.get("location")!);
  expect(await downloaded.text()).toBe("shared over the runtime\n");
  expect((await post("opensesame")).status).toBe(410);

  const request = await client.call<{ url: string }>("uploadRequests.create", {
    title: "Guests, send files",
  });
  const token = new URL(request.url).pathname.split("/u/")[1]!;
  const body = new TextEncoder().encode("from a guest");
  const guest = async <T>(path: string, input: unknown): Promise<T> => {
    const res = await fetch(`${client.baseUrl}/trpc/guestUploads.${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(input),
    });
    const json = (await res.json()) as { result?: { data: T }; error?: { message: string } };
    if (!json.result) throw new Error(`guestUploads.${path}: ${res.status} ${json.error?.message ?? ""}`);
    return json.result.data;
  };
  const ticket = await guest<{ fileId: string; url: string; headers: Record<string, string> }>(
    "createUpload",
    {
      token,
      filename: "guest.txt",
      contentType: "text/plain",
      size: body.length,
      checksumSha256: await sha256Base64(body),
    },
  );
  expect((await browserPut(ticket.url, ticket.headers, body)).status).toBe(200);
  expect(await guest<{ status: string }>("completeUpload", { token, fileId: ticket.fileId })).toMatchObject({
    status: "ready",
  });
  const list = await client.call<{ items: { id: string }[] }>("files.list", {}, "query");
  expect(list.items.map((f) => f.id)).toContain(ticket.fileId);
}
