import { describe, expect, it } from 'vitest';
import { resume, start } from '../../../dsl/interpreter/index.ts';
import { DEFAULT_POLICY, type Command, type ExecState } from '../../../dsl/interpreter/types.ts';
import { drive, options, program } from './helpers.ts';

const opts = options();
const ofType = <T extends Command['type']>(cs: Command[], t: T) => cs.filter((c) => c.type === t) as Extract<Command, { type: T }>[];

describe('await task(...)', () => {
  const src = `task charge(id: string, amount: number): any
workflow w(id: string, amount: number) {
  const r = await charge(id, amount)
  return r.ok
}`;

  it('schedules the task with a deterministic id, args, policy and position', () => {
    const a = start(program(src), { id: 'o1', amount: 5 }, opts);
    expect(a.state.status).toBe('waiting');
    const node = program(src).workflow.body.body[0] as { init: { id: number } };
    expect(a.commands).toEqual([
      { type: 'scheduleTask', id: `n${node.init.id}.s1`, task: 'charge', args: ['o1', 5], policy: DEFAULT_POLICY, at: { line: 3, col: 19 } },
    ]);
    expect(a.state.at).toEqual({ line: 3, col: 3 });
  });

  it('continues with the result on taskCompleted', () => {
    const p = program(src);
    const a = start(p, { id: 'o1', amount: 5 }, opts);
    const id = (a.commands[0] as { id: string }).id;
    const b = resume(p, a.state, { type: 'taskCompleted', id, result: { ok: 'yes' } }, opts);
    expect(b.commands).toEqual([{ type: 'complete', result: 'yes' }]);
    expect(b.state.status).toBe('completed');
    expect(b.state.result).toBe('yes');
  });

  it('fails with CR007 naming the task, attempts and line:col on taskFailed', () => {
    const p = program(src);
    const a = start(p, { id: 'o1', amount: 5 }, opts);
    const id = (a.commands[0] as { id: string }).id;
    const b = resume(p, a.state, { type: 'taskFailed', id, failure: { message: 'declined', attempts: 3, type: 'CardError' } }, opts);
    expect(b.state.status).toBe('failed');
    const err = ofType(b.commands, 'fail')[0]!.error;
    expect(err).toMatchObject({ code: 'CR007', task: 'charge', attempts: 3, line: 3, col: 13 });
    expect(err.message).toContain('charge');
    expect(err.message).toContain('3 attempts');
    expect(err.message).toContain('line 3, col 13');
    expect(err.message).toContain('declined');
    expect(b.state.at).toEqual({ line: 3, col: 3 });
    expect(b.state.error).toEqual(err);
  });

  it('does not change the state it resumes from', () => {
    const p = program(src);
    const a = start(p, { id: 'o1', amount: 5 }, opts);
    const before = JSON.stringify(a.state);
    resume(p, a.state, { type: 'taskCompleted', id: (a.commands[0] as { id: string }).id, result: { ok: 1 } }, opts);
    expect(JSON.stringify(a.state)).toBe(before);
  });

  it('merges DEFAULT_POLICY, the declaration policy and the call policy', () => {
    const p = program(`task t(): number with { retries: 5, backoff: "2s", timeout: "1m" }
workflow w() {
  const a = await t()
  const b = await t() with { retries: 0, maxBackoff: "10s", backoffRate: 3 }
  return a + b
}`);
    const a = start(p, {}, opts);
    expect((a.commands[0] as { policy: unknown }).policy).toEqual({
      ...DEFAULT_POLICY,
      retries: 5,
      backoffMs: 2000,
      timeoutMs: 60_000,
    });
    const b = resume(p, a.state, { type: 'taskCompleted', id: (a.commands[0] as { id: string }).id, result: 1 }, opts);
    expect((b.commands[0] as { policy: unknown }).policy).toEqual({
      retries: 0,
      backoffMs: 2000,
      backoffRate: 3,
      maxBackoffMs: 10_000,
      timeoutMs: 60_000,
    });
  });

  it('rejects an invalid policy at run time with CT014', () => {
    const p = program(`task t(): number with { retries: -1 }
workflow w() { return await t() }`);
    const a = start(p, {}, opts);
    expect(ofType(a.commands, 'fail')[0]!.error.code).toBe('CT014');
  });

  it('carries nonRetryable / retryOn in scheduleTask; a call list replaces the declaration rule', () => {
    const p = program(`task t(): number with { nonRetryable: ["CardDeclined", "Fraud", "Fraud"] }
workflow w() {
  const a = await t()
  const b = await t() with { retryOn: ["Throttled"] }
  const c = await t() with { retries: 1 }
  return a + b + c
}`);
    let r = start(p, {}, opts);
    const policies: unknown[] = [];
    for (let k = 0; k < 3; k++) {
      const cmd = ofType(r.commands, 'scheduleTask')[0]!;
      policies.push(cmd.policy);
      r = resume(p, r.state, { type: 'taskCompleted', id: cmd.id, result: 1 }, opts);
    }
    expect(policies).toEqual([
      { ...DEFAULT_POLICY, nonRetryable: ['CardDeclined', 'Fraud'] },
      { ...DEFAULT_POLICY, retryOn: ['Throttled'] },
      { ...DEFAULT_POLICY, retries: 1, nonRetryable: ['CardDeclined', 'Fraud'] },
    ]);
    expect(ofType(r.commands, 'complete')[0]!.result).toBe(3);
    expect(DEFAULT_POLICY).not.toHaveProperty('nonRetryable');
  });

  it('rejects an invalid computed nonRetryable / retryOn at run time with CT014', () => {
    const cases: [unknown, string][] = [
      ['CardDeclined', 'must be a list of error types (strings), got a string'],
      [[''], 'each error type must be a non-empty string of at most 100 characters'],
      [[3], 'each error type must be a non-empty string'],
      [['x'.repeat(101)], 'at most 100 characters'],
      [Array.from({ length: 51 }, (_, i) => `E${i}`), 'lists 51 error types; at most 50'],
    ];
    for (const [types, message] of cases) {
      const p = program(`task t(): number
workflow w(types: any) { return await t() with { nonRetryable: types } }`);
      const err = ofType(start(p, { types } as never, opts).commands, 'fail')[0]!.error;
      expect(err).toMatchObject({ code: 'CT014', line: 2 });
      expect(err.message).toContain(message);
    }
    const p = program(`task t(): number
workflow w(a: any) { return await t() with { nonRetryable: a, retryOn: a } }`);
    expect(ofType(start(p, { a: ['X'] } as never, opts).commands, 'fail')[0]!.error.message).toContain('use one of nonRetryable or retryOn');
  });

  it('supports await as a statement, an assignment (also compound) and a return', () => {
    const p = program(`task next(n: number): number
workflow w() {
  let n = 1
  await next(0)
  n = await next(n)
  n *= await next(n)
  return await next(n)
}`);
    const { final, commands } = drive(p, {}, (_, args) => ({ ok: (args[0] as number) + 1 }));
    expect(ofType(commands, 'scheduleTask').map((c) => c.args)).toEqual([[0], [1], [2], [6]]);
    expect(final.state.result).toBe(7);
  });

  it('gives increasing sequence numbers to awaits in a loop', () => {
    const p = program(`task t(i: number): number
workflow w() {
  let s = 0
  for (let i = 0; i < 3; i++) { s += await t(i) }
  return s
}`);
    const { commands, final } = drive(p, {}, (_, args) => ({ ok: args[0]! }));
    const ids = ofType(commands, 'scheduleTask').map((c) => c.id);
    expect(ids.map((i) => i.replace(/^n\d+/, 'n'))).toEqual(['n.s1', 'n.s2', 'n.s3']);
    expect(new Set(ids.map((i) => i.split('.')[0])).size).toBe(1);
    expect(final.state.result).toBe(3);
  });
});

