/**
 * Outside data and runaway workflows (issue 7, items 3 and 4): signal names that are
 * Object.prototype keys, values nested thousands deep, workflows that try to exhaust memory or
 * CPU. Each case must end in a clean result or a CR… failure at the line, never a throw.
 */
import { describe, expect, it } from 'vitest';
import { resume, start } from '../../../dsl/interpreter/index.ts';
import type { ExecState, Value } from '../../../dsl/interpreter/types.ts';
import { failure, options, program } from './helpers.ts';

const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];

function deep(depth: number): Value {
  return JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as Value;
}
function deepObject(depth: number): Value {
  return JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)) as Value;
}
const roundTrip = (s: ExecState): ExecState => JSON.parse(JSON.stringify(s)) as ExecState;

describe('signal names from outside', () => {
  const p = program(`task t(): void
workflow w(name: string) {
  await t()
  const v = await signal(name)
  return v
}`);

  for (const name of PROTO_NAMES) {
    it(`buffers and delivers a signal named ${name}`, () => {
      const o = options();
      const a = start(p, { name }, o);
      const task = (a.commands[0] as { id: string }).id;
      // arrives while the workflow waits for the task: buffered
      const b = resume(p, roundTrip(a.state), { type: 'signal', name, payload: { ok: name } }, o);
      expect(b.ignored).toBeUndefined();
      expect(b.state.status).toBe('waiting');
      const c = resume(p, roundTrip(b.state), { type: 'taskCompleted', id: task, result: null }, o);
      expect(c.state.error).toBeUndefined();
      expect(c.state.result).toEqual({ ok: name });
    });

    it(`awaits a signal named ${name} that is not buffered`, () => {
      const o = options();
      const a = start(p, { name }, o);
      const task = (a.commands[0] as { id: string }).id;
      const b = resume(p, roundTrip(a.state), { type: 'taskCompleted', id: task, result: null }, o);
      expect(b.state.status).toBe('waiting');
      expect(b.commands).toMatchObject([{ type: 'waitForSignal', name }]);
      const c = resume(p, roundTrip(b.state), { type: 'signal', name, payload: 7 }, o);
      expect(c.state.result).toBe(7);
    });
  }

  it('keeps loading a state saved by an earlier version (signals a plain object)', () => {
    const o = options();
    const a = start(p, { name: 'approve' }, o);
    const saved = roundTrip(a.state);
    saved.signals = JSON.parse('{"approve":[1],"constructor":[2]}');
    const task = (a.commands[0] as { id: string }).id;
    const b = resume(p, saved, { type: 'taskCompleted', id: task, result: null }, o);
    expect(b.state.result).toBe(1);
    expect(b.state.signals).toEqual({ constructor: [2] });
  });
});

describe('malformed events and states', () => {
  const p = program(`task t(): any
workflow w() {
  await t()
  return await signal("go")
}`);

  it('ignores a task event whose id is not a string and a signal whose name is not one', () => {
    const o = options();
    const a = start(p, {}, o);
    const bad = resume(p, a.state, { type: 'taskCompleted', id: 5 as unknown as string, result: 1 }, o);
    expect(bad.ignored).toBeDefined();
    const noName = resume(p, a.state, { type: 'signal', name: { toString: 1 } as unknown as string, payload: 1 }, o);
    expect(noName.ignored).toMatch(/SIGNAL_INVALID/);
  });

  it('buffers into a state whose signals field is missing (hand-made or damaged)', () => {
    const o = options();
    const a = start(p, {}, o);
    const saved = roundTrip(a.state) as Partial<ExecState>;
    delete saved.signals;
    const b = resume(p, saved as ExecState, { type: 'signal', name: 'early', payload: 1 }, o);
    expect(b.state.signals).toEqual({ early: [1] });
  });

  it('a task failure that is not an object fails CR007 with its text', () => {
    const o = options();
    const a = start(p, {}, o);
    const id = (a.commands[0] as { id: string }).id;
    const b = resume(p, a.state, { type: 'taskFailed', id, failure: 'boom' as never }, o);
    expect(b.state.error).toMatchObject({ code: 'CR007' });
    expect(b.state.error?.message).toMatch(/boom/);
  });
});

