/**
 * Tasks for examples/reservation: a reservation service that prints what it does (on stderr).
 *
 *   await reserve('chair')        // => 'res-chair'
 *   await release('res-chair')    // prints "released res-chair"
 */
const work = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function reserve(item: string) {
  await work(20);
  return `res-${item}`;
}

export async function release(reservation: string) {
  await work(100);
  console.error(`released ${reservation}`);
  return null;
}

export async function charge(reservation: string) {
  await work(20);
  return `receipt-${reservation}`;
}
