/**
 * Tasks for examples/race: a supplier's quote takes 50 ms, or 5 s for a supplier named `slow`
 * (so the 1 s timer wins the race); the list price is at hand.
 *
 *   await quote('acme', 'sku-1')       // => 12.5 after 50 ms
 *   await quote('slow', 'sku-1')       // => 12.5 after 5 s (too late: ignored by the workflow)
 */
const work = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function quote(supplier: string, sku: string) {
  await work(supplier === 'slow' ? 5000 : 50);
  return sku.length * 2.5;
}

export async function fallbackPrice(sku: string) {
  await work(10);
  return sku.length * 3;
}
