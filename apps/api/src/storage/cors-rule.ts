/**
 * The bucket CORS rule the SPA needs, in one place: start-up applies it to the embedded endpoint, `signet cors
 * apply` writes it to a real bucket, and `signet doctor` sends exactly the preflight it must allow.
 */
import type { CorsRule } from "@signet/signer";

/** The headers the SPA's PUT sends (all signed), which the bucket's CORS rule must allow by name. */
export const UPLOAD_CORS_HEADERS = [
  "content-type",
  "if-none-match",
  "x-amz-checksum-sha256",
  "x-amz-meta-original-filename",
  "x-amz-meta-uploaded-by",
  "x-amz-meta-uploaded-at",
];

/** The rule letting a browser at `origin` upload (PUT), download (GET/HEAD) and read each response's ETag. */
export function spaCorsRule(origin: string): CorsRule {
  return {
    allowedOrigins: [origin],
    allowedMethods: ["GET", "HEAD", "PUT"],
    allowedHeaders: [...UPLOAD_CORS_HEADERS],
    exposeHeaders: ["ETag"],
    maxAgeSeconds: 3600,
  };
}

/**
 * `rules` with the SPA's rule for `origin` in place of whatever allowed that origin before. Rules for other
 * origins are kept as they were; a rule listing several origins only loses this one.
 */
export function mergeSpaCorsRule(rules: CorsRule[], origin: string): CorsRule[] {
  const others: CorsRule[] = [];
  for (const rule of rules) {
    const allowedOrigins = rule.allowedOrigins.filter((o) => o !== origin);
    if (allowedOrigins.length > 0) others.push({ ...rule, allowedOrigins });
  }
  return [...others, spaCorsRule(origin)];
}

/** The rules as the JSON that R2's dashboard (Settings → CORS Policy) accepts. */
export function corsRulesAsR2Json(rules: CorsRule[]): string {
  const policy = rules.map((rule) => ({
    AllowedOrigins: rule.allowedOrigins,
    AllowedMethods: rule.allowedMethods,
    ...(rule.allowedHeaders ? { AllowedHeaders: rule.allowedHeaders } : {}),
    ...(rule.exposeHeaders ? { ExposeHeaders: rule.exposeHeaders } : {}),
    ...(rule.maxAgeSeconds !== undefined ? { MaxAgeSeconds: rule.maxAgeSeconds } : {}),
  }));
  return JSON.stringify(policy, null, 2);
}