describe('events that do not apply', () => {
  const src = `task t(x: number): number
workflow w() {
  const a = await t(1)
  const b = await t(2)
  return a + b
}`;

  it('ignores an unknown id, a duplicate completion and a timer nobody waits for', () => {
    const p = program(src);
    const a = start(p, {}, opts);
    const id1 = (a.commands[0] as { id: string }).id;
    const unknown = resume(p, a.state, { type: 'taskCompleted', id: 'n99.s9', result: 1 }, opts);
    expect(unknown.ignored).toBeTruthy();
    expect(unknown.state).toBe(a.state);
    expect(unknown.commands).toEqual([]);
    const b = resume(p, a.state, { type: 'taskCompleted', id: id1, result: 10 }, opts);
    expect(b.ignored).toBeUndefined();
    const dup = resume(p, b.state, { type: 'taskCompleted', id: id1, result: 999 }, opts);
    expect(dup.ignored).toBeTruthy();
    expect(dup.state).toBe(b.state);
    const dupFail = resume(p, b.state, { type: 'taskFailed', id: id1, failure: { message: 'x', attempts: 1 } }, opts);
    expect(dupFail.ignored).toBeTruthy();
    const timer = resume(p, b.state, { type: 'timerFired', id: id1 }, opts);
    expect(timer.ignored).toBeTruthy();
    const id2 = (b.commands[0] as { id: string }).id;
    const c = resume(p, b.state, { type: 'taskCompleted', id: id2, result: 5 }, opts);
    expect(c.state.result).toBe(15);
  });

  it('ignores every event on a completed or failed instance', () => {
    const p = program(src);
    const a = start(p, {}, opts);
    const id1 = (a.commands[0] as { id: string }).id;
    const failed = resume(p, a.state, { type: 'taskFailed', id: id1, failure: { message: 'x', attempts: 2 } }, opts);
    expect(failed.state.status).toBe('failed');
    for (const ev of [
      { type: 'taskCompleted', id: id1, result: 1 },
      { type: 'timerFired', id: id1 },
      { type: 'signal', name: 's', payload: 1 },
    ] as const) {
      const r = resume(p, failed.state, ev, opts);
      expect(r.ignored).toContain('failed');
      expect(r.commands).toEqual([]);
      expect(r.state).toBe(failed.state);
    }
    const done = start(program('workflow w() { return 1 }'), {}, opts);
    expect(resume(program('workflow w() { return 1 }'), done.state, { type: 'signal', name: 's', payload: 1 }, opts).ignored).toContain(
      'completed',
    );
  });

  it('refuses a state from another program', () => {
    const a = start(program(src), {}, opts);
    expect(() => resume(program('workflow w() { return 2 }'), a.state, { type: 'timerFired', id: 'x' }, opts)).toThrow(/program/);
  });
});

