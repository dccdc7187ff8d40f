import { S3Error } from "./errors.ts";

// S3's responses are small, flat and machine-written, so a few regular expressions read them reliably; a general
// XML parser would be the only dependency of the signer. Tags are our own constants, never user input.

const ENTITY = /&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(amp|lt|gt|quot|apos));/g;
const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes XML character references and the five predefined entities. */
export function decodeXml(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(
    ENTITY,
    (_, hex: string | undefined, dec: string | undefined, name: string | undefined) =>
      hex
        ? String.fromCodePoint(Number.parseInt(hex, 16))
        : dec
          ? String.fromCodePoint(Number(dec))
          : NAMED[name!]!,
  );
}

/** Escapes text for an XML element body. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" }[c]};`,
  );
}

const patterns = new Map<string, RegExp>();

/** Raw inner XML of every `<tag>` element (not entity-decoded, so it can be searched further). */
export function xmlElements(xml: string, tag: string): string[] {
  let re = patterns.get(tag);
  if (!re) {
    re = new RegExp(`<${tag}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${tag}\\s*>)`, "g");
    patterns.set(tag, re);
  }
  return Array.from(xml.matchAll(re), (m) => m[1] ?? "");
}

/** Decoded text of the first `<tag>` element, or undefined when there is none. */
export function xmlText(xml: string, tag: string): string | undefined {
  const [first] = xmlElements(xml, tag);
  return first === undefined ? undefined : decodeXml(first.trim());
}

/** Decoded texts of every `<tag>` element. */
export function xmlTexts(xml: string, tag: string): string[] {
  return xmlElements(xml, tag).map((inner) => decodeXml(inner.trim()));
}

const STATUS_CODES: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  411: "MissingContentLength",
  412: "PreconditionFailed",
  416: "InvalidRange",
  429: "SlowDown",
  500: "InternalError",
  501: "NotImplemented",
  503: "ServiceUnavailable",
};

/**
 * Reads an S3 `<Error>` document. Returns undefined when the body holds no `<Error>` element, so callers can
 * tell a 200 CompleteMultipartUpload that failed from one that succeeded.
 */
export function parseS3Error(body: string, status: number, requestId?: string | null): S3Error | undefined {
  const [error] = xmlElements(body, "Error");
  if (error === undefined) return undefined;
  const code = xmlText(error, "Code") || STATUS_CODES[status] || `Http${status}`;
  return new S3Error({
    code,
    status,
    message: xmlText(error, "Message") || `${code} (HTTP ${status})`,
    requestId: xmlText(error, "RequestId") || requestId || undefined,
  });
}

/** An S3Error for a response, from its `<Error>` body when it has one and from its status otherwise (HEAD). */
export function s3ErrorFrom(body: string, status: number, requestId?: string | null): S3Error {
  const parsed = parseS3Error(body, status, requestId);
  if (parsed) return parsed;
  const code = STATUS_CODES[status] ?? `Http${status}`;
  return new S3Error({
    code,
    status,
    message: `${code} (HTTP ${status})`,
    requestId: requestId || undefined,
  });
}

/**
 * The S3Error a failed response carries (its `<Error>` body, or its status when there is none). For callers that
 * send presigned requests themselves, as a browser would; consumes the body.
 */
export async function s3ErrorOf(response: Response): Promise<S3Error> {
  return s3ErrorFrom(await response.text(), response.status, response.headers.get("x-amz-request-id"));
}
