/**
 * The handle table at the level of commands and states: ids, the sweep of handles nothing can
 * await, signals for kept handles, values from outside that look like handles, cancel, and the
 * public views of what a state waits for.
 */
import { describe, expect, it } from 'vitest';
import { admitSignal, MAX_HANDLES, resume, signalWaits, start, waitingFor } from '../../../dsl/interpreter/index.ts';
import type { Activation, Command, ExecState, WorkflowEvent } from '../../../dsl/interpreter/types.ts';
import { options, program } from './helpers.ts';

const opts = options();

function ofType<T extends Command['type']>(cs: Command[], type: T): Extract<Command, { type: T }>[] {
  return cs.filter((c): c is Extract<Command, { type: T }> => c.type === type);
}

function feed(p: ReturnType<typeof program>, a: Activation, e: WorkflowEvent): Activation {
  return resume(p, JSON.parse(JSON.stringify(a.state)) as ExecState, e, opts);
}

describe('making handles', () => {
  it('a task call as a value schedules at once with an id of its call node; the state keeps its handle', () => {
    const p = program(`task t(x: number): number
workflow w() {
  const h = t(1)
  await sleep("1h")
  return await h
}`);
    const a = start(p, {}, opts);
    const [task] = ofType(a.commands, 'scheduleTask');
    const [timer] = ofType(a.commands, 'startTimer');
    expect(task!.id).toMatch(/^n\d+\.s1$/);
    expect(timer!.id).toMatch(/^n\d+\.s2$/);
    expect(a.state.h).toEqual({
      [task!.id]: { k: 'task', a: Number(task!.id.slice(1).split('.')[0]), task: 't', o: 1 },
      [timer!.id]: { k: 'sleep', a: Number(timer!.id.slice(1).split('.')[0]) },
    });
    expect(a.state.pending).toMatchObject({ t: 'wait', id: timer!.id });
    // the task answers while the workflow sleeps: kept as the handle's value
    const b = feed(p, a, { type: 'taskCompleted', id: task!.id, result: 42 });
    expect(b.commands).toEqual([]);
    expect((b.state.h as Record<string, { r?: number; v?: unknown }>)[task!.id]).toMatchObject({ r: 1, v: 42 });
    const c = feed(p, b, { type: 'timerFired', id: timer!.id });
    expect(c.commands).toEqual([{ type: 'complete', result: 42 }]);
    expect(c.state.h).toBeUndefined();
  });

  it('exports the bound on handles', () => {
    expect(MAX_HANDLES).toBe(1000);
  });
});

describe('the sweep at the end of an activation', () => {
  it('drops a race loser nothing holds: its timer is cancelled and its late event ignored', () => {
    const p = program(`task quick(): number
workflow w() {
  const r = await Promise.race([quick(), sleep("1h")])
  await signal("go")
  return r
}`);
    const a = start(p, {}, opts);
    const sleepId = ofType(a.commands, 'startTimer')[0]!.id;
    const b = feed(p, a, { type: 'taskCompleted', id: ofType(a.commands, 'scheduleTask')[0]!.id, result: 1 });
    expect(ofType(b.commands, 'cancelTimer')).toEqual([{ type: 'cancelTimer', id: sleepId }]);
    expect(Object.keys(b.state.h ?? {})).toEqual([ofType(b.commands, 'waitForSignal')[0]!.id]);
    expect(feed(p, b, { type: 'timerFired', id: sleepId }).ignored).toMatch(/not awaited/);
  });

  it('keeps what variables hold and drops settled values nobody can await again', () => {
    const p = program(`task big(): string
workflow w() {
  let h = big()
  await h
  h = null
  await signal("go")
}`);
    const a = start(p, {}, opts);
    const id = ofType(a.commands, 'scheduleTask')[0]!.id;
    const b = feed(p, a, { type: 'taskCompleted', id, result: 'x'.repeat(5000) });
    expect(Object.keys(b.state.h ?? {})).not.toContain(id);
    expect(b.stateBytes).toBeLessThan(1000);
  });

  it('a dropped signal handle leaves the next signal of its name to the buffer', () => {
    const p = program(`workflow w() {
  signal("go")
  await sleep("1h")
  return await signal("go")
}`);
    const a = start(p, {}, opts);
    expect(a.state.h && Object.values(a.state.h).map((h) => (h as { k: string }).k)).toEqual(['sleep']);
    const b = feed(p, a, { type: 'signal', name: 'go', payload: 'kept' });
    expect(b.state.signals).toEqual({ go: ['kept'] });
    const c = feed(p, b, { type: 'timerFired', id: ofType(a.commands, 'startTimer')[0]!.id });
    expect(c.commands).toEqual([{ type: 'complete', result: 'kept' }]);
  });
});