describe('Promise.all and Promise.allSettled', () => {
  it('schedules a fixed fan-out at once with child ids and gives results in order', () => {
    const p = program(`task a(x: number): number
task b(x: number): string
workflow w() {
  const r = await Promise.all([a(1), b(2) with { retries: 9 }])
  return r
}`);
    const s = start(p, {}, opts);
    const tasks = ofType(s.commands, 'scheduleTask');
    expect(tasks.map((t) => [t.task, t.args, t.policy.retries])).toEqual([
      ['a', [1], 2],
      ['b', [2], 9],
    ]);
    const base = tasks[0]!.id.replace(/\.0$/, '');
    expect(tasks.map((t) => t.id)).toEqual([`${base}.0`, `${base}.1`]);
    expect(tasks[1]!.at).toEqual({ line: 4, col: 38 });
    // completions out of order
    const r1 = resume(p, s.state, { type: 'taskCompleted', id: `${base}.1`, result: 'two' }, opts);
    expect(r1.commands).toEqual([]);
    expect(r1.state.status).toBe('waiting');
    const again = resume(p, r1.state, { type: 'taskCompleted', id: `${base}.1`, result: 'dup' }, opts);
    expect(again.ignored).toBeTruthy();
    const r2 = resume(p, r1.state, { type: 'taskCompleted', id: `${base}.0`, result: 1 }, opts);
    expect(r2.state.result).toEqual([1, 'two']);
  });

  it('fails the workflow when a child fails', () => {
    const p = program(`task a(x: number): number
workflow w() {
  return await Promise.all([a(1), a(2)])
}`);
    const { final } = drive(p, {}, (_, args) => (args[0] === 2 ? { fail: 'boom', attempts: 4 } : { ok: 1 }));
    expect(final.state.error).toMatchObject({ code: 'CR007', task: 'a', attempts: 4, line: 3, col: 10 });
  });

  it('fans out over a list with at most `concurrency` in flight, scheduling the next as each completes', () => {
    const p = program(`task work(x: number): number
workflow w(items: number[]) {
  return await Promise.all(items.map(work), { concurrency: 2 })
}`);
    const s = start(p, { items: [1, 2, 3, 4, 5] }, opts);
    let t = ofType(s.commands, 'scheduleTask');
    expect(t.map((c) => c.args)).toEqual([[1], [2]]);
    const base = t[0]!.id.replace(/\.0$/, '');
    let st: ExecState = s.state;
    const complete = (i: number) => {
      const r = resume(p, st, { type: 'taskCompleted', id: `${base}.${i}`, result: i * 10 }, opts);
      expect(r.ignored).toBeUndefined();
      st = r.state;
      return ofType(r.commands, 'scheduleTask').map((c) => c.id);
    };
    expect(complete(1)).toEqual([`${base}.2`]);
    expect(complete(0)).toEqual([`${base}.3`]);
    // an id not yet scheduled is not in flight
    expect(resume(p, st, { type: 'taskCompleted', id: `${base}.4`, result: 0 }, opts).ignored).toBeTruthy();
    expect(complete(3)).toEqual([`${base}.4`]);
    expect(complete(2)).toEqual([]);
    expect(complete(4)).toEqual([]);
    expect(st.result).toEqual([0, 10, 20, 30, 40]);
  });

  it('uses a default concurrency of 10', () => {
    const p = program(`task work(x: number): number
workflow w(items: number[]) { return await Promise.all(items.map(work)) }`);
    const s = start(p, { items: Array.from({ length: 25 }, (_, i) => i) }, opts);
    expect(ofType(s.commands, 'scheduleTask')).toHaveLength(10);
  });

  it('gives fulfilled and rejected shapes with allSettled, in both forms', () => {
    const p = program(`task t(x: number): number
workflow w(xs: number[]) {
  const a = await Promise.allSettled([t(1), t(2)])
  const b = await Promise.allSettled(xs.map(t), { concurrency: 1 })
  return [a, b]
}`);
    const { final } = drive(p, { xs: [3, 4] }, (_, args) => (args[0] === 2 || args[0] === 4 ? { fail: `no ${args[0]}`, attempts: 2 } : { ok: args[0]! }));
    expect(final.state.result).toEqual([
      [
        { status: 'fulfilled', value: 1 },
        { status: 'rejected', reason: { message: 'no 2', type: 'Error', attempts: 2, task: 't' } },
      ],
      [
        { status: 'fulfilled', value: 3 },
        { status: 'rejected', reason: { message: 'no 4', type: 'Error', attempts: 2, task: 't' } },
      ],
    ]);
  });

  it('completes an empty fan-out without waiting', () => {
    const p = program(`task t(x: number): number
workflow w(xs: number[]) {
  const a = await Promise.all(xs.map(t), { concurrency: 3 })
  const b = await Promise.allSettled([])
  return [a, b]
}`);
    const s = start(p, { xs: [] }, opts);
    expect(s.commands).toEqual([{ type: 'complete', result: [[], []] }]);
  });

  it('rejects a bad concurrency with CR008 and a non-array with CR002', () => {
    const p = program(`task t(x: number): number
workflow w(xs: any, c: any) {
  return await Promise.all(xs.map(t), { concurrency: c })
}`);
    expect(ofType(start(p, { xs: [1], c: 0 }, opts).commands, 'fail')[0]!.error).toMatchObject({ code: 'CR008', line: 3, col: 16 });
    expect(ofType(start(p, { xs: 'ab', c: 1 }, opts).commands, 'fail')[0]!.error).toMatchObject({ code: 'CR002', line: 3, col: 16 });
  });
});

