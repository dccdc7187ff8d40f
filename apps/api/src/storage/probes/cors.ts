/** The bucket's CORS rule as a browser at PUBLIC_URL meets it: the upload's preflight, and ETag exposed. */
import { UPLOAD_CORS_HEADERS } from "../cors-rule.ts";
import { corsFix, listHeader, originAllowed, PROBE_TTL, type ProbeRun } from "../probe-kit.ts";
import type { ProbeObject } from "./upload.ts";

/** The preflight of the SPA's PUT with exactly the headers it sends; when refused, names what the rule lacks. */
export async function probePreflight(run: ProbeRun): Promise<void> {
  const { origin } = run;
  const signed = await run.storage.presignPut(`${run.prefix}preflight.txt`, {
    expiresIn: PROBE_TTL,
    contentType: "text/plain",
    contentLength: 1,
  });
  const preflight = async (headers: string[]) => {
    const response = await fetch(signed.url, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "PUT",
        ...(headers.length > 0 ? { "access-control-request-headers": headers.join(",") } : {}),
      },
    });
    await response.body?.cancel();
    const allowed = listHeader(response, "access-control-allow-headers");
    const ok =
      response.ok &&
      originAllowed(response, origin) &&
      listHeader(response, "access-control-allow-methods").includes("put") &&
      (allowed.includes("*") || headers.every((h) => allowed.includes(h)));
    return { ok, status: response.status };
  };
  const requested = [...UPLOAD_CORS_HEADERS].sort();
  if ((await preflight(requested)).ok) {
    run.record("cors-preflight", "ok", `PUT from ${origin} with ${requested.length} headers allowed`);
    return;
  }
  const advice = {
    impact: `browsers at ${origin} cannot upload: the preflight is refused`,
    fix: corsFix(origin),
  };
  // S3 answers a refused preflight with a bare 403: ask header by header to name what the rule lacks.
  const bare = await preflight([]);
  if (!bare.ok) {
    run.record("cors-preflight", "fail", `no rule allows PUT from ${origin} (HTTP ${bare.status})`, advice);
    return;
  }
  const missing: string[] = [];
  for (const header of requested) if (!(await preflight([header])).ok) missing.push(header);
  run.record(
    "cors-preflight",
    "fail",
    missing.length > 0
      ? `headers not allowed: ${missing.join(", ")}`
      : "each header is allowed alone, but no single rule allows them all",
    advice,
  );
}

/**
 * Whether the browser can read the upload response's ETag. Signet's own client does not need it (the server
 * completes multipart uploads with the ETags it lists itself), but Uppy completes in the browser, and the Uppy
 * routes are always served: without ETag, its multipart uploads fail and their files stay pending.
 */
export async function probeEtag(run: ProbeRun, object: ProbeObject): Promise<void> {
  const { origin } = run;
  const advice = {
    impact:
      'browsers cannot read ETag from upload responses: Uppy\'s multipart uploads (the /api/uppy routes) fail with "Missing ETag in uploadPart response headers" and their files stay pending',
    fix: corsFix(origin),
  };
  if (!originAllowed(object.response, origin)) {
    run.record(
      "cors-etag",
      "fail",
      `the upload response carries no Access-Control-Allow-Origin for ${origin}`,
      {
        ...advice,
        impact: "browsers see every upload fail, even when the bytes arrived",
      },
    );
  } else if (!listHeader(object.response, "access-control-expose-headers").includes("etag")) {
    run.record("cors-etag", "fail", "Access-Control-Expose-Headers lacks ETag", advice);
  } else {
    run.record("cors-etag", "ok", "ETag is exposed to the browser");
  }
}
