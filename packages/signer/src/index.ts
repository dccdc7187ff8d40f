/**
 * @signet/signer — SigV4 presigned URLs for direct browser uploads and downloads against S3-compatible storage
 * (R2 first), plus the few S3 calls the server makes itself. Runs on Node, Bun and Deno.
 */
export { contentDisposition } from "./content-disposition.ts";
export { encodeKey } from "./encode.ts";
export { S3Error, type S3ErrorFields, SignerInputError } from "./errors.ts";
export type { SignerOptions } from "./options.ts";
export type {
  PresignedMethod,
  PresignedRequest,
  PresignGetOptions,
  PresignOptions,
  PresignPutOptions,
  PresignUploadPartOptions,
} from "./presign.ts";
export type {
  CompleteMultipartUploadOptions,
  CopyObjectOptions,
  CorsRule,
  CreateMultipartUploadOptions,
  HeadObjectResult,
  ListedObject,
  ListMultipartUploadsResult,
  ListObjectsResult,
  MultipartUploadListing,
  UploadedPart,
} from "./s3-calls.ts";
export { createSigner, r2Endpoint, type Signer } from "./signer.ts";
export { isChecksumSha256, isContentType, isHeaderValue, isMetadataValue } from "./validate.ts";
export { s3ErrorOf } from "./xml.ts";
