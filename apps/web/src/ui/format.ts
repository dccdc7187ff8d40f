const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** Human byte count in binary units (what file managers show): 20971520 → "20 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "–";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${Number(value.toFixed(digits))} ${UNITS[unit]}`;
}

/** Transfer speed, or an empty string while there is nothing meaningful to show. */
export function formatSpeed(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return "";
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Date and time in the user's locale; the ISO string itself when it cannot be parsed. */
export function formatDateTime(iso: string | null, locale?: string, withSeconds = false): string {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(locale, { dateStyle: "medium", timeStyle: withSeconds ? "medium" : "short" });
}

const DURATION_UNITS: readonly [seconds: number, one: string, many: string][] = [
  [86_400, "day", "days"],
  [3600, "hour", "hours"],
  [60, "minute", "minutes"],
];

/** A whole lifetime in words (600 → "10 minutes", 604800 → "7 days"); odd values fall back to seconds. */
export function formatDuration(seconds: number): string {
  for (const [size, one, many] of DURATION_UNITS) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${n === 1 ? one : many}`;
    }
  }
  return `${seconds} s`;
}

/** Up to two initials for an avatar placeholder ("Ada Lovelace" → "AL", "ada@x.io" → "A"). */
export function initialsOf(name: string, email = ""): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters =
    words.length >= 2
      ? [words[0]![0], words[words.length - 1]![0]]
      : words.length === 1
        ? [words[0]![0]]
        : [];
  const initials = letters.join("").toUpperCase();
  return initials || email.trim().charAt(0).toUpperCase() || "?";
}