describe('sleep', () => {
  it('starts a timer from the injected clock and continues with null when it fires', () => {
    const p = program(`workflow w() {
  const r = await sleep("2h")
  return r
}`);
    const s = start(p, {}, opts);
    expect(s.commands).toHaveLength(1);
    const t = ofType(s.commands, 'startTimer')[0]!;
    expect(t).toMatchObject({ fireAt: '2026-01-01T02:00:00.000Z', durationMs: 7_200_000, purpose: 'sleep', at: { line: 2, col: 13 } });
    expect(t.id).toMatch(/^n\d+\.s1$/);
    expect(resume(p, s.state, { type: 'taskCompleted', id: t.id, result: 1 }, opts).ignored).toBeTruthy();
    const r = resume(p, s.state, { type: 'timerFired', id: t.id }, opts);
    expect(r.commands).toEqual([{ type: 'complete', result: null }]);
  });

  it('takes milliseconds and rejects 0, negative, too long and garbage with CR010', () => {
    const p = program(`workflow w(d: any) {
  await sleep(d)
  return 1
}`);
    expect(ofType(start(p, { d: 250 }, opts).commands, 'startTimer')[0]!.durationMs).toBe(250);
    expect(ofType(start(p, { d: '3650d' }, opts).commands, 'startTimer')[0]!.durationMs).toBe(3650 * 86_400_000);
    for (const d of [0, -5, '3651d', 'soon', null, [1]]) {
      expect(ofType(start(p, { d }, opts).commands, 'fail')[0]!.error, JSON.stringify(d)).toMatchObject({ code: 'CR010', line: 2, col: 9 });
    }
  });
});

