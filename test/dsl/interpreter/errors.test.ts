import { describe, expect, it } from 'vitest';
import { resume, start } from '../../../dsl/interpreter/index.ts';
import { failure, options, program, runSync } from './helpers.ts';

describe('runtime errors carry a code and line:col', () => {
  it.each([
    ['CR001 2:10', 'property of null', `workflow w(o: any) {\n  return o.a.b\n}`, { o: { a: null } }],
    ['CR001 2:10', 'method call on null', `workflow w(s: any) {\n  return s.trim()\n}`, { s: null }],
    ['CR001 2:3', 'setting a property of null', `workflow w(o: any) {\n  o.a.b = 1\n}`, { o: { a: null } }],
    ['CR001 2:10', 'indexing null', `workflow w(o: any) {\n  return o[0]\n}`, { o: null }],
    ['CR002 2:10', 'subtracting strings', `workflow w(a: any) {\n  return a - 1\n}`, { a: 'x' }],
    ['CR002 2:10', '+ of number and boolean', `workflow w(a: any) {\n  return a + 1\n}`, { a: true }],
    ['CR002 2:10', 'comparing a number with a string', `workflow w(a: any) {\n  return a < "b"\n}`, { a: 1 }],
    ['CR002 2:10', 'unary minus on a string', `workflow w(a: any) {\n  return -a\n}`, { a: '1' }],
    ['CR002 2:10', 'a method of the wrong type', `workflow w(a: any) {\n  return a.toUpperCase()\n}`, { a: 5 }],
    ['CR002 2:10', 'sort of mixed types', `workflow w(a: any) {\n  return a.sort()\n}`, { a: [1, 'a'] }],
    ['CR002 2:3', '++ of a string', `workflow w(a: any) {\n  a++\n  return a\n}`, { a: 'x' }],
    ['CR002 2:19', 'for of over a number', `workflow w(a: any) {\n  for (const x of a) {}\n}`, { a: 3 }],
    ['CR003 2:10', 'division by zero', `workflow w(a: number) {\n  return 1 / a\n}`, { a: 0 }],
    ['CR003 2:10', 'modulo by zero', `workflow w(a: number) {\n  return 1 % a\n}`, { a: 0 }],
    ['CR003 2:10', 'overflow', `workflow w(a: number) {\n  return a * a\n}`, { a: 1e200 }],
    ['CR003 2:10', 'Math.sqrt(-1)', `workflow w(a: number) {\n  return Math.sqrt(a)\n}`, { a: -1 }],
    ['CR004 2:10', 'a non-integer index', `workflow w(xs: any) {\n  return xs[1.5]\n}`, { xs: [1, 2] }],
    ['CR004 2:10', 'a string index into an array', `workflow w(xs: any) {\n  return xs["0"]\n}`, { xs: [1, 2] }],
    ['CR004 2:3', 'writing past the end', `workflow w(xs: any) {\n  xs[3] = 1\n}`, { xs: [1] }],
    ['CR004 2:3', 'writing a negative index', `workflow w(xs: any) {\n  xs[-1] = 1\n}`, { xs: [1] }],
    ['CR008 2:10', 'repeat(-1)', `workflow w(n: any) {\n  return "a".repeat(n)\n}`, { n: -1 }],
    ['CR008 2:10', 'a wrong argument type', `workflow w(n: any) {\n  return "a".padStart(n)\n}`, { n: 'x' }],
    ['CR008 2:10', 'Object.keys of an array', `workflow w(n: any) {\n  return Object.keys(n)\n}`, { n: [1] }],
    ['CR011 2:9', 'array pattern of an object', `workflow w(v: any) {\n  const [a] = v\n  return a\n}`, { v: { a: 1 } }],
    ['CR011 2:9', 'object pattern of null', `workflow w(v: any) {\n  const { a } = v\n  return a\n}`, { v: null }],
    ['CR012 2:10', 'JSON.parse of bad text', `workflow w(s: any) {\n  return JSON.parse(s)\n}`, { s: '{nope' }],
  ])('%s: %s', (expected, _what, source, input) => {
    expect(failure(source, input)).toBe(expected);
  });

  it('puts the code, a message and the position in the failed state', () => {
    const a = runSync(`workflow w(o: any) {\n  const x = 1\n  return o.name\n}`, { o: null });
    expect(a.state.status).toBe('failed');
    expect(a.state.error).toMatchObject({ code: 'CR001', line: 3, col: 10 });
    expect(a.state.error!.message).toContain("'name'");
    expect(a.state.frames).toEqual([]);
    expect(a.state.pending).toBeNull();
  });

  it('fails unchecked programs with the checker code instead of crashing', () => {
    expect(failure(`workflow w() {\n  return nope\n}`)).toBe('CT001 2:10');
    expect(failure(`workflow w() {\n  return frobnicate(1)\n}`)).toBe('CT005 2:10');
    expect(failure(`workflow w() {\n  return Math.max()\n}`)).toBe('CT006 2:10');
    expect(failure(`task t(): number\nworkflow w(xs: any) {\n  return xs.map(String)\n}`, { xs: [1] })).toBe('CT056 3:17');
    expect(failure(`workflow w() {\n  return { $handle: "n1.s1" }\n}`)).toBe('CR020 2:12');
  });
});

