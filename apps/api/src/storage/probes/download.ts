/** A presigned GET of the probe's object: its bytes, and the filename from response-content-disposition. */
import { contentDisposition } from "@signet/signer";
import { PROBE_FILENAME, PROBE_TTL, type ProbeRun } from "../probe-kit.ts";
import type { ProbeObject } from "./upload.ts";

export async function probeDownload(run: ProbeRun, object: ProbeObject): Promise<void> {
  const disposition = contentDisposition(PROBE_FILENAME);
  const signed = await run.storage.presignGet(object.key, {
    expiresIn: PROBE_TTL,
    responseContentDisposition: disposition,
  });
  const response = await fetch(signed.url, { headers: { origin: run.origin } });
  const body = new Uint8Array(await response.arrayBuffer());
  if (!response.ok || body.byteLength !== object.content.byteLength) {
    run.record(
      "download",
      "fail",
      `presigned GET answered ${response.status} with ${body.byteLength} bytes`,
      {
        impact: "downloads fail",
        fix: "check that the key may read objects",
      },
    );
  } else if (response.headers.get("content-disposition") !== disposition) {
    run.record(
      "download",
      "warn",
      `Content-Disposition came back as ${JSON.stringify(response.headers.get("content-disposition"))}`,
      {
        impact: "downloads are saved under the storage key instead of the file's original name",
        fix: "use a storage that honours response-content-disposition (R2, AWS S3)",
      },
    );
  } else {
    run.record("download", "ok", "the file downloads under its original name");
  }
}
