// s3rver ships no types; the benchmark uses only its constructor and run().
declare module "s3rver" {
  export default class S3rver {
    constructor(options: Record<string, unknown>);
    run(): Promise<unknown>;
  }
}
