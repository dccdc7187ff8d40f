import { describe, expect, it } from "vitest";
import {
  checkChecksumSha256,
  checkContentType,
  checkHeaderValue,
  isChecksumSha256,
  isContentType,
  isHeaderValue,
  isMetadataValue,
  metadataHeaders,
} from "./validate.ts";

/** The canonical base64 of `bytes`. */
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** Whether `check` accepts `value` (returns instead of throwing). */
function accepts(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

describe("the exported predicates are exactly what the checks refuse by", () => {
  it("isChecksumSha256: 32 bytes whose base64 re-encodes to the same string", () => {
    const digests = [
      new Uint8Array(32),
      new Uint8Array(32).fill(255),
      Uint8Array.from({ length: 32 }, (_, i) => i * 7),
    ];
    for (const digest of digests) {
      const text = base64(digest);
      expect(isChecksumSha256(text)).toBe(true);
      expect(checkChecksumSha256(text)).toBe(text);
    }
    for (const value of [
      `${"B".repeat(43)}=`,
      `${"A".repeat(43)}`,
      `${"A".repeat(42)}==`,
      base64(new Uint8Array(31)),
      42,
    ]) {
      expect(isChecksumSha256(value)).toBe(false);
      expect(accepts(() => checkChecksumSha256(value))).toBe(false);
    }
    // Every last digit either is canonical and round-trips, or is refused.
    for (const last of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
      const text = `${"A".repeat(42)}${last}=`;
      const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
      expect(isChecksumSha256(text)).toBe(bytes.length === 32 && base64(bytes) === text);
    }
  });

  it("isContentType and isHeaderValue agree with their checks", () => {
    for (const value of [
      "image/png",
      "text/plain; charset=utf-8",
      "*/*",
      "text/pl%ain",
      "a",
      "",
      "tëxt/plain",
      1,
    ]) {
      expect(isContentType(value)).toBe(accepts(() => checkContentType(value)));
    }
    expect(isContentType("*/*")).toBe(false);
    for (const value of ["max-age=60", " padded", "a\nb", "", "ü", "x".repeat(1025)]) {
      expect(isHeaderValue(value)).toBe(accepts(() => checkHeaderValue(value, "h")));
    }
  });

  it("isMetadataValue refuses lone surrogates and control characters, as metadataHeaders does", () => {
    for (const value of [
      "a.txt",
      "résumé.pdf",
      "emoji 😀.png",
      "a\ud800b.txt",
      "\udc00",
      "a\u0000b",
      "a\u0085b",
    ]) {
      expect(isMetadataValue(value)).toBe(accepts(() => metadataHeaders({ name: value })));
    }
    expect(isMetadataValue("a\ud800b.txt")).toBe(false);
    expect(isMetadataValue("emoji 😀.png")).toBe(true);
  });
});
