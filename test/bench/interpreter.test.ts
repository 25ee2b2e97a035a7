import { describe, expect, it } from 'vitest';
import { benchConstructs, CONSTRUCT_LOOPS } from '../../bench/interpreter.ts';
import { AWAIT_FORMS, benchAwaitForms, benchCancel, benchHandleBatch } from '../../bench/handles.ts';

// Shape only: timings are reported by `npm run bench`, never asserted.
describe('benchConstructs', () => {
  it('runs every construct loop to completion and reports it against the plain loop', () => {
    const rows = benchConstructs(500, 1);
    expect(rows.map((r) => r.name)).toEqual(Object.keys(CONSTRUCT_LOOPS));
    expect(rows[0]!.vsPlain).toBe(1);
    for (const r of rows) expect(Number.isFinite(r.nsPerIteration) && r.nsPerIteration > 0, r.name).toBe(true);
  });
});

describe('benchAwaitForms, benchHandleBatch, benchCancel', () => {
  it('runs every await form to completion with one resume per await', () => {
    const rows = benchAwaitForms(20, 1);
    expect(rows.map((r) => r.name)).toEqual(Object.keys(AWAIT_FORMS));
    expect(rows[0]!.vsDirect).toBe(1);
    // one resume per await: the race and the all resume once per settled handle they need
    expect(rows.map((r) => r.awaits)).toEqual([20, 20, 20, 40, 20, 20]);
    for (const r of rows) expect(r.usPerIteration > 0 && r.stateBytes > 0, r.name).toBe(true);
  });

  it('the batch drops every handle it made (one cancelTimer each); the cancel compensates', () => {
    expect(benchHandleBatch(50, 1)).toMatchObject({ handles: 50, cancelTimers: 50 });
    expect(benchCancel(10, 1).usCancel).toBeGreaterThan(0);
  });
});