describe('statement budget (CR005)', () => {
  it('stops a runaway loop at the statement that exceeded the budget', () => {
    expect(failure(`workflow w() {\n  let i = 0\n  while (true) { i++ }\n}`, {}, { maxSteps: 500 })).toBe('CR005 3:18');
  });

  it('counts iterations of an empty loop body so `while (true) {}` stops too', () => {
    expect(failure(`workflow w() {\n  while (true) {}\n}`, {}, { maxSteps: 50 })).toBe('CR005 2:3');
    expect(failure(`workflow w() {\n  for (;;) {}\n}`, {}, { maxSteps: 50 })).toBe('CR005 2:3');
  });

  it('defaults to 100,000 statements', () => {
    const src = (n: number) => `workflow w() {\n  let s = 0\n  for (let i = 0; i < ${n}; i++) { s += i }\n  return s\n}`;
    // let, for, n body statements, return: n + 3 steps
    const fits = runSync(src(99_997));
    expect(fits.state.status).toBe('completed');
    expect(fits.steps).toBe(100_000);
    expect(runSync(src(99_998)).state.error?.code).toBe('CR005');
  });

  it('is per activation: awaits reset it', () => {
    const p = program(`task t(): void
workflow w() {
  let n = 0
  for (let k = 0; k < 3; k++) {
    for (let i = 0; i < 100; i++) { n++ }
    await t()
  }
  return n
}`);
    const o = options({ maxSteps: 150 });
    let a = start(p, {}, o);
    while (a.state.status === 'waiting') {
      expect(a.steps).toBeLessThanOrEqual(150);
      a = resume(p, a.state, { type: 'taskCompleted', id: (a.commands[0] as { id: string }).id, result: null }, o);
    }
    expect(a.state.result).toBe(300);
  });
});

describe('state size limit (CR006)', () => {
  it('fails when the serialised state is over maxStateBytes, dropping the other commands', () => {
    const p = program(`task t(): void
workflow w(n: number) {
  const big = "x".repeat(n)
  await t()
  return big.length
}`);
    const small = start(p, { n: 100 }, options({ maxStateBytes: 2000 }));
    expect(small.state.status).toBe('waiting');
    const big = start(p, { n: 5000 }, options({ maxStateBytes: 2000 }));
    expect(big.commands).toHaveLength(1);
    expect(big.commands[0]).toMatchObject({ type: 'fail', error: { code: 'CR006', line: 4, col: 3 } });
    expect(big.state.status).toBe('failed');
    expect(big.stateBytes).toBeLessThan(2000);
  });

  it('measures UTF-8 bytes, not characters', () => {
    const p = program(`task t(): void
workflow w(s: string) {
  await t()
}`);
    const ascii = start(p, { s: 'a'.repeat(900) }, options({ maxStateBytes: 1300 }));
    expect(ascii.state.status).toBe('waiting');
    const wide = start(p, { s: '€'.repeat(900) }, options({ maxStateBytes: 1300 }));
    expect(wide.state.error?.code).toBe('CR006');
  });

  it('defaults to 262,144 bytes', () => {
    const p = program(`task t(): void
workflow w(n: number) {
  const s = "y".repeat(n)
  await t()
}`);
    expect(start(p, { n: 250_000 }, options()).state.status).toBe('waiting');
    expect(start(p, { n: 263_000 }, options()).state.error?.code).toBe('CR006');
  });
});
