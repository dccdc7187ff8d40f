// The seed tutorials' upload-URL server (seed 000/001), the baseline of the API bench: Hono on
// @hono/node-server, the AWS SDK's getSignedUrl for a PutObject, no auth, no database. It prints
// "seed listening on <url>" once bound (PORT=0 picks a free port).
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const s3 = new S3Client({
  region: "auto",
  endpoint: "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com",
  credentials: {
    accessKeyId: "AKIAEXAMPLEKEY000001",
    secretAccessKey: "benchmark/secret+EXAMPLE00000000000000",
  },
});

const app = new Hono();

app.post("/api/uploads/pre-signed-url", async (c) => {
  const { fileName, fileType, fileSize } = await c.req.json<{
    fileName: string;
    fileType: string;
    fileSize: number;
  }>();
  const key = `uploads/${crypto.randomUUID()}-${fileName}`;
  const command = new PutObjectCommand({
    Bucket: "uploads",
    Key: key,
    ContentType: fileType,
    ContentLength: fileSize,
  });
  const presignedUrl = await getSignedUrl(s3, command, { expiresIn: 600 });
  return c.json({ presignedUrl, key });
});

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1" }, (info) => {
  console.log(`seed listening on http://127.0.0.1:${info.port}`);
});
