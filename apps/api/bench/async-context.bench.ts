// What each AsyncLocalStorage costs on this Node: CPU per "request" of 200 awaits with 0, 1, 2 and 3 stores
// entered. On Node 20 every store that has ever been entered copies itself into every promise created afterwards,
// so the cost is per store and per promise, whatever the store holds (BENCHMARKS.md, "Observability overhead").
//   pnpm --filter @signet/api exec tsx bench/async-context.bench.ts
import { AsyncLocalStorage } from "node:async_hooks";

const AWAITS = 200;
const REQUESTS = 5000;

async function awaits(): Promise<void> {
  for (let i = 0; i < AWAITS; i++) await Promise.resolve(i);
}

/** CPU µs per request with `count` stores entered around it (the stores stay enabled across requests). */
async function measure(count: number): Promise<number> {
  const stores = Array.from({ length: count }, () => new AsyncLocalStorage<object>());
  const request = stores.reduce<() => Promise<void>>((inner, store) => () => store.run({}, inner), awaits);
  for (let i = 0; i < 200; i++) await request();
  const before = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) await request();
  const used = process.cpuUsage(before);
  for (const store of stores) store.disable();
  return (used.user + used.system) / REQUESTS;
}

console.log(`Node ${process.version}, ${AWAITS} awaits per request, CPU µs per request:`);
for (const count of [0, 1, 2, 3])
  console.log(`  ${count} stores entered: ${(await measure(count)).toFixed(1)}`);
