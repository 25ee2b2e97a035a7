/** The public instance view: pending tasks with attempts, timers, and the awaited signal from the state. */
import { describe, expect, it } from 'vitest';
import { applyEvent, startInstance } from '../../runtime/core.ts';
import { attemptToken } from '../../runtime/tokens.ts';
import { instanceView, pendingOf } from '../../runtime/view.ts';
import type { Instance } from '../../runtime/types.ts';
import { compile, programHash } from '../../dsl/index.ts';

const SOURCE = `
task charge(id: string): string with { retries: 3, backoff: "100ms" }
workflow w(id: string) {
  const r = await charge(id)
  const ok = await signal("approve", { timeout: "2d" })
  return ok
}
`;
const program = compile(SOURCE, 'w.workflow').program!;
let t = Date.UTC(2026, 0, 1);
const opts = { now: () => new Date((t += 1000)), uuid: () => 'u' };

function started(): Instance {
  return startInstance(program, programHash(SOURCE), { id: 'o1' }, { ...opts, id: 'i-1' }).instance;
}

describe('pendingOf', () => {
  it('lists the outstanding task attempt with its policy and position', () => {
    const i = started();
    const p = pendingOf(i);
    expect(p.tasks).toHaveLength(1);
    expect(p.tasks[0]).toMatchObject({ task: 'charge', attempt: 1, of: 4, line: 4, col: 19 });
    expect(p.signals).toEqual([]);
  });

  it('shows a failed attempt waiting for its retry, with the retry timer', () => {
    const i = started();
    const taskId = Object.keys(i.tasks)[0]!;
    const tr = applyEvent(program, i, { type: 'taskResult', id: `${taskId}#1`, taskId, attempt: 1, token: attemptToken(i.secret!, taskId, 1), ok: false, error: { message: 'boom' } }, opts);
    if (tr.duplicate) throw new Error('unexpected duplicate');
    const p = pendingOf(tr.instance);
    expect(p.tasks[0]).toMatchObject({ task: 'charge', attempt: 1, lastError: 'boom' });
    expect(p.timers.some((x) => x.purpose === 'retry' && x.taskId === taskId)).toBe(true);
  });

  it('names the awaited signal and its timeout, and forgets it once received', () => {
    const i = started();
    const taskId = Object.keys(i.tasks)[0]!;
    const done = applyEvent(program, i, { type: 'taskResult', id: `${taskId}#1`, taskId, attempt: 1, token: attemptToken(i.secret!, taskId, 1), ok: true, result: 'r' }, opts);
    if (done.duplicate) throw new Error('unexpected duplicate');
    const waiting = pendingOf(done.instance);
    expect(waiting.tasks).toEqual([]);
    expect(waiting.signals).toEqual([{ name: 'approve', since: expect.any(String), line: 5, timeout: '2d' }]);
    const got = applyEvent(program, done.instance, { type: 'signal', id: 'signal:1', name: 'approve', payload: true }, opts);
    if (got.duplicate) throw new Error('unexpected duplicate');
    expect(got.instance.status).toBe('completed');
    expect(pendingOf(got.instance).signals).toEqual([]);
    expect(instanceView(got.instance)).toMatchObject({ status: 'completed', result: { timedOut: false, payload: true }, variables: null });
  });

  it('shows the variables as they are now, innermost first, with names from outside kept as data', () => {
    const src = `
task t(x: any): any
workflow w(id: string) {
  const total = 3
  for (const item of [1, 2]) {
    const __proto__ = { item }
    await t(__proto__)
  }
}
`;
    const p = compile(src, 'v.workflow').program!;
    const i = startInstance(p, programHash(src), { id: 'o9' }, { ...opts, id: 'i-2' }).instance;
    const v = instanceView(i).variables!;
    expect(v).toEqual({ id: 'o9', total: 3, item: 1, ['__proto__']: { item: 1 } });
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.hasOwn(v, '__proto__')).toBe(true);
  });
});
