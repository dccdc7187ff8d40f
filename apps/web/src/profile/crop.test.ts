import { describe, expect, it } from "vitest";
import { cropKey, cropRect, initialCrop, maxZoom, moveBy, outputSide, placement, zoomTo } from "./crop.ts";

describe("profile picture crop", () => {
  it("starts with the largest centred square and uploads at most 512 px, never upscaled", () => {
    const crop = initialCrop(4000, 3000);
    expect(cropRect(crop)).toEqual({ x: 500, y: 0, side: 3000 });
    expect(outputSide(crop)).toBe(512);
    expect(outputSide(initialCrop(64, 80))).toBe(64);
  });

  it("zooms about the centre within 1..maxZoom and keeps the square inside the image", () => {
    const crop = zoomTo(initialCrop(4000, 3000), 2);
    expect(cropRect(crop)).toEqual({ x: 1250, y: 750, side: 1500 });
    expect(zoomTo(crop, 100).zoom).toBe(8);
    expect(zoomTo(crop, 0.1).zoom).toBe(1);
    expect(maxZoom(32, 40)).toBe(2);
    // Zooming out near an edge pulls the square back inside.
    const atCorner = moveBy(crop, 10_000, 10_000, 100);
    expect(cropRect(atCorner)).toMatchObject({ x: 0, y: 0 });
    expect(cropRect(zoomTo(atCorner, 1))).toEqual({ x: 0, y: 0, side: 3000 });
  });

  it("moves like a drag: dragging right shows more of the left", () => {
    const crop = zoomTo(initialCrop(1000, 1000), 2);
    // A 250 px frame shows 500 source px: 10 screen px are 20 source px.
    expect(cropRect(moveBy(crop, 10, 0, 250))).toEqual({ x: 230, y: 250, side: 500 });
    expect(placement(crop, 250)).toEqual({ width: 500, height: 500, left: -125, top: -125 });
  });

  it("answers the keyboard: arrows move, + and - zoom, 0 resets, other keys are not its own", () => {
    const crop = zoomTo(initialCrop(1000, 1000), 2);
    expect(cropRect(cropKey(crop, "ArrowLeft", false, 250)!).x).toBe(250 + 16);
    expect(cropRect(cropKey(crop, "ArrowDown", true, 250)!).y).toBe(250 - 80);
    expect(cropKey(crop, "+", false, 250)!.zoom).toBeCloseTo(2.5);
    expect(cropKey(crop, "-", false, 250)!.zoom).toBeCloseTo(1.6);
    expect(cropKey(crop, "0", false, 250)).toEqual(initialCrop(1000, 1000));
    expect(cropKey(crop, "Tab", false, 250)).toBeNull();
  });
});