describe('signal', () => {
  const plain = `workflow w() {
  const a = await signal("approve")
  return a
}`;

  it('waits for a signal by name and continues with its payload', () => {
    const p = program(plain);
    const s = start(p, {}, opts);
    const wait = ofType(s.commands, 'waitForSignal')[0]!;
    expect(wait).toMatchObject({ name: 'approve', at: { line: 2, col: 13 } });
    expect(wait.timeoutMs).toBeUndefined();
    const r = resume(p, s.state, { type: 'signal', name: 'approve', payload: { by: 'ada' } }, opts);
    expect(r.commands).toEqual([{ type: 'complete', result: { by: 'ada' } }]);
  });

  it('buffers a signal nobody waits for yet, oldest first, and consumes it without waiting', () => {
    const p = program(`task t(): void
workflow w() {
  await t()
  const a = await signal("s")
  const b = await signal("s")
  return [a, b]
}`);
    const s = start(p, {}, opts);
    const s1 = resume(p, s.state, { type: 'signal', name: 's', payload: 1 }, opts);
    expect(s1.ignored).toBeUndefined();
    expect(s1.commands).toEqual([]);
    expect(s1.state.signals).toEqual({ s: [1] });
    const s2 = resume(p, s1.state, { type: 'signal', name: 's', payload: 2 }, opts);
    expect(s2.state.signals).toEqual({ s: [1, 2] });
    const done = resume(p, s2.state, { type: 'taskCompleted', id: (s.commands[0] as { id: string }).id, result: null }, opts);
    expect(done.commands).toEqual([{ type: 'complete', result: [1, 2] }]);
    expect(done.state.signals).toEqual({});
  });

  it('with a timeout: waits plus a timer; the signal wins and cancels the timer', () => {
    const p = program(`workflow w() {
  const r = await signal("ok", { timeout: "2d" })
  return r
}`);
    const s = start(p, {}, opts);
    const wait = ofType(s.commands, 'waitForSignal')[0]!;
    const timer = ofType(s.commands, 'startTimer')[0]!;
    expect(wait.timeoutMs).toBe(172_800_000);
    expect(timer).toMatchObject({ id: `${wait.id}:timeout`, purpose: 'signalTimeout', fireAt: '2026-01-03T00:00:00.000Z' });
    const won = resume(p, s.state, { type: 'signal', name: 'ok', payload: 'yes' }, opts);
    expect(won.commands).toEqual([
      { type: 'cancelTimer', id: timer.id },
      { type: 'complete', result: { timedOut: false, payload: 'yes' } },
    ]);
    const late = resume(p, won.state, { type: 'timerFired', id: timer.id }, opts);
    expect(late.ignored).toBeTruthy();
  });

  it('with a timeout: the timer wins with { timedOut: true, payload: null }; a late signal is buffered', () => {
    const p = program(`task t(): void
workflow w() {
  const r = await signal("ok", { timeout: 1000 })
  await t()
  return r
}`);
    const s = start(p, {}, opts);
    const timer = ofType(s.commands, 'startTimer')[0]!;
    expect(resume(p, s.state, { type: 'timerFired', id: timer.id.replace(':timeout', '') }, opts).ignored).toBeTruthy();
    const fired = resume(p, s.state, { type: 'timerFired', id: timer.id }, opts);
    expect(fired.state.status).toBe('waiting');
    const late = resume(p, fired.state, { type: 'signal', name: 'ok', payload: 1 }, opts);
    expect(late.state.signals).toEqual({ ok: [1] });
    const task = ofType(fired.commands, 'scheduleTask')[0]!;
    const end = resume(p, late.state, { type: 'taskCompleted', id: task.id, result: null }, opts);
    expect(end.state.result).toEqual({ timedOut: true, payload: null });
  });

  it('a buffered signal with a timeout form gives { timedOut: false } without a timer', () => {
    const p = program(`task t(): void
workflow w() {
  await t()
  return await signal("ok", { timeout: "1h" })
}`);
    const s = start(p, {}, opts);
    const b = resume(p, s.state, { type: 'signal', name: 'ok', payload: 7 }, opts);
    const r = resume(p, b.state, { type: 'taskCompleted', id: (s.commands[0] as { id: string }).id, result: null }, opts);
    expect(r.commands).toEqual([{ type: 'complete', result: { timedOut: false, payload: 7 } }]);
  });

  it('rejects a non-string name and bad options with CR010', () => {
    const p = program(`workflow w(n: any, o: any) {
  return await signal(n, o)
}`);
    expect(ofType(start(p, { n: 1, o: { timeout: '1s' } }, opts).commands, 'fail')[0]!.error).toMatchObject({ code: 'CR010', line: 2, col: 16 });
    expect(ofType(start(p, { n: 'a', o: { timeout: 'x' } }, opts).commands, 'fail')[0]!.error.code).toBe('CR010');
    expect(ofType(start(p, { n: 'a', o: { wait: '1s' } }, opts).commands, 'fail')[0]!.error.code).toBe('CR010');
  });
});

