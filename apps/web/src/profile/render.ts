/**
 * Decoding and re-encoding a profile picture in the browser. Decoding applies the JPEG's EXIF orientation, and
 * drawing the pixels into a fresh canvas leaves every byte of metadata (EXIF, GPS position, camera, ICC notes)
 * behind: what is uploaded is only the pixels the user chose. The server still verifies what arrives.
 */
import type { CropRect } from "./crop.ts";

/** Output types in order of preference: WebP is far smaller for photos; PNG is what every browser can encode. */
const OUTPUT_TYPES = ["image/webp", "image/png"] as const;
const EXTENSIONS: Record<(typeof OUTPUT_TYPES)[number], string> = {
  "image/webp": "webp",
  "image/png": "png",
};

/** The picture's pixels, upright. Rejects when the browser cannot decode the file as an image. */
export async function decodeImage(file: Blob): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (error) {
    // Browsers from before the "from-image" value reject the option itself; they apply EXIF by default.
    if (error instanceof TypeError) return createImageBitmap(file);
    throw error;
  }
}

function toBlob(canvas: HTMLCanvasElement, type: string): Promise<Blob | null> {
  return new Promise((resolve) => canvas.toBlob(resolve, type, 0.9));
}

/**
 * Cuts `rect` out of the picture and encodes it as a `side`×`side` image of the first of WebP and PNG that both
 * the server accepts (`allowed`) and the browser can encode.
 */
export async function renderCrop(
  image: CanvasImageSource,
  rect: CropRect,
  side: number,
  allowed: readonly string[],
): Promise<File> {
  const canvas = document.createElement("canvas");
  canvas.width = side;
  canvas.height = side;
  const context = canvas.getContext("2d");
  if (!context) throw new Error("This browser cannot draw images.");
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = "high";
  context.drawImage(image, rect.x, rect.y, rect.side, rect.side, 0, 0, side, side);
  for (const type of OUTPUT_TYPES) {
    if (!allowed.includes(type)) continue;
    const blob = await toBlob(canvas, type);
    // A browser that cannot encode a type silently hands back PNG instead.
    if (blob?.type === type) return new File([blob], `profile.${EXTENSIONS[type]}`, { type });
  }
  throw new Error("This browser cannot encode a picture the server accepts.");
}
