/** Test helpers for the observability suites: reading an exposition back. */
/** The samples of a Prometheus text exposition: `name{labels}` → value. */
export function samples(exposition: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of exposition.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
