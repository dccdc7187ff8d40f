import { type XmlNode, xmlDocument } from "./xml.ts";

/** S3 error codes this endpoint answers with, and their HTTP status (as documented in the S3 API reference). */
export const ERROR_STATUS = {
  AccessDenied: 403,
  AccessForbidden: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BadRequest: 400,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidLocationConstraint: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidStorageClass: 400,
  InvalidToken: 400,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  NoSuchBucket: 404,
  NoSuchCORSConfiguration: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NotImplemented: 501,
  NotModified: 304,
  PreconditionFailed: 412,
  RequestTimeTooSkewed: 403,
  SignatureDoesNotMatch: 403,
  XAmzContentSHA256Mismatch: 400,
} as const;

export type S3ErrorCode = keyof typeof ERROR_STATUS;

/** An S3 protocol error; thrown anywhere in request handling and rendered once as S3's XML error body. */
export class S3Error extends Error {
  readonly status: number;
  /** Response headers S3 sends with this answer (e.g. ETag on a 304). */
  headers: Record<string, string> = {};
  constructor(
    readonly code: S3ErrorCode,
    message: string,
    /** Extra elements S3 adds for this code (e.g. StringToSign, HeadersNotSigned). */
    readonly details: XmlNode[] = [],
  ) {
    super(message);
    this.name = "S3Error";
    this.status = ERROR_STATUS[code];
  }
}

/** Renders an S3 error document; HEAD and 304 answers carry no body, exactly as S3 sends them. */
export function errorResponse(error: S3Error, resource: string, requestId: string, method: string): Response {
  const headers = new Headers({ ...error.headers, "x-amz-request-id": requestId });
  if (method === "HEAD" || error.status === 304) return new Response(null, { status: error.status, headers });
  headers.set("content-type", "application/xml");
  const body = xmlDocument(
    "Error",
    [
      ["Code", error.code],
      ["Message", error.message],
      ...error.details,
      ["Resource", resource],
      ["RequestId", requestId],
    ],
    false,
  );
  return new Response(body, { status: error.status, headers });
}
