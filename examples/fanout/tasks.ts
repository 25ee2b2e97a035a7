/**
 * Tasks for examples/fanout: one slow-ish task per item; it reports how many of its kind were
 * running at the moment it started, so the workflow can show the concurrency limit held.
 *
 *   await processItem('apple') // => { item: 'apple', size: 5, inFlight: 1..3 }
 */
let running = 0;

export async function processItem(item: string) {
  running++;
  const inFlight = running;
  try {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { item, size: item.length, inFlight };
  } finally {
    running--;
  }
}
