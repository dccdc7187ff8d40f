// CRC32 (IEEE) and CRC32C (Castagnoli), which S3 clients send as x-amz-checksum-crc32 / -crc32c. The AWS SDK
// adds one by default to operations that require a checksum (PutBucketCors, …), so they must be verifiable.

function table(polynomial: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? polynomial ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

const TABLES = { crc32: table(0xedb88320), crc32c: table(0x82f63b78) };

/** An incremental CRC whose digest is the 4 big-endian bytes S3 base64-encodes. */
export function createCrc(kind: "crc32" | "crc32c"): {
  update(chunk: Uint8Array): void;
  digest(): Uint8Array;
} {
  const t = TABLES[kind];
  let crc = 0xffffffff;
  return {
    update(chunk) {
      let c = crc;
      for (let i = 0; i < chunk.length; i++) c = (t[(c ^ (chunk[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
      crc = c;
    },
    digest() {
      const value = (crc ^ 0xffffffff) >>> 0;
      return new Uint8Array([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
    },
  };
}
