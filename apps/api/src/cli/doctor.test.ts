import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogEntry } from "../deps.ts";
import { serveNode } from "../entry/node-serve.ts";
import { startSignet } from "../start.ts";
import { UPLOAD_CORS_HEADERS } from "../storage/cors-rule.ts";
import type { Check } from "../storage/doctor.ts";
import { bucketAt, spawnCli, startTestBucket, type TestBucket } from "./testing.ts";

// `signet doctor` spawned as an operator runs it, against real endpoints: local-s3 (as strict as R2), the same
// with a CORS rule that lacks one header, and s3rver (no signature checks, no conditional writes).

interface DoctorJson {
  ok: boolean;
  checks: Check[];
}

function statuses(checks: Check[]): Record<string, string> {
  return Object.fromEntries(checks.map((c) => [c.id, c.status]));
}

let strict: TestBucket;
let lacking: TestBucket;
beforeAll(async () => {
  strict = await startTestBucket();
  lacking = await startTestBucket();
  await lacking.signer.putBucketCors([
    {
      allowedOrigins: ["http://localhost:5173"],
      allowedMethods: ["GET", "HEAD", "PUT"],
      allowedHeaders: UPLOAD_CORS_HEADERS.filter((h) => h !== "x-amz-meta-uploaded-at"),
      exposeHeaders: ["ETag"],
    },
  ]);
});
afterAll(async () => {
  await strict?.close();
  await lacking?.close();
});

describe("signet doctor", { timeout: 120_000 }, () => {
  it("reports every check ✓ on local-s3 once `cors apply` ran, exits 0 and leaves nothing behind", async () => {
    expect((await spawnCli(["cors", "apply"], strict.env)).code).toBe(0);
    const run = await spawnCli(["doctor", "--json"], strict.env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as DoctorJson;
    expect(report.ok).toBe(true);
    expect(statuses(report.checks)).toEqual({
      credentials: "ok",
      clock: "ok",
      upload: "ok",
      "cors-preflight": "ok",
      "cors-etag": "ok",
      size: "ok",
      "if-none-match": "ok",
      checksum: "ok",
      download: "ok",
      "part-rule": "ok",
      multipart: "ok",
      cleanup: "ok",
    });
    expect(report.checks.find((c) => c.id === "checksum")?.detail).toBe("refused: BadDigest (HTTP 400)");
    // Parts go as Signet sends them, with SHA-256 checksums local-s3 keeps and lists back.
    expect(report.checks.find((c) => c.id === "multipart")?.detail).toBe(
      "completed with the ETags and SHA-256 checksums read from ListParts",
    );
    expect((await strict.signer.listObjects("")).objects).toEqual([]);
  });

  it("names the header a bucket's CORS rule lacks, prints the fix, and exits 1", async () => {
    const run = await spawnCli(["doctor", "--quick"], lacking.env);
    expect(run.code).toBe(1);
    const lines = run.stdout.split("\n");
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^✗ {2}CORS preflight for the upload +headers not allowed: x-amz-meta-uploaded-at$/,
      ),
    );
    expect(lines.filter((l) => /^[✗!-] {2}/.test(l))).toHaveLength(1);
    expect(run.stdout).toContain(
      "what breaks: browsers at http://localhost:5173 cannot upload: the preflight is refused",
    );
    expect(run.stdout).toContain("fix: run `signet cors apply --origin http://localhost:5173`");
    expect(run.stdout).toContain('"x-amz-meta-uploaded-at"');
    expect(lines.at(-2)).toBe("Uploads will not work as Signet expects: see the ✗ rows.");
  });

  it("fails a CORS rule without ETag exposure (Uppy's multipart uploads need it) and exits 1", async () => {
    const noEtag = await startTestBucket();
    try {
      await noEtag.signer.putBucketCors([
        {
          allowedOrigins: ["http://localhost:5173"],
          allowedMethods: ["GET", "HEAD", "PUT"],
          allowedHeaders: [...UPLOAD_CORS_HEADERS],
        },
      ]);
      const run = await spawnCli(["doctor", "--quick"], noEtag.env);
      expect(run.code).toBe(1);
      const lines = run.stdout.split("\n");
      expect(lines.filter((l) => /^[✗!-] {2}/.test(l))).toEqual([
        expect.stringMatching(/^✗ {2}CORS exposes ETag +Access-Control-Expose-Headers lacks ETag$/),
      ]);
      expect(run.stdout).toContain("Missing ETag in uploadPart response headers");
      expect(lines.at(-2)).toBe("Uploads will not work as Signet expects: see the ✗ rows.");
    } finally {
      await noEtag.close();
    }
  });

  it("reports the exact failures of a lax endpoint (s3rver): signed size, If-None-Match, checksums, ListParts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "signet-s3rver-"));
    const s3rver = new S3rver({
      port: 0,
      address: "127.0.0.1",
      directory: dir,
      silent: true,
      allowMismatchedSignatures: true,
    });
    const { port } = await s3rver.run();
    const lax = await bucketAt(
      `http://127.0.0.1:${port}`,
      dir,
      {},
      async () => {
        await s3rver.close();
        await rm(dir, { recursive: true, force: true });
      },
      { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    );
    try {
      expect((await spawnCli(["cors", "apply"], lax.env)).code).toBe(0);
      const run = await spawnCli(["doctor", "--json"], lax.env);
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as DoctorJson;
      expect(report.ok).toBe(false);
      expect(statuses(report.checks)).toEqual({
        credentials: "ok",
        clock: "ok",
        upload: "ok",
        "cors-preflight": "ok",
        "cors-etag": "ok",
        size: "fail",
        "if-none-match": "fail",
        checksum: "warn",
        download: "ok",
        "part-rule": "fail",
        multipart: "fail",
        cleanup: "warn",
      });
      const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
      expect(byId.size?.detail).toBe("5 bytes on a URL signed for 4 accepted (HTTP 200)");
      expect(byId["if-none-match"]?.detail).toBe("a second PUT to an existing key answered 200, not 412");
      expect(byId.checksum?.impact).toMatch(
        /^this storage does not enforce checksums: .*Signet will verify after upload instead/,
      );
      expect(byId.multipart?.detail).toMatch(/^ListParts: MethodNotAllowed/);
    } finally {
      await lax.close();
    }
  });

  it("pnpm start logs one warning per problem of an external bucket, and starts anyway", async () => {
    const logs: LogEntry[] = [];
    let warned: () => void = () => {};
    const settled = new Promise<void>((resolve) => {
      warned = resolve;
    });
    const dataDir = await mkdtemp(join(tmpdir(), "signet-start-doctor-"));
    const server = await startSignet({
      env: { ...lacking.env, DATA_DIR: dataDir, PORT: "0" },
      serve: serveNode,
      print: () => {},
      logger: (entry) => {
        logs.push(entry);
        if (entry.msg === "storage checked" || entry.msg === "storage check failed") warned();
      },
      sweepIntervalMs: 0,
    });
    try {
      expect((await fetch(`http://127.0.0.1:${server.port}/trpc/health`)).status).toBe(200);
      await settled;
      const warnings = logs.filter((l) => l.msg.startsWith("storage:"));
      expect(warnings).toEqual([
        expect.objectContaining({
          level: "warn",
          check: "cors-preflight",
          msg: "storage: CORS preflight for the upload: headers not allowed: x-amz-meta-uploaded-at",
        }),
      ]);
    } finally {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
