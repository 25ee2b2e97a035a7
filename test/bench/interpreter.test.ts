import { describe, expect, it } from 'vitest';
import { benchConstructs, CONSTRUCT_LOOPS } from '../../bench/interpreter.ts';

// Shape only: timings are reported by `npm run bench`, never asserted.
describe('benchConstructs', () => {
  it('runs every construct loop to completion and reports it against the plain loop', () => {
    const rows = benchConstructs(500, 1);
    expect(rows.map((r) => r.name)).toEqual(Object.keys(CONSTRUCT_LOOPS));
    expect(rows[0]!.vsPlain).toBe(1);
    for (const r of rows) expect(Number.isFinite(r.nsPerIteration) && r.nsPerIteration > 0, r.name).toBe(true);
  });
});
