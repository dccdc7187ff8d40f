/** s3rver only knows its own fixed key pair; local-s3 is started with the same one so both get identical URLs. */
export const BENCH_CREDS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
