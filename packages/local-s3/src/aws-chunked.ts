// Decodes S3's `aws-chunked` content encoding in its unsigned form (x-amz-content-sha256:
// STREAMING-UNSIGNED-PAYLOAD-TRAILER), which current AWS SDKs use to send a streamed body with its checksum as a
// trailer:   <hex size>\r\n<bytes>\r\n ... 0\r\n<trailer-name>:<value>\r\n\r\n
// Data is handed on as views of the arriving chunks; only the short framing lines are copied.
import { S3Error } from "./errors.ts";

/** Longest framing line accepted (a size line or a trailer); anything longer is not aws-chunked. */
const MAX_LINE = 4096;
const CR = 13;
const LF = 10;

function malformed(why: string): S3Error {
  return new S3Error("IncompleteBody", `The aws-chunked body is malformed: ${why}.`);
}

/**
 * Yields the decoded bytes of an aws-chunked body read from `source`; once it is done, `trailers` holds the
 * trailing headers (names lower-case). Throws IncompleteBody when the framing is broken or cut short.
 */
export async function* decodeAwsChunked(
  source: AsyncIterable<Uint8Array>,
  trailers: Map<string, string>,
): AsyncGenerator<Uint8Array, void, undefined> {
  let state: "size" | "data" | "data-end" | "trailer" | "done" = "size";
  let line: number[] = [];
  let left = 0;
  let crlf = 0;
  for await (const chunk of source) {
    let at = 0;
    while (at < chunk.byteLength) {
      if (state === "data") {
        const take = Math.min(left, chunk.byteLength - at);
        yield chunk.subarray(at, at + take);
        at += take;
        left -= take;
        if (left === 0) state = "data-end";
      } else if (state === "data-end") {
        const byte = chunk[at++];
        if (byte !== (crlf === 0 ? CR : LF)) throw malformed("a chunk is longer than its size line");
        if (++crlf === 2) {
          crlf = 0;
          state = "size";
        }
      } else if (state === "done") {
        throw malformed("bytes follow the final chunk");
      } else {
        const byte = chunk[at++] ?? 0;
        if (byte !== LF) {
          if (line.length >= MAX_LINE) throw malformed("a framing line is too long");
          line.push(byte);
          continue;
        }
        if (line.at(-1) !== CR) throw malformed("a line does not end in CRLF");
        const text = String.fromCharCode(...line.slice(0, -1));
        line = [];
        if (state === "size") {
          // Signed chunks carry `;chunk-signature=`; this decoder is only reached for unsigned bodies.
          const m = /^([0-9a-fA-F]{1,16})$/.exec(text);
          if (!m) throw malformed(`bad chunk size line "${text.slice(0, 40)}"`);
          left = Number.parseInt(m[1] ?? "", 16);
          state = left === 0 ? "trailer" : "data";
        } else if (text === "") state = "done";
        else {
          const colon = text.indexOf(":");
          if (colon <= 0) throw malformed("a trailer is not a header");
          trailers.set(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
        }
      }
    }
  }
  if (state !== "done") throw malformed("the body ended before its final chunk");
}
