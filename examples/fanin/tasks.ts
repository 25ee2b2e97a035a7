/**
 * Tasks for examples/fanin: a trivial task, so that what is measured is the engine's fan-in.
 *
 *   await square(12) // => 144
 */
export async function square(n: number) {
  return n * n;
}
