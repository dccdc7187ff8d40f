import { describe, expect, it } from "vitest";
import { avif, gif, html, jpeg, png, svg, truncatedPng, webp } from "../testing/images.ts";
import { HEAD_BYTES, sniffImage, TAIL_BYTES } from "./image-sniff.ts";

function sniff(bytes: Uint8Array) {
  return sniffImage(
    bytes.subarray(0, HEAD_BYTES),
    bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)),
    bytes.length,
  );
}

describe("sniffImage", () => {
  it.each([
    ["image/png", png()],
    ["image/jpeg", jpeg()],
    ["image/gif", gif()],
    ["image/webp", webp()],
    ["image/avif", avif()],
  ])("recognizes %s", (type, bytes) => {
    expect(sniff(bytes)).toBe(type);
  });

  it.each([
    ["svg", svg()],
    ["html", html()],
    ["truncated png", truncatedPng()],
    ["jpeg without end marker", jpeg().subarray(0, 10)],
    ["webp with a wrong length", webp().subarray(0, 20)],
    ["gif without trailer", gif().subarray(0, 12)],
    ["empty", new Uint8Array()],
  ])("refuses %s", (_name, bytes) => {
    expect(sniff(bytes)).toBeNull();
  });
});
