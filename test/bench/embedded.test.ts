import { describe, expect, it } from 'vitest';
import { benchEmbedded } from '../../bench/embedded.ts';

// Shape only: timings are reported by `npm run bench`, never asserted.
describe('benchEmbedded', () => {
  it('runs each size to completion and reports per-step figures', async () => {
    const rows = await benchEmbedded([10, 40], 1);
    expect(rows.map((r) => r.n)).toEqual([10, 40]);
    for (const r of rows) {
      for (const k of ['msPerStepFirst10', 'msPerStepLast10', 'stepsPerSecond', 'ratio'] as const) {
        expect(Number.isFinite(r[k]) && r[k] > 0, `${k} of n=${r.n}`).toBe(true);
      }
    }
  });
});
