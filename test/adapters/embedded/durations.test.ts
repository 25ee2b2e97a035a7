/**
 * A task step's duration is the task's own run time (as its runner measured it), not the time
 * since the attempt was sent, which also counts waiting for a free slot and for the results ahead
 * of it. The clock is injected: each task "runs" for exactly 1,000 ms of it.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../adapters/embedded/index.ts';
import type { StepLog } from '../../../runtime/types.ts';

describe('task step durations', () => {
  it('with one slot and a fan-out of 3, every step says 1s, not 1s, 2s, 3s', async () => {
    let offset = 0;
    const now = () => new Date(Date.now() + offset);
    const steps: StepLog[] = [];
    const engine = await createEngine({
      dbPath: ':memory:',
      concurrency: 1, // the three attempts queue for the one slot
      clock: { now },
      tasks: {
        work: async (n: number) => {
          offset += 1_000; // this attempt takes one second of the engine's clock
          return n;
        },
      },
      onStep: (_i, s) => steps.push(s),
    });
    try {
      const done = await engine.run({ source: 'task work(n: number): number\nworkflow w(): number[] { return await Promise.all([1, 2, 3].map(work)) }\n', file: 'w.workflow' }, {});
      expect(done.status).toBe('completed');
      const durations = steps.filter((s) => s.kind === 'task').map((s) => s.durationMs!);
      expect(durations).toHaveLength(3);
      for (const d of durations) {
        expect(d).toBeGreaterThanOrEqual(1_000);
        expect(d).toBeLessThan(1_900); // a queued attempt would show 2,000 and 3,000 and more
      }
      // The whole instance still took (at least) the three seconds.
      expect(steps.find((s) => s.kind === 'complete')!.durationMs).toBeGreaterThanOrEqual(3_000);
    } finally {
      await engine.close();
    }
  });
});
