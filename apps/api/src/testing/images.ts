/** Small byte sequences shaped like real image files (signature + terminator), and impostors. */

function concat(...parts: (number[] | Uint8Array | string)[]): Uint8Array {
  const arrays = parts.map((p) =>
    typeof p === "string" ? new TextEncoder().encode(p) : p instanceof Uint8Array ? p : Uint8Array.from(p),
  );
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IHDR = [
  0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
];
const IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

/** A PNG; `seed` varies the payload so two images differ. */
export function png(seed = 0): Uint8Array {
  return concat(PNG_SIGNATURE, IHDR, [0, 0, 0, 1, 0x74, 0x45, 0x58, 0x74, seed & 0xff, 0, 0, 0, 0], IEND);
}

export function jpeg(): Uint8Array {
  return concat([0xff, 0xd8, 0xff, 0xe0, 0, 16], "JFIF\0", [1, 1, 0, 0, 1, 0, 1, 0, 0], [0xff, 0xd9]);
}

export function gif(): Uint8Array {
  return concat("GIF89a", [1, 0, 1, 0, 0, 0, 0], [0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0], [0x3b]);
}

export function webp(): Uint8Array {
  const payload = concat("WEBP", "VP8L", [5, 0, 0, 0, 0x2f, 0, 0, 0, 0, 0]);
  const size = payload.length;
  return concat("RIFF", [size & 0xff, (size >> 8) & 0xff, 0, 0], payload);
}

export function avif(): Uint8Array {
  const ftyp = concat([0, 0, 0, 24], "ftyp", "avif", [0, 0, 0, 0], "avifmif1");
  return concat(ftyp, [0, 0, 0, 16], "mdat", [1, 2, 3, 4, 5, 6, 7, 8]);
}

export const svg = () =>
  new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
export const html = () => new TextEncoder().encode("<!doctype html><script>alert(document.cookie)</script>");
/** A PNG cut short: right signature, no IEND. */
export const truncatedPng = () => png().subarray(0, 40);
