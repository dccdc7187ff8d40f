// Request headers that ask for a feature local-s3 does not have. R2 answers them 501 NotImplemented (its S3
// compatibility page marks each ❌); accepting and ignoring them would store an object the client believes
// encrypted, locked, tagged or archived when it is none of these. Checked after authentication, as R2 does.
import { S3Error } from "./errors.ts";

/** Headers refused on every request, with the feature each would ask for. */
const FEATURE_HEADERS: [prefix: string, feature: string][] = [
  ["x-amz-server-side-encryption", "Server-side encryption"],
  ["x-amz-copy-source-server-side-encryption", "Server-side encryption"],
  ["x-amz-grant-", "ACL grants"],
  ["x-amz-object-lock-", "Object lock"],
  ["x-amz-bucket-object-lock-enabled", "Object lock"],
  ["x-amz-tagging", "Object tagging"],
  ["x-amz-website-redirect-location", "Website redirects"],
  ["x-amz-expected-bucket-owner", "Bucket owner checks"],
  ["x-amz-source-expected-bucket-owner", "Bucket owner checks"],
  ["x-amz-request-payer", "Requester pays"],
  ["x-amz-mfa", "MFA delete"],
  ["x-amz-write-offset-bytes", "Appends"],
];

/** Storage classes that exist on S3 but not here; any other unknown name is InvalidStorageClass, as on S3. */
const KNOWN_STORAGE_CLASSES = [
  "STANDARD_IA",
  "REDUCED_REDUNDANCY",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "GLACIER_IR",
  "DEEP_ARCHIVE",
  "OUTPOSTS",
  "EXPRESS_ONEZONE",
  "SNOW",
];

function notImplemented(header: string, feature: string): S3Error {
  return new S3Error("NotImplemented", `${feature} (${header}) is not implemented by local-s3.`, [
    ["Header", header],
  ]);
}

/** Throws NotImplemented (or InvalidStorageClass) for a header naming a feature this endpoint lacks. */
export function refuseUnsupportedHeaders(request: Request, isObjectDelete: boolean): void {
  for (const [name, value] of request.headers) {
    const feature = FEATURE_HEADERS.find(([prefix]) => name.startsWith(prefix));
    if (feature) throw notImplemented(name, feature[1]);
    // `private` is what every object here is (no public access exists), so that canned ACL is accepted; any
    // other would grant access this endpoint cannot give.
    if (name === "x-amz-acl" && value.trim() !== "private") throw notImplemented(name, "Canned ACLs");
    if (name === "x-amz-storage-class" && value.trim() !== "STANDARD") {
      if (KNOWN_STORAGE_CLASSES.includes(value.trim())) throw notImplemented(name, `Storage class ${value}`);
      throw new S3Error("InvalidStorageClass", "The storage class you specified is not valid", [
        ["StorageClassRequested", value],
      ]);
    }
  }
  if (isObjectDelete) {
    for (const name of ["if-match", "x-amz-if-match-last-modified-time", "x-amz-if-match-size"]) {
      if (request.headers.has(name)) throw notImplemented(name, "Conditional DeleteObject");
    }
  }
}
