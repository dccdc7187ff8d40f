// Prints signatures for fixed inputs as JSON, so runtimes can be compared byte for byte:
//   node (tsx) / bun / deno run test/vectors.ts
// Covers the public API (auto crypto backend) and both crypto backends of the core explicitly.
import { contentDisposition, createSigner } from "../src/index.ts";
import { createQueryPresigner } from "../src/sigv4.ts";

const now = () => new Date("2026-03-14T15:09:26Z");
const signer = createSigner({
  endpoint: "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com",
  bucket: "uploads",
  accessKeyId: "AKIAEXAMPLEKEY000001",
  secretAccessKey: "secret/with+chars=EXAMPLE0000000000000",
  sessionToken: "token+/=",
  now,
});
const keys = ["plain.txt", "a b+c/ü/!'()*~.txt", "日本語/🎉.png"];
const urls: string[] = [];
for (const key of keys) {
  const put = await signer.presignPut(key, {
    expiresIn: 600,
    contentType: "image/png",
    contentLength: 1234,
    checksumSha256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    metadata: { note: "café", owner: "u-1" },
    ifNoneMatch: "*",
  });
  const get = await signer.presignGet(key, {
    expiresIn: 900,
    responseContentDisposition: contentDisposition(`résumé ${key}`, "attachment"),
  });
  const part = await signer.presignUploadPart(key, "up/id", 3, { expiresIn: 60, contentLength: 5 });
  urls.push(put.url, get.url, part.url);
}

const backends: Record<string, string> = {};
for (const backend of ["node", "web"] as const) {
  const presign = createQueryPresigner({
    accessKeyId: "AKIAIOSFODNN7EXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    region: "us-east-1",
    service: "s3",
    backend,
  });
  backends[backend] = await presign({
    method: "GET",
    host: "examplebucket.s3.amazonaws.com",
    path: "/test.txt",
    expiresIn: 86400,
    datetime: "20130524T000000Z",
  });
}

console.log(JSON.stringify({ urls, backends }));
