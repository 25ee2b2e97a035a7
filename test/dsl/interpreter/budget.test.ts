/**
 * Budgets of one activation (budget.ts): a workflow cannot take down its host. Each runaway case
 * from issue 7 fails the instance with a CR code at the line, quickly and in small memory.
 */
import { describe, expect, it } from 'vitest';
import { resume, start } from '../../../dsl/interpreter/index.ts';
import { failure, options, program, runSync } from './helpers.ts';

/**
 * Runs `f` and reports the heap it left grown. No wall-clock assertion: speed is the benchmarks'
 * business (`npm run bench`), and the deterministic parts here — the code, the line and the heap —
 * show that the budget stopped the work before it grew; a runaway would also hit the test timeout.
 */
function timed<T>(f: () => T): { value: T; heapMb: number } {
  const heap0 = process.memoryUsage().heapUsed;
  const value = f();
  return { value, heapMb: (process.memoryUsage().heapUsed - heap0) / 1e6 };
}

describe('memory (default limits)', () => {
  it('a.push(a) thirty times fails with CR015 in well under a second (it used to abort the process)', () => {
    const r = timed(() => failure(`workflow w() {
  const a = [1]
  for (let i = 0; i < 30; i++) { a.push(a) }
  return a.length
}`));
    expect(r.value).toBe('CR015 3:34');
    expect(r.heapMb).toBeLessThan(400);
  });

  it('concat doubling fails at the array length limit (CR014) before it allocates', () => {
    const r = timed(() => failure(`workflow w() {
  let a = [1]
  for (let i = 0; i < 26; i++) { a = a.concat(a) }
  return a.length
}`));
    expect(r.value).toBe('CR014 3:38');
  });

  it('string doubling fails at the string length limit (CR014)', () => {
    expect(failure(`workflow w() {
  let s = "x"
  for (let i = 0; i < 40; i++) { s = s + s }
  return s.length
}`)).toBe('CR014 3:34');
  });
});

describe('work (default limits)', () => {
  it('replaceAll over a 10M-character string is charged by characters: CR005 at once, not 0.8 s a statement', () => {
    const r = timed(() => failure(`workflow w() {
  let s = "x".repeat(9000000)
  let n = 0
  while (true) { s = s.replaceAll("x", "y"); n++ }
}`));
    expect(r.value).toBe('CR005 4:22');
  });

  it('a deep comparison is charged by the nodes it compares', () => {
    const src = `workflow w(n: number) {
  const a = []
  for (let i = 0; i < n; i++) { a.push(i) }
  let k = 0
  while (k < 200) { if (a == a.slice()) { k++ } }
  return k
}`;
    const cheap = runSync(src, { n: 10 }, { maxSteps: 5000 });
    expect(cheap.state.result).toBe(200);
    // the same statements over 1,000 elements cost ~20x as many steps
    expect(failure(src, { n: 1000 }, { maxSteps: 5000 })).toMatch(/^CR005 5:/);
  });

  it('slice of a long string is cheap (it does not scan its receiver)', () => {
    const a = runSync(`workflow w() {
  const s = "x".repeat(1000000)
  let n = 0
  for (let i = 0; i < 1000; i++) { n += s.slice(i, i + 1).length }
  return n
}`);
    expect(a.state.result).toBe(1000);
    expect(a.steps).toBeLessThan(15_000);
  });
});

describe('small limits', () => {
  it('maxStringLength: CR014 before the string is made', () => {
    expect(failure(`workflow w() {\n  return "ab".repeat(600)\n}`, {}, { maxStringLength: 1000 })).toBe('CR008 2:10');
    expect(failure(`workflow w() {\n  const s = "ab".repeat(400)\n  return \`\${s}\${s}\`\n}`, {}, { maxStringLength: 1000 })).toBe('CR014 3:3');
    expect(failure(`workflow w() {\n  const s = "ab".repeat(400)\n  return s.replaceAll("a", "xyz")\n}`, {}, { maxStringLength: 1000 })).toBe('CR014 3:10');
    expect(failure(`workflow w() {\n  const xs = ["ab".repeat(300), "cd".repeat(300)]\n  return xs.join("")\n}`, {}, { maxStringLength: 1000 })).toBe('CR014 3:10');
    expect(failure(`workflow w() {\n  const o = { a: "ab".repeat(300), b: "cd".repeat(300) }\n  return JSON.stringify(o)\n}`, {}, { maxStringLength: 1000 })).toBe('CR014 3:10');
  });

  it('maxArrayLength: CR014 for literals, push, split and spread', () => {
    const o = { maxArrayLength: 100 };
    expect(failure(`workflow w() {\n  const a = []\n  while (true) { a.push(1) }\n}`, {}, o)).toBe('CR014 3:18');
    expect(failure(`workflow w() {\n  return "x".repeat(200).split("")\n}`, {}, o)).toBe('CR014 2:10');
    expect(failure(`workflow w() {\n  const a = "x".repeat(60).split("")\n  return [...a, ...a]\n}`, {}, o)).toBe('CR014 3:3');
    expect(failure(`workflow w() {\n  const a = []\n  for (let i = 0; i < 200; i++) { a[i] = i }\n}`, {}, o)).toBe('CR014 3:35');
  });

  it('maxActivationBytes: CR015 counts the values created, and awaits reset it', () => {
    const p = program(`task t(): void
workflow w() {
  for (let k = 0; k < 3; k++) {
    let keep = []
    for (let i = 0; i < 50; i++) { keep = [1, 2, 3, 4, 5, 6, 7, 8] }
    await t()
  }
  return 1
}`);
    const o = options({ maxActivationBytes: 5000 });
    let a = start(p, {}, o);
    while (a.state.status === 'waiting') {
      a = resume(p, a.state, { type: 'taskCompleted', id: (a.commands[0] as { id: string }).id, result: null }, o);
    }
    expect(a.state.result).toBe(1);
    expect(start(p, {}, options({ maxActivationBytes: 3000 })).state.error).toMatchObject({ code: 'CR015', line: 5, col: 36 });
  });
});

describe('time (wall clock, through the injected now)', () => {
  it('fails with CR016 when one activation runs longer than maxActivationMs', () => {
    let t = Date.UTC(2026, 0, 1);
    // each look at the clock moves it 1 s on: the third look is past 2 s
    const now = () => new Date((t += 1000));
    const a = runSync(`workflow w() {\n  let i = 0\n  while (true) { i++ }\n}`, {}, { now, maxActivationMs: 2000 });
    expect(a.state.error).toMatchObject({ code: 'CR016', line: 3, col: 18 });
    expect(a.state.error?.message).toMatch(/time budget of 2000 ms/);
  });

  it('never fires with a clock that stands still (deterministic tests and replays)', () => {
    expect(failure(`workflow w() {\n  let i = 0\n  while (true) { i++ }\n}`, {}, { maxActivationMs: 1 })).toBe('CR005 3:18');
  });
});
