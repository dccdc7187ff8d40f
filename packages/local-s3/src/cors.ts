// Bucket CORS as S3 evaluates it: the first rule matching origin, method and (for preflights) every requested
// header wins. Origins and header names may contain one `*` wildcard each (`https://*.example.com`, `x-amz-meta-*`).
import { S3Error } from "./errors.ts";
import { parseRequestXml } from "./request-xml.ts";
import { childrenNamed, type XmlElement, type XmlNode } from "./xml.ts";

export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

const METHODS = ["GET", "PUT", "HEAD", "POST", "DELETE"];

/** Matches `value` against a pattern with at most one `*` (anything, including nothing). */
export function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf("*");
  if (star < 0) return pattern === value;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  return value.length >= prefix.length + suffix.length && value.startsWith(prefix) && value.endsWith(suffix);
}

function texts(element: XmlElement, name: string): string[] {
  return childrenNamed(element, name).map((child) => child.text.trim());
}

/** Parses and validates a PutBucketCors body; the error names the offending element. */
export function parseCorsConfiguration(xml: string): CorsRule[] {
  const root = parseRequestXml(xml, "CORSConfiguration");
  const ruleElements = childrenNamed(root, "CORSRule");
  if (ruleElements.length === 0 || ruleElements.length > 100) {
    throw new S3Error("MalformedXML", "CORSConfiguration must contain between 1 and 100 CORSRule elements");
  }
  return ruleElements.map((element, index) => {
    const where = `CORSRule ${index + 1}`;
    const rule: CorsRule = {
      allowedOrigins: texts(element, "AllowedOrigin"),
      allowedMethods: texts(element, "AllowedMethod"),
      allowedHeaders: texts(element, "AllowedHeader").map((h) => h.toLowerCase()),
      exposeHeaders: texts(element, "ExposeHeader"),
    };
    const id = texts(element, "ID")[0];
    if (id !== undefined) rule.id = id;
    if (rule.allowedOrigins.length === 0)
      throw new S3Error("MalformedXML", `${where}: AllowedOrigin is required`);
    if (rule.allowedMethods.length === 0)
      throw new S3Error("MalformedXML", `${where}: AllowedMethod is required`);
    for (const method of rule.allowedMethods) {
      if (!METHODS.includes(method)) {
        throw new S3Error(
          "InvalidRequest",
          `Found unsupported HTTP method in CORS config. Unsupported method is ${method}`,
        );
      }
    }
    for (const origin of rule.allowedOrigins) {
      if (origin.split("*").length > 2) {
        throw new S3Error(
          "InvalidRequest",
          `${where}: AllowedOrigin "${origin}" can not have more than one wildcard.`,
        );
      }
    }
    for (const header of rule.allowedHeaders) {
      if (header.split("*").length > 2) {
        throw new S3Error(
          "InvalidRequest",
          `${where}: AllowedHeader "${header}" can not have more than one wildcard.`,
        );
      }
    }
    const maxAge = texts(element, "MaxAgeSeconds")[0];
    if (maxAge !== undefined) {
      if (!/^\d+$/.test(maxAge))
        throw new S3Error("MalformedXML", `${where}: MaxAgeSeconds must be a non-negative integer`);
      rule.maxAgeSeconds = Number(maxAge);
    }
    return rule;
  });
}

/** Renders rules as a GetBucketCors document body. */
export function corsToXml(rules: CorsRule[]): XmlNode[] {
  return rules.map(
    (rule): XmlNode => [
      "CORSRule",
      [
        ["ID", rule.id],
        ...rule.allowedHeaders.map((h): XmlNode => ["AllowedHeader", h]),
        ...rule.allowedMethods.map((m): XmlNode => ["AllowedMethod", m]),
        ...rule.allowedOrigins.map((o): XmlNode => ["AllowedOrigin", o]),
        ...rule.exposeHeaders.map((h): XmlNode => ["ExposeHeader", h]),
        ["MaxAgeSeconds", rule.maxAgeSeconds],
      ],
    ],
  );
}

function findRule(
  rules: CorsRule[],
  origin: string,
  method: string,
  requestHeaders: string[],
): CorsRule | undefined {
  return rules.find(
    (rule) =>
      rule.allowedOrigins.some((pattern) => wildcardMatch(pattern, origin)) &&
      rule.allowedMethods.includes(method) &&
      requestHeaders.every((header) => rule.allowedHeaders.some((pattern) => wildcardMatch(pattern, header))),
  );
}

function ruleHeaders(rule: CorsRule, origin: string): Headers {
  const headers = new Headers();
  const anyOrigin = rule.allowedOrigins.includes("*");
  headers.set("access-control-allow-origin", anyOrigin ? "*" : origin);
  headers.set("access-control-allow-methods", rule.allowedMethods.join(", "));
  if (!anyOrigin) headers.set("access-control-allow-credentials", "true");
  if (rule.exposeHeaders.length > 0)
    headers.set("access-control-expose-headers", rule.exposeHeaders.join(", "));
  if (rule.maxAgeSeconds !== undefined) headers.set("access-control-max-age", String(rule.maxAgeSeconds));
  return headers;
}

/**
 * Answers an OPTIONS preflight as S3 does: 200 with the Access-Control-* headers of the first matching rule,
 * 403 when there are no rules or none matches, 400 when the browser's preflight headers are missing.
 */
export function preflight(rules: CorsRule[] | undefined, request: Request): Headers {
  const origin = request.headers.get("origin");
  const method = request.headers.get("access-control-request-method");
  if (!origin) throw new S3Error("BadRequest", "Insufficient information. Origin request header needed.");
  if (!method) throw new S3Error("BadRequest", "Invalid Access-Control-Request-Method: null");
  if (!rules || rules.length === 0)
    throw new S3Error("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.");
  const requested = (request.headers.get("access-control-request-headers") ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== "");
  const rule = findRule(rules, origin, method, requested);
  if (!rule) {
    throw new S3Error(
      "AccessForbidden",
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
      [
        ["Method", method],
        ["ResourceType", "OBJECT"],
      ],
    );
  }
  const headers = ruleHeaders(rule, origin);
  if (requested.length > 0) headers.set("access-control-allow-headers", requested.join(", "));
  headers.set("vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
  return headers;
}

/** Headers to add to an actual (non-preflight) response; none unless the Origin matches a rule for the method. */
export function actualResponseHeaders(rules: CorsRule[] | undefined, request: Request): Headers | undefined {
  const origin = request.headers.get("origin");
  if (!origin || !rules) return undefined;
  const rule = findRule(rules, origin, request.method, []);
  if (!rule) return undefined;
  const headers = ruleHeaders(rule, origin);
  headers.set("vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
  return headers;
}
