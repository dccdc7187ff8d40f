/**
 * Serves the built SPA: files from the dist directory, `index.html` for client-side routes, and a short page
 * explaining how to build it when the directory is missing.
 */
import { readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The built SPA beside this package (apps/web/dist): what is served when WEB_DIST_DIR is unset. */
export const builtSpaDir = fileURLToPath(new URL("../../../web/dist", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json",
};

const NOT_BUILT =
  "Signet: the web app is not built yet: run pnpm build (or pnpm start from the repository root), then reload.\n";

async function fileAt(path: string): Promise<Uint8Array | null> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return null;
    return new Uint8Array(await readFile(path));
  } catch {
    return null;
  }
}

/** A handler answering GET/HEAD for the SPA rooted at `distDir`. */
export function spaHandler(distDir: string): (request: Request) => Promise<Response> {
  const root = resolve(distDir);
  return async (request) => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url).pathname);
    } catch {
      return new Response("Bad path", { status: 400 });
    }
    const target = resolve(join(root, pathname));
    // Anything resolving outside the dist directory (../, encoded or not) falls back to index.html.
    const inside = target === root || target.startsWith(root + sep);
    const asset = inside && !pathname.endsWith("/") ? await fileAt(target) : null;
    // A page of its own beside the SPA (the Uppy example at /examples/uppy): its directory's index.html.
    const page = !asset && inside && target !== root ? await fileAt(join(target, "index.html")) : null;
    if (page) {
      return new Response(request.method === "HEAD" ? null : (page as BodyInit), {
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
      });
    }
    if (asset) {
      const immutable = pathname.startsWith("/assets/");
      return new Response(request.method === "HEAD" ? null : (asset as BodyInit), {
        headers: {
          "content-type": TYPES[extname(target).toLowerCase()] ?? "application/octet-stream",
          "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
        },
      });
    }
    const index = await fileAt(join(root, "index.html"));
    if (!index) {
      return new Response(NOT_BUILT, { headers: { "content-type": "text/plain; charset=utf-8" } });
    }
    return new Response(request.method === "HEAD" ? null : (index as BodyInit), {
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
    });
  };
}