describe('state', () => {
  it('is plain JSON: a JSON round trip at an await resumes identically', () => {
    const p = program(`task t(x: any): any
workflow w(xs: number[]) {
  let acc = { seen: [], n: 0 }
  for (const x of xs) {
    if (x % 2 === 0) {
      const r = await t(x)
      acc.seen.push(r)
    }
    acc.n += x
  }
  return acc
}`);
    const s = start(p, { xs: [1, 2, 3, 4] }, opts);
    const copy = JSON.parse(JSON.stringify(s.state)) as ExecState;
    expect(copy).toEqual(s.state);
    const id = (s.commands[0] as { id: string }).id;
    const a = resume(p, s.state, { type: 'taskCompleted', id, result: 'two' }, opts);
    const b = resume(p, copy, { type: 'taskCompleted', id, result: 'two' }, options());
    expect(b).toEqual(a);
    expect(a.state.programHash).toMatch(/^sha256:/);
    expect(a.state.v).toBe(2);
  });

  it('reports steps and state bytes on every activation', () => {
    const p = program(`task t(): void
workflow w() {
  let i = 0
  while (i < 10) { i++ }
  await t()
  return "é"
}`);
    const s = start(p, {}, opts);
    expect(s.steps).toBe(13);
    expect(s.stateBytes).toBe(Buffer.byteLength(JSON.stringify(s.state)));
    const r = resume(p, s.state, { type: 'taskCompleted', id: (s.commands[0] as { id: string }).id, result: null }, opts);
    expect(r.steps).toBe(1);
    expect(r.stateBytes).toBe(Buffer.byteLength(JSON.stringify(r.state)));
    expect(r.stateBytes).toBeGreaterThan(JSON.stringify(r.state).length - 1);
  });
});
