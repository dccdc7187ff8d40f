import { describe, expect, it } from "vitest";
import { contentDisposition, SignerInputError } from "./index.ts";

// The grammar a header value must stay within: one line of visible ASCII and spaces.
const ONE_SAFE_LINE = /^[\u0020-\u007e]+$/;
// disposition-type; filename=quoted-string; filename*=ext-value (RFC 6266 / RFC 8187 attr-chars and %XX).
const RFC6266_VALUE =
  /^(?:inline|attachment); filename="(?:[^"\\]|\\.)*"; filename\*=UTF-8''(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})+$/;

/** The filename* value decoded back, as an RFC 6266 client reads it. */
function extendedName(value: string): string {
  const match = /filename\*=UTF-8''([^;\s]+)/.exec(value);
  if (!match?.[1]) throw new Error(`no filename* in ${value}`);
  return decodeURIComponent(match[1]);
}

/** The quoted fallback, as a legacy client reads it. */
function fallbackName(value: string): string {
  const match = /filename="((?:[^"\\]|\\.)*)"/.exec(value);
  if (!match || match[1] === undefined) throw new Error(`no filename in ${value}`);
  return match[1];
}

describe("contentDisposition", () => {
  it("gives an ASCII fallback and the exact UTF-8 name", () => {
    expect(contentDisposition("report.pdf", "attachment")).toBe(
      `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );
    expect(contentDisposition("Été 2026 — résumé.pdf", "inline")).toBe(
      `inline; filename="Ete 2026 _ resume.pdf"; filename*=UTF-8''%C3%89t%C3%A9%202026%20%E2%80%94%20r%C3%A9sum%C3%A9.pdf`,
    );
  });

  it("defaults to attachment", () => {
    expect(contentDisposition("a.txt").startsWith("attachment;")).toBe(true);
  });

  // [name given, name a modern client must see] — control characters dropped, lone surrogates replaced.
  const hostile: [string, string][] = [
    ['quote".txt', 'quote".txt'],
    ["back\\slash.txt", "back\\slash.txt"],
    ['x"; filename="evil.exe', 'x"; filename="evil.exe'],
    ["crlf\r\nSet-Cookie: a=b.txt", "crlfSet-Cookie: a=b.txt"],
    ["nul\u0000del\u007fc1\u0085.txt", "nuldelc1.txt"],
    ["tab\tname.txt", "tabname.txt"],
    ["semi;colon's (1)*.txt", "semi;colon's (1)*.txt"],
    ["percent%20encoded%.txt", "percent%20encoded%.txt"],
    ["../../etc/passwd", "../../etc/passwd"],
    ["C:\\Windows\\evil.bat", "C:\\Windows\\evil.bat"],
    ["日本語のファイル.txt", "日本語のファイル.txt"],
    ["emoji 🎉.png", "emoji 🎉.png"],
    ["lone\ud800surrogate.txt", "lone\ufffdsurrogate.txt"],
  ];
  for (const [name, exact] of hostile) {
    it(`keeps ${JSON.stringify(name)} inside the header`, () => {
      const value = contentDisposition(name, "attachment");
      expect(value).toMatch(ONE_SAFE_LINE);
      // The whole value parses as exactly the three parts: the name can never add, end or split one.
      expect(value).toMatch(RFC6266_VALUE);
      expect(fallbackName(value)).not.toMatch(/["\\/%]/);
      expect(extendedName(value)).toBe(exact);
    });
  }

  it("rejects an empty name and an unknown type by field", () => {
    expect(() => contentDisposition("  \r\n ", "attachment")).toThrow(
      expect.objectContaining({ field: "filename" }),
    );
    expect(() => contentDisposition("a", "download" as never)).toThrow(SignerInputError);
    expect(() => contentDisposition("a", "download" as never)).toThrow(
      expect.objectContaining({ field: "type" }),
    );
  });
});
