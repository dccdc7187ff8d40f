/**
 * The square crop of a profile picture, in the source image's own pixels (after EXIF orientation). Pure
 * arithmetic, so the cropper component, the keyboard and the final render all agree on one rectangle.
 */

/** The longest side of the uploaded picture; smaller crops are uploaded at their own size, never upscaled. */
export const OUTPUT_SIDE = 512;
/** The smallest crop the zoom allows, in source pixels, so a zoomed crop never turns into a few blurred pixels. */
const MIN_SIDE = 16;
const MAX_ZOOM = 8;

export interface CropState {
  /** The source image's size, upright. */
  width: number;
  height: number;
  /** 1 = the largest square that fits; up to `maxZoom`. */
  zoom: number;
  /** The crop's centre, in source pixels. */
  centerX: number;
  centerY: number;
}

/** A square in source pixels: top-left corner and side. */
export interface CropRect {
  x: number;
  y: number;
  side: number;
}

/** The largest zoom for an image of this size. */
export function maxZoom(width: number, height: number): number {
  return Math.max(1, Math.min(MAX_ZOOM, Math.min(width, height) / MIN_SIDE));
}

/** The largest centred square. */
export function initialCrop(width: number, height: number): CropState {
  return { width, height, zoom: 1, centerX: width / 2, centerY: height / 2 };
}

function sideOf(state: CropState): number {
  return Math.min(state.width, state.height) / state.zoom;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/** The same crop with zoom and centre pulled back inside the image. */
export function clampCrop(state: CropState): CropState {
  const zoom = clamp(state.zoom, 1, maxZoom(state.width, state.height));
  const half = Math.min(state.width, state.height) / zoom / 2;
  return {
    ...state,
    zoom,
    centerX: clamp(state.centerX, half, state.width - half),
    centerY: clamp(state.centerY, half, state.height - half),
  };
}

/** The square to cut out of the source. */
export function cropRect(state: CropState): CropRect {
  const side = sideOf(state);
  return { x: state.centerX - side / 2, y: state.centerY - side / 2, side };
}

/** Side of the uploaded picture: OUTPUT_SIDE, or the crop's own size when that is smaller. */
export function outputSide(state: CropState): number {
  return Math.max(1, Math.min(OUTPUT_SIDE, Math.round(sideOf(state))));
}

/** Zooms about the crop's centre. */
export function zoomTo(state: CropState, zoom: number): CropState {
  return clampCrop({ ...state, zoom });
}

/**
 * Moves the picture under the frame by (dx, dy) screen pixels, as a drag does: dragging right shows more of the
 * left of the picture. `frame` is the frame's side in screen pixels.
 */
export function moveBy(state: CropState, dx: number, dy: number, frame: number): CropState {
  const perPixel = sideOf(state) / frame;
  return clampCrop({
    ...state,
    centerX: state.centerX - dx * perPixel,
    centerY: state.centerY - dy * perPixel,
  });
}

/** How the source image sits in a frame of `frame` screen pixels: its displayed size and offset. */
export function placement(state: CropState, frame: number) {
  const scale = frame / sideOf(state);
  const rect = cropRect(state);
  return {
    width: state.width * scale,
    height: state.height * scale,
    left: -rect.x * scale,
    top: -rect.y * scale,
  };
}

/** What a key does in the crop frame: arrows move (Shift: further), + and - zoom, 0 resets; null otherwise. */
export function cropKey(state: CropState, key: string, shift: boolean, frame: number): CropState | null {
  const step = shift ? 40 : 8;
  switch (key) {
    case "ArrowLeft":
      return moveBy(state, -step, 0, frame);
    case "ArrowRight":
      return moveBy(state, step, 0, frame);
    case "ArrowUp":
      return moveBy(state, 0, -step, frame);
    case "ArrowDown":
      return moveBy(state, 0, step, frame);
    case "+":
    case "=":
      return zoomTo(state, state.zoom * 1.25);
    case "-":
    case "_":
      return zoomTo(state, state.zoom / 1.25);
    case "0":
      return initialCrop(state.width, state.height);
    default:
      return null;
  }
}
