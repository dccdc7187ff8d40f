/** Signet's part plan, from the figures its public `limits` query answers (never restated here). */
export interface PartRule {
  multipartPartSize: number;
  multipartMaxParts: number;
}

const MiB = 1024 * 1024;
const MAX_PART = 5 * 1024 * MiB;

/**
 * The part size Signet plans for a file of `size` bytes: `multipartPartSize`, or the smallest whole MiB that keeps
 * the file within `multipartMaxParts` parts (at most 5 GiB), as the `limits` query describes it.
 */
export function signetPartSize(size: number, rule: PartRule): number {
  const needed = Math.ceil(Math.ceil(size / rule.multipartMaxParts) / MiB) * MiB;
  return Math.min(MAX_PART, Math.max(rule.multipartPartSize, needed));
}