describe('signals and kept handles', () => {
  it('the door admits a signal a kept handle waits for even when the buffer is full', () => {
    const p = program(`workflow w() {
  const h = signal("mine")
  await sleep("1h")
  return await h
}`);
    const a = start(p, {}, opts);
    const full = { ...a.state, signals: { other: [1] } };
    expect(admitSignal(full, 'mine', 1, { maxBufferedSignals: 1 })).toEqual({ ok: true });
    expect(admitSignal(full, 'else', 1, { maxBufferedSignals: 1 })).toMatchObject({ ok: false, code: 'SIGNAL_BUFFER_FULL' });
    expect(signalWaits(a.state)).toEqual([{ id: ofType(a.commands, 'waitForSignal')[0]!.id, name: 'mine' }]);
  });

  it('the oldest handle waiting for a name takes the signal first', () => {
    const p = program(`workflow w() {
  const a = signal("x")
  const b = signal("x")
  const vb = await b
  const va = await a
  return [va, vb]
}`);
    let s = start(p, {}, opts);
    s = feed(p, s, { type: 'signal', name: 'x', payload: 1 });
    s = feed(p, s, { type: 'signal', name: 'x', payload: 2 });
    expect(s.commands).toEqual([{ type: 'complete', result: [1, 2] }]);
  });
});

describe('values from outside never become handles', () => {
  it('the signal door refuses a payload holding $handle', () => {
    const p = program('workflow w() {\n  return await signal("go")\n}');
    const a = start(p, {}, opts);
    expect(admitSignal(a.state, 'go', { x: [{ $handle: 'n1.s1' }] })).toMatchObject({ ok: false, code: 'SIGNAL_INVALID' });
    expect(feed(p, a, { type: 'signal', name: 'go', payload: { $handle: 'n1.s1' } }).ignored).toMatch(/SIGNAL_INVALID/);
    // the text of a string is not a key
    expect(admitSignal(a.state, 'go', { note: '"$handle":' })).toEqual({ ok: true });
  });

  it('an input holding $handle fails the start with CR020', () => {
    const p = program('workflow w(x: any) {\n  return await x\n}');
    const a = start(p, { x: { $handle: 'n1.s1' } }, opts);
    expect(a.commands).toEqual([{ type: 'fail', error: expect.objectContaining({ code: 'CR020' }) }]);
  });

  it('the workflow cannot write the key itself', () => {
    const p = program('workflow w(k: string) {\n  const o: any = {}\n  o[k] = "n1.s1"\n  return o\n}');
    expect(start(p, { k: '$handle' }, opts).commands[0]).toMatchObject({ type: 'fail', error: { code: 'CR020', line: 3, col: 3 } });
  });

  it('a copy of a handle is the same handle (values are copied, the id is what counts)', () => {
    const p = program(`task t(): number
workflow w() {
  const h = t()
  const copy = { ...h }
  const v = await copy
  return [v, copy === h]
}`);
    const a = start(p, {}, opts);
    const b = feed(p, a, { type: 'taskCompleted', id: ofType(a.commands, 'scheduleTask')[0]!.id, result: 7 });
    expect(b.commands).toEqual([{ type: 'complete', result: [7, true] }]);
  });
});

