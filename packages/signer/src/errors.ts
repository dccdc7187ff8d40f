/**
 * Bad input to the signer. Names the offending field and the rule it broke; never carries a signed URL,
 * a secret or a signature, so it is safe to show to the caller that supplied the input.
 */
export class SignerInputError extends Error {
  override readonly name = "SignerInputError";
  /** The option or argument that was rejected, e.g. `"expiresIn"` or `"metadata.owner"`. */
  readonly field: string;
  /** The rule it broke, in words. */
  readonly rule: string;

  constructor(field: string, rule: string) {
    super(`${field} ${rule}`);
    this.field = field;
    this.rule = rule;
  }
}

/** The fields S3 puts in an `<Error>` body (or that we infer from the status when there is no body). */
export interface S3ErrorFields {
  code: string;
  status: number;
  message: string;
  requestId?: string | undefined;
}

/** An error answered by the storage service, e.g. `NoSuchKey` (404) or `PreconditionFailed` (412). */
export class S3Error extends Error {
  override readonly name = "S3Error";
  /** S3's error code, e.g. `NoSuchUpload`, `AccessDenied`, `PreconditionFailed`. */
  readonly code: string;
  /** HTTP status of the response (200 when S3 reported the error inside a successful response). */
  readonly status: number;
  /** S3's request id, useful when asking the provider about a failure. */
  readonly requestId: string | undefined;

  constructor(fields: S3ErrorFields) {
    super(fields.message);
    this.code = fields.code;
    this.status = fields.status;
    this.requestId = fields.requestId;
  }
}
