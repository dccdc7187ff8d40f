/**
 * Recognizes real raster images by their bytes, so a renamed SVG or HTML page is never served as a profile image.
 * Checks both ends of the file: the signature at the start and the terminator (or declared length) that a
 * truncated upload lacks.
 */
import type { Storage } from "../deps.ts";
import type { ImageType } from "./validation.ts";

/** How many leading bytes `sniffImage` needs. */
export const HEAD_BYTES = 64;
/** How many trailing bytes `sniffImage` needs. */
export const TAIL_BYTES = 12;

function startsWith(bytes: Uint8Array, prefix: number[], offset = 0): boolean {
  return prefix.every((b, i) => bytes[offset + i] === b);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function u32be(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function u32le(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/**
 * Which image type the bytes are, or null. `head` is the first bytes of the object, `tail` its last bytes,
 * `size` its total length.
 */
export function sniffImage(head: Uint8Array, tail: Uint8Array, size: number): ImageType | null {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    // Every PNG ends with the IEND chunk: length 0, "IEND", CRC ae426082.
    const iend = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
    return tail.length >= 12 && startsWith(tail, iend, tail.length - 12) ? "image/png" : null;
  }
  if (startsWith(head, [0xff, 0xd8, 0xff])) {
    // End Of Image marker.
    return tail.length >= 2 && tail[tail.length - 2] === 0xff && tail[tail.length - 1] === 0xd9
      ? "image/jpeg"
      : null;
  }
  if (ascii(head, 0, 6) === "GIF87a" || ascii(head, 0, 6) === "GIF89a") {
    // Trailer byte.
    return tail[tail.length - 1] === 0x3b ? "image/gif" : null;
  }
  if (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "WEBP") {
    // The RIFF header declares the length of everything after its first 8 bytes.
    return u32le(head, 4) + 8 === size ? "image/webp" : null;
  }
  if (ascii(head, 4, 8) === "ftyp") {
    const boxSize = u32be(head, 0);
    const brands: string[] = [ascii(head, 8, 12)];
    for (let at = 16; at + 4 <= Math.min(boxSize, head.length); at += 4) brands.push(ascii(head, at, at + 4));
    const isAvif = brands.includes("avif") || brands.includes("avis");
    // An ftyp box alone (or one larger than the file) is a truncated AVIF.
    return isAvif && boxSize >= 16 && boxSize < size ? "image/avif" : null;
  }
  return null;
}

/** Which image type the stored object `key` of `size` bytes is, read from its two ends (two range GETs), or null. */
export async function sniffStoredImage(
  storage: Pick<Storage, "getObjectRange">,
  key: string,
  size: number,
): Promise<ImageType | null> {
  const head = await storage.getObjectRange(key, 0, Math.min(HEAD_BYTES, size) - 1);
  const tail = await storage.getObjectRange(key, Math.max(0, size - TAIL_BYTES), size - 1);
  return sniffImage(head, tail, size);
}