describe('object keys from outside', () => {
  it('reads and copies prototype keys of input values as plain keys', () => {
    const p = program(`workflow w(o: any) {
  const c = { ...o }
  const { constructor, toString } = o
  const ks = Object.keys(o)
  return [c.constructor, c.__proto__, o.toString, o["valueOf"], constructor, toString, ks, c == o, JSON.stringify(c)]
}`);
    const o = JSON.parse('{"constructor":1,"__proto__":2,"toString":3,"valueOf":4}');
    const a = start(p, { o }, options());
    expect(a.state.error).toBeUndefined();
    expect(a.state.result).toEqual([1, 2, 3, 4, 1, 3, ['constructor', '__proto__', 'toString', 'valueOf'], true, '{"constructor":1,"__proto__":2,"toString":3,"valueOf":4}']);
  });

  it('reads missing prototype keys as null', () => {
    const p = program(`workflow w(o: any) {
  return [o.constructor, o.__proto__, o.hasOwnProperty, o["toString"], "s".constructor, [1].__proto__]
}`);
    expect(start(p, { o: {} }, options()).state.result).toEqual([null, null, null, null, null, null]);
  });

  it('survives a task failure whose fields are not strings', () => {
    const p = program(`task t(): any
workflow w() {
  const r = await Promise.allSettled([t()])
  return r[0].reason
}`);
    const o = options();
    const a = start(p, {}, o);
    const id = (a.commands[0] as { id: string }).id;
    const failure = JSON.parse('{"message":{"toString":1},"type":{"valueOf":2},"attempts":"x"}');
    const b = resume(p, a.state, { type: 'taskFailed', id, failure }, o);
    expect(b.state.error).toBeUndefined();
    expect(b.state.result).toMatchObject({ attempts: 1, task: 't' });
  });

  it('fails CR007 cleanly for a task failure whose message is an object', () => {
    const p = program(`task t(): any
workflow w() {
  return await t()
}`);
    const o = options();
    const a = start(p, {}, o);
    const id = (a.commands[0] as { id: string }).id;
    const f = JSON.parse('{"message":{"toString":1},"attempts":3}');
    const b = resume(p, a.state, { type: 'taskFailed', id, failure: f }, o);
    expect(b.state.error?.code).toBe('CR007');
  });
});

describe('values nested thousands deep from outside', () => {
  const p = program(`task t(): any
workflow w(x: any) {
  const r = await t()
  const s = await signal("go")
  return [r, s]
}`);

  for (const depth of [3000, 100_000]) {
    it(`fails the instance with CR013 for start input ${depth} deep`, () => {
      const a = start(p, { x: deep(depth) }, options());
      expect(a.state.status).toBe('failed');
      expect(a.state.error?.code).toBe('CR013');
      expect(a.commands).toMatchObject([{ type: 'fail' }]);
    });

    it(`fails the instance with CR013 at the await for a task result ${depth} deep`, () => {
      const o = options();
      const a = start(p, { x: null }, o);
      const id = (a.commands[0] as { id: string }).id;
      const b = resume(p, a.state, { type: 'taskCompleted', id, result: deepObject(depth) }, o);
      expect(b.state.error).toMatchObject({ code: 'CR013', line: 3 });
    });

    it(`ignores a signal payload ${depth} deep (buffered or awaited)`, () => {
      const o = options();
      const a = start(p, { x: null }, o);
      const early = resume(p, a.state, { type: 'signal', name: 'go', payload: deep(depth) }, o);
      expect(early.ignored).toMatch(/nested deeper/);
      expect(early.state).toBe(a.state);
      const id = (a.commands[0] as { id: string }).id;
      const b = resume(p, a.state, { type: 'taskCompleted', id, result: 1 }, o);
      const c = resume(p, b.state, { type: 'signal', name: 'go', payload: deep(depth) }, o);
      expect(c.ignored).toMatch(/nested deeper/);
      expect(c.state.status).toBe('waiting');
    });
  }

  it('accepts values nested up to the limit (128)', () => {
    const o = options();
    const a = start(p, { x: deep(128) }, o);
    expect(a.state.status).toBe('waiting');
    expect(start(p, { x: deep(129) }, o).state.error?.code).toBe('CR013');
  });

  it('fails with CR013 when the workflow itself nests a value too deeply', () => {
    expect(failure(`workflow w() {
  let a = []
  for (let i = 0; i < 100000; i++) { a = [a] }
  return 1
}`)).toBe('CR013 3:38');
  });

  it('fails with CR013 for JSON.parse of text nested too deeply', () => {
    expect(failure(`workflow w(s: string) {
  return JSON.parse(s)
}`, { s: '['.repeat(5000) + ']'.repeat(5000) })).toBe('CR013 2:10');
  });
});
