/**
 * @signet/client: Signet's upload engine, on Web standards only (Blob, fetch, Web Crypto-free incremental
 * SHA-256), for browsers, workers, Node, Bun and Deno. See README.md.
 */
export type {
  ArrivedPart,
  FileFacts,
  MultipartEndpoint,
  MultipartPlan,
  SignedPart,
  SinglePutPlan,
  UploadEndpoint,
  UploadPlan,
} from "./endpoints.ts";
export {
  abortError,
  describeStorageFailure,
  describeTransportFailure,
  EmptyFileError,
  isAbortError,
  PartRefusal,
  parseS3Error,
  ResumeMismatch,
  StorageRefusal,
  TransportError,
  UploadFailure,
} from "./errors.ts";
export {
  type CreateUploadAnswer,
  type FilesApi,
  filesEndpoint,
  type SignetTrpc,
  trpcFilesApi,
} from "./files-endpoint.ts";
export { digestBlob, HASH_CHUNK_BYTES, type Hasher, hashBlob, ONE_SHOT_MAX_BYTES } from "./hash-blob.ts";
export { type ProfileImageApi, profileImageEndpoint } from "./profile-endpoint.ts";
export {
  fileFingerprint,
  memoryResumeStore,
  type ResumeRecord,
  type ResumeStore,
  recordFingerprint,
} from "./resume-store.ts";
export { DEFAULT_RETRY_DELAYS, type Sleep, sleep } from "./retry.ts";
export {
  createRetryPolicy,
  defaultRetryPolicy,
  type RetryDecision,
  type RetryHistory,
  type RetryPolicy,
  type RetryPolicyOptions,
  retryAfterMs,
} from "./retry-policy.ts";
export type { UploadProgress } from "./session.ts";
export { Sha256, toBase64, toHex } from "./sha256.ts";
export { detectStalls, realTimer, type Timer } from "./stall-detector.ts";
export {
  fetchPut,
  headersToSend,
  type PutRequest,
  type PutResponse,
  type PutTransport,
} from "./transport.ts";
export {
  createUploader,
  DEFAULT_STALL_TIMEOUT_MS,
  type Uploader,
  type UploaderOptions,
  type UploadOptions,
} from "./uploader.ts";
export { xhrPut } from "./xhr-put.ts";
