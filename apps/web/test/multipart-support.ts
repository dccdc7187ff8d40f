/**
 * What the large-file browser tests (multipart, Uppy) and the RGW run share: patterned fixtures, and helpers bound
 * to a page (tRPC with the page's session, part PUTs counted or held, the IndexedDB journal, the upload rows).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page, Request } from "playwright-core";

/** Bytes that differ everywhere (xorshift), so a part sent in the wrong place cannot pass. */
export function patterned(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, Math.floor(size / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < size; i++) out[i] = i & 0xff;
  return out;
}

/** Writes `size` patterned bytes to `dir/name`. */
export async function writeFixture(dir: string, name: string, size: number, seed: number): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, patterned(size, seed));
  return path;
}

/** Hex SHA-256 of a file on disk. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export type FileRow = { id: string; originalFilename: string; status: string; size: number };

/** The part number of a part PUT's URL, or null for any other request. */
export const partOf = (url: string) => new URL(url).searchParams.get("partNumber");

/** Helpers bound to the page `page()` returns at call time (so a test can create them before its page). */
export function pageTools(page: () => Page) {
  /** Calls a tRPC procedure from the page, with its session cookie. */
  async function trpc<T>(path: string, input: unknown, kind: "query" | "mutation" = "query"): Promise<T> {
    return page().evaluate(
      async ([p, i, k]) => {
        const response =
          k === "query"
            ? await fetch(`/trpc/${p}?input=${encodeURIComponent(JSON.stringify(i))}`)
            : await fetch(`/trpc/${p}`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify(i),
              });
        const body = await response.json();
        if (!body.result) throw new Error(JSON.stringify(body.error));
        return body.result.data;
      },
      [path, input, kind] as const,
    ) as Promise<T>;
  }

  async function fileNamed(name: string): Promise<FileRow | undefined> {
    const list = await trpc<{ items: FileRow[] }>("files.list", { limit: 100 });
    return list.items.find((f) => f.originalFilename === name);
  }

  async function downloadedSha(fileId: string): Promise<string> {
    const { url } = await trpc<{ url: string }>("files.downloadUrl", { fileId });
    const response = await fetch(url);
    const hash = createHash("sha256");
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
    return hash.digest("hex");
  }

  /**
   * Part numbers of the part PUTs the page sends from now on. With `ignoreAbortedByPage`, a PUT the page itself
   * aborted is left out once its failure is reported: a request held by a route and aborted by a pause can be
   * reported to the test after the pause shows, although the page issued it before.
   */
  function countPartPuts(options: { ignoreAbortedByPage?: boolean } = {}): { sent: number[]; stop(): void } {
    const sent: number[] = [];
    const seen: { request: Request; part: number }[] = [];
    const aborted = new Set<Request>();
    const onRequest = (request: Request) => {
      if (request.method() !== "PUT") return;
      const part = partOf(request.url());
      if (!part) return;
      seen.push({ request, part: Number(part) });
      if (!options.ignoreAbortedByPage) sent.push(Number(part));
    };
    const onFailed = (request: Request) => {
      if (request.failure()?.errorText.includes("ERR_ABORTED")) aborted.add(request);
    };
    page().on("request", onRequest);
    page().on("requestfailed", onFailed);
    return {
      sent,
      stop: () => {
        page().off("request", onRequest);
        page().off("requestfailed", onFailed);
        if (options.ignoreAbortedByPage) {
          sent.push(...seen.filter((s) => !aborted.has(s.request)).map((s) => s.part));
        }
      },
    };
  }

  /** Holds every part PUT numbered `from` or later unanswered (until the page aborts it or is reloaded). */
  async function holdPartsFrom(from: number) {
    await page().route("**/*", async (route) => {
      const part = partOf(route.request().url());
      if (route.request().method() === "PUT" && part && Number(part) >= from) return;
      return route.fallback();
    });
  }

  /** Resolves once the storage has accepted each of these parts. */
  function partsAccepted(parts: number[]) {
    return Promise.all(
      parts.map((n) =>
        page().waitForResponse(
          (r) => r.request().method() === "PUT" && partOf(r.url()) === String(n) && r.ok(),
          {
            timeout: 120_000,
          },
        ),
      ),
    );
  }

  /**
   * Waits until IndexedDB's journal of interrupted uploads holds `parts` parts done for one upload: the signed-in
   * user's (`signet-uploads`) or, on a guest upload page, `signet-guest-uploads`. Each poll opens the SPA's
   * database and closes it again; one that does not exist yet is not created here (an empty database of that name
   * would leave the SPA without its store).
   */
  async function journalHas(parts: number, database = "signet-uploads") {
    await page().waitForFunction(
      ([count, name]) =>
        new Promise<boolean>((resolve) => {
          const open = indexedDB.open(name);
          open.onupgradeneeded = () => open.transaction?.abort();
          open.onsuccess = () => {
            const db = open.result;
            try {
              const all = db.transaction("interrupted", "readonly").objectStore("interrupted").getAll();
              all.onsuccess = () => {
                db.close();
                resolve((all.result as { partsDone: number[] }[]).some((r) => r.partsDone.length >= count));
              };
              all.onerror = () => {
                db.close();
                resolve(false);
              };
            } catch {
              // The SPA has not created its store yet.
              db.close();
              resolve(false);
            }
          };
          open.onerror = () => resolve(false);
        }),
      [parts, database] as const,
      { timeout: 30_000, polling: 250 },
    );
  }

  async function partsOnServer(fileId: string): Promise<number[]> {
    const listed = await trpc<{ parts: { partNumber: number }[] }>("files.listParts", { fileId });
    return listed.parts.map((p) => p.partNumber).toSorted((a, b) => a - b);
  }

  const interruptedEntries = () =>
    page().getByRole("list", { name: "Interrupted uploads" }).getByRole("listitem");

  const row = (name: string) =>
    page().getByRole("list", { name: "Uploads" }).getByRole("listitem").filter({ hasText: name });

  return {
    trpc,
    fileNamed,
    downloadedSha,
    countPartPuts,
    holdPartsFrom,
    partsAccepted,
    journalHas,
    partsOnServer,
    interruptedEntries,
    row,
  };
}
