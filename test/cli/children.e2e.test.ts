/**
 * Child workflows across processes on one database: `currant run` runs an order whose review child
 * waits for a signal; `currant signal` to the child (another process, which only saves) ends it,
 * and its end reaches the parent run by the running process; `currant cancel` of the parent
 * cancels the review it awaits.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, eventually, spawnCurrant, statusOf, tempDir } from './helpers.ts';

const tmp = tempDir('currant-children-');
afterAll(tmp.cleanup);
const RUN = ['run', 'examples/children/children.workflow', '--tasks', 'examples/children/tasks.ts', '--json'];

/** Starts a big order (it awaits a review) and resolves once the review child waits for its signal. */
async function startBigOrder(db: string, id: string) {
  const run = spawnCurrant([...RUN, '--input', JSON.stringify({ orderId: id, amount: 900 }), '--db', db, '--id', id]);
  const reviewId = await eventually(async () => {
    const s = existsSync(db) ? await statusOf(id, db) : undefined;
    const review = s?.children?.find((c: { workflow: string }) => c.workflow === 'review');
    if (!review) return undefined;
    const r = await statusOf(review.id, db);
    return r?.pending.signals.some((w: { name: string }) => w.name === 'decision') ? (review.id as string) : undefined;
  }, 30_000, `${id}'s review waiting`);
  return { run, reviewId };
}

describe('child workflows between processes', { timeout: 90_000 }, () => {
  it('a signal to the review child from another process lets the waiting run finish', async () => {
    const db = join(tmp.dir, 'signal.db');
    const { run, reviewId } = await startBigOrder(db, 'big-1');
    const sent = await cli(['signal', reviewId, 'decision', '{"approved": true, "by": "ann"}', '--db', db]);
    expect(sent.code, sent.stderr).toBe(0);
    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ id: 'big-1', status: 'completed', result: { paymentId: 'pay-big-1-1', mail: 'mail-big-1' } });
    expect((await statusOf(reviewId, db)).status).toBe('completed');
  });

  it('cancelling the parent from another process cancels the review it awaits', async () => {
    const db = join(tmp.dir, 'cancel.db');
    const { run, reviewId } = await startBigOrder(db, 'big-2');
    const r = await cli(['cancel', 'big-2', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const done = await run.done;
    expect(done.code).toBe(3);
    expect(await statusOf(reviewId, db)).toMatchObject({ status: 'cancelled', parent: { id: 'big-2', awaited: true } });
  });
});
