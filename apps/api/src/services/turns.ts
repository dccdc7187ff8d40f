/**
 * Heavy reads take turns, one per event-loop iteration. libSQL runs a statement synchronously under its promise,
 * so the ten page reads of one tRPC batch would otherwise run back to back with no I/O let in between, and a few
 * clients looping the largest batches would hold every other request (health included) for the whole of their
 * batches (BENCHMARKS.md, the abuse rows). Each turn starts after the previous one, from a `setImmediate`: Node
 * serves the I/O that is ready before the next turn begins.
 */
let last: Promise<void> = Promise.resolve();

/** Resolves when it is this caller's turn; where there is no `setImmediate` (Workers), at once. */
export function nextTurn(): Promise<void> {
  if (typeof setImmediate !== "function") return Promise.resolve();
  const turn = last.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  last = turn;
  return turn;
}
