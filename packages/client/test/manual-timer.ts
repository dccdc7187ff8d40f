import type { Timer } from "../src/stall-detector.ts";

/** A `Timer` whose time moves only when the test says so: `advance(ms)` fires what has come due. */
export function manualTimer() {
  let now = 0;
  const pending = new Set<{ at: number; fire: () => void }>();
  const timer: Timer = (ms, fire) => {
    const entry = { at: now + ms, fire };
    pending.add(entry);
    return () => pending.delete(entry);
  };
  return {
    timer,
    pending: () => pending.size,
    advance(ms: number) {
      now += ms;
      for (const entry of [...pending]) {
        if (entry.at > now) continue;
        pending.delete(entry);
        entry.fire();
      }
    },
  };
}
