/**
 * Tasks of the load benchmark's own workflows (retrying.workflow): `unreliable(n)` fails its first
 * two attempts, by the attempt number the engine sends (so any process may run any attempt), and
 * returns n * 2 on the third.
 */
export async function unreliable(n: number, ctx: { attempt: number }) {
  if (ctx.attempt < 3) {
    const e = new Error(`unavailable (attempt ${ctx.attempt})`);
    e.name = 'Unavailable';
    throw e;
  }
  return n * 2;
}
