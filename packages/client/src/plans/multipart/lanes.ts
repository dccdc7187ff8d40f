import { isAbortError } from "../../errors.ts";

/**
 * Runs `work` over `items` in order, at most `concurrency` at once. The first failure calls `stop` (which should
 * abort the others) and is what this rejects with; aborts the stop caused are not reported over it.
 */
export async function inLanes<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
  stop: () => void,
): Promise<void> {
  let next = 0;
  async function lane() {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  }
  const lanes = Array.from({ length: Math.min(concurrency, Math.max(1, items.length)) }, () =>
    lane().catch((error: unknown) => {
      stop();
      throw error;
    }),
  );
  const results = await Promise.allSettled(lanes);
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  if (failures.length > 0) throw failures.find((reason) => !isAbortError(reason)) ?? failures[0];
}
