// User metadata values beyond ASCII, as S3 and R2 treat them: what a client sends is decoded before it is stored
// (its header bytes read as UTF-8, then any RFC 2047 encoded-words decoded), limits apply to the decoded text,
// and a value that is not plain ASCII goes back out RFC 2047-encoded, so a client never has to guess the charset
// of a header (Node, undici and Python all read header bytes as latin1 and showed UTF-8 values as mojibake).
// Written here rather than taken from a MIME library: those pull in iconv and Node's Buffer, and this core runs
// on Web standards only; UTF-8 out and the charsets TextDecoder knows in are all S3 clients use.

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
/** Whitespace between two encoded-words is not part of the text (RFC 2047 §6.2). */
const BETWEEN_WORDS = /(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for characters beyond one byte
const ONE_BYTE_EACH = /^[\u0000-\u00ff]*$/;
/** What stays literal in a Q-encoded word: printable ASCII but `=`, `?`, `_` (space becomes `_`). */
const Q_LITERAL = /^[!-<>@-^`-~]$/;

function decodeWord(charset: string, encoding: string, text: string): string | undefined {
  let bytes: Uint8Array;
  try {
    if (encoding === "B" || encoding === "b") {
      bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    } else {
      const unescaped = text
        .replace(/_/g, " ")
        .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
      bytes = Uint8Array.from(unescaped, (c) => c.charCodeAt(0));
    }
    // RFC 2231 lets a language follow the charset (`UTF-8*en`); it does not change the bytes.
    return new TextDecoder(charset.split("*")[0], { fatal: true }).decode(bytes);
  } catch {
    return undefined; // an unknown charset or broken word stays as it was sent, as S3 keeps it
  }
}

/**
 * A metadata value as the client meant it. Header values arrive one character per byte (latin1); bytes that form
 * UTF-8 are read as UTF-8 (what SDKs send for non-ASCII), anything else stays as it came.
 */
export function metadataFromHeader(raw: string): string {
  let text = raw;
  if (ONE_BYTE_EACH.test(raw) && /[\u0080-\u00ff]/.test(raw)) {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(raw, (c) => c.charCodeAt(0)));
    } catch {}
  }
  if (!text.includes("=?")) return text;
  return text
    .replace(BETWEEN_WORDS, "$1")
    .replace(
      ENCODED_WORD,
      (word, charset: string, encoding: string, data: string) => decodeWord(charset, encoding, data) ?? word,
    );
}

/** A stored metadata value as a header: as is when printable ASCII, else one RFC 2047 Q-encoded UTF-8 word. */
export function metadataToHeader(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  let word = "";
  for (const byte of new TextEncoder().encode(value)) {
    const char = String.fromCharCode(byte);
    word +=
      char === " "
        ? "_"
        : Q_LITERAL.test(char)
          ? char
          : `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `=?UTF-8?Q?${word}?=`;
}