describe('helpers and callbacks', () => {
  it('cannot start a handle (unchecked programs fail with CT051 at the call)', () => {
    const p = program('task t(x: number): number\nworkflow w(xs: number[]) {\n  return xs.map((x) => t(x))\n}');
    expect(start(p, { xs: [1] }, opts).commands).toEqual([{ type: 'fail', error: expect.objectContaining({ code: 'CT051', line: 3, col: 24 }) }]);
    const q = program('workflow w(xs: number[]) {\n  return xs.map((x) => sleep(x))\n}');
    expect(start(q, { xs: [1] }, opts).commands[0]).toMatchObject({ type: 'fail', error: { code: 'CT051' } });
    expect(start(q, { xs: [1] }, opts).state.h).toBeUndefined();
  });
});

describe('cancel', () => {
  it('without a try: one cancelled command, nothing else', () => {
    const p = program('task t(): void\nworkflow w() {\n  await t()\n}');
    const a = start(p, {}, opts);
    const b = feed(p, a, { type: 'cancel', reason: 'stop' });
    expect(b.commands).toEqual([{ type: 'cancelled', error: { code: 'CANCELLED', message: 'stop' } }]);
    expect(b.state).toMatchObject({ status: 'cancelled', frames: [], pending: null });
    expect(b.state.h).toBeUndefined();
    // a finished state ignores a cancel
    expect(feed(p, b, { type: 'cancel' }).ignored).toMatch(/cancelled/);
  });

  it('with a try: outstanding timers are cancelled, the CancelledError is caught, the state says it compensates', () => {
    const p = program(`task undo(): void
workflow w() {
  const later = sleep("2h")
  try {
    await signal("go", { timeout: "1d" })
  } catch (e) {
    await undo()
  }
}`);
    const a = start(p, {}, opts);
    const b = feed(p, a, { type: 'cancel', reason: 'stop' });
    expect(ofType(b.commands, 'cancelTimer').map((c) => c.id).sort()).toEqual(
      [ofType(a.commands, 'startTimer')[0]!.id, ofType(a.commands, 'startTimer')[1]!.id].sort(),
    );
    expect(ofType(b.commands, 'scheduleTask').map((c) => c.task)).toEqual(['undo']);
    expect(b.state.x).toEqual({ reason: 'stop' });
    expect(waitingFor(b.state)).toMatchObject({ kind: 'task', task: 'undo' });
    const c = feed(p, b, { type: 'taskCompleted', id: ofType(b.commands, 'scheduleTask')[0]!.id, result: null });
    expect(c.commands).toEqual([{ type: 'cancelled', error: { code: 'CANCELLED', message: 'stop' }, result: null }]);
  });

  it('a long reason is cut in the state', () => {
    const p = program('workflow w() {\n  await sleep("1h")\n}');
    const b = feed(p, start(p, {}, opts), { type: 'cancel', reason: 'r'.repeat(5000) });
    expect((b.commands[0] as { error: { message: string } }).error.message.length).toBeLessThanOrEqual(1025);
  });
});

describe('waitingFor', () => {
  it('describes a combinator by what its outstanding members wait for', () => {
    const p = program(`task t(): number
workflow w() {
  return await Promise.race([t(), signal(["a", "b"], { timeout: "1h" })])
}`);
    const a = start(p, {}, opts);
    expect(waitingFor(a.state)).toEqual({
      kind: 'combo',
      id: expect.stringMatching(/^n\d+\.s3$/),
      op: 'race',
      of: [
        { kind: 'task', id: expect.any(String), task: 't' },
        { kind: 'signal', id: expect.any(String), name: 'a', names: ['a', 'b'], timeoutMs: 3_600_000 },
      ],
    });
  });
});
