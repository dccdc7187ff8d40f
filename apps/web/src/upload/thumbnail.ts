/**
 * A file's thumbnail, made here in the browser so the server never decodes user bytes: the image (or a video's
 * first frame) is decoded by the browser, drawn on a canvas at most THUMBNAIL_EDGE px on its long side and encoded as WebP. A canvas's
 * output is only pixels, so EXIF, GPS and every other metadata field of the original are gone.
 */
import type { FileView, ThumbnailApi } from "../api/types.ts";

/** The long side of a thumbnail, in CSS pixels. */
export const THUMBNAIL_EDGE = 256;

/** How long a video's first frame may take to decode before the thumbnail is given up. */
const FIRST_FRAME_DEADLINE_MS = 30_000;

/** A video's first frame, where the browser decodes the video; null where it does not. */
async function firstFrame(source: Blob): Promise<ImageBitmap | null> {
  const video = document.createElement("video");
  video.muted = true;
  video.preload = "auto";
  const url = URL.createObjectURL(source);
  let deadline: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      video.addEventListener("loadeddata", () => resolve(), { once: true });
      video.addEventListener("error", () => reject(video.error), { once: true });
      // A browser may defer a detached video's loading indefinitely: no thumbnail then, rather than a promise
      // and a video element kept forever.
      deadline = setTimeout(() => reject(new Error("no first frame in time")), FIRST_FRAME_DEADLINE_MS);
      video.src = url;
    });
    return await createImageBitmap(video);
  } catch {
    return null;
  } finally {
    clearTimeout(deadline);
    video.removeAttribute("src");
    video.load();
    URL.revokeObjectURL(url);
  }
}

async function decode(source: Blob, type: string): Promise<ImageBitmap | null> {
  if (type.startsWith("video/")) return firstFrame(source);
  return createImageBitmap(source).catch(() => null);
}

/**
 * Decodes `source` (an image, or a video's first frame) and renders it as a WebP of at most THUMBNAIL_EDGE px;
 * null when the browser cannot.
 */
export async function renderThumbnail(source: Blob, type = source.type): Promise<Blob | null> {
  const bitmap = await decode(source, type);
  if (!bitmap) return null;
  const scale = Math.min(1, THUMBNAIL_EDGE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d")?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/webp", 0.8));
  // A browser without a WebP encoder falls back to PNG: the server only keeps WebP, so nothing is sent.
  return blob?.type === "image/webp" ? blob : null;
}

async function sha256Base64(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return btoa(String.fromCharCode(...digest));
}

/**
 * Makes and uploads the thumbnail of a just-verified image or video: signed with its size and checksum, PUT straight to
 * the bucket, verified by the server. Resolves true once the server kept it; false for a file that has none
 * (not an image, undecodable, too big, refused). Never throws: a thumbnail is a nicety, the upload succeeded.
 */
export async function makeThumbnail(api: ThumbnailApi, file: FileView, source: Blob): Promise<boolean> {
  const visual = file.contentType.startsWith("image/") || file.contentType.startsWith("video/");
  if (!visual || file.status !== "ready") return false;
  try {
    const blob = await renderThumbnail(source, file.contentType);
    if (!blob) return false;
    const bytes = await blob.arrayBuffer();
    const ticket = await api.createThumbnailUpload({
      fileId: file.id,
      size: bytes.byteLength,
      checksumSha256: await sha256Base64(bytes),
    });
    // The browser sets Content-Length itself and refuses to be told it.
    const headers = Object.fromEntries(
      Object.entries(ticket.headers).filter(([name]) => name.toLowerCase() !== "content-length"),
    );
    const put = await fetch(ticket.url, { method: "PUT", headers, body: bytes });
    if (!put.ok) return false;
    await api.completeThumbnailUpload({ fileId: file.id });
    return true;
  } catch {
    return false;
  }
}
