/**
 * Helpers and callbacks in the interpreter, on programs that skipped the checker: what the checker
 * would reject fails at run time with the checker's code, recursion meets MAX_CALL_DEPTH (CR035),
 * and a callback's frames never reach a saved state, even when it fails or throws.
 */
import { describe, expect, it } from 'vitest';
import { MAX_CALL_DEPTH } from '../../../dsl/interpreter/budget.ts';
import { resume, start } from '../../../dsl/interpreter/index.ts';
import { failure, options, program, result } from './helpers.ts';

describe('unchecked programs fail with the checker code', () => {
  it('an arrow function or a helper used as a value (CT050)', () => {
    expect(failure('workflow w() {\n  const f = (x) => x\n  return 1\n}')).toBe('CT050 2:13');
    expect(failure('function f() { return 1 }\nworkflow w() {\n  return f\n}')).toBe('CT050 3:10');
  });

  it('a callback that assigns or changes a variable around it (CT052)', () => {
    expect(failure('workflow w(xs: number[]) {\n  let t = 0\n  xs.forEach((x) => { t += x })\n  return t\n}', { xs: [1] })).toBe('CT052 3:23');
    expect(failure('workflow w(xs: number[]) {\n  const out = []\n  xs.forEach((x) => out.push(x))\n  return out\n}', { xs: [1] })).toBe('CT052 3:21');
    expect(failure('workflow w(xs: number[]) {\n  const o = { n: 1 }\n  xs.forEach((x) => { o.n = x })\n  return o\n}', { xs: [1] })).toBe('CT052 3:23');
    // its own locals and parameters it may change
    expect(result('workflow w() {\n  return [[1], [2]].map((xs) => { xs.push(0); let n = xs.length; n++; return n })\n}')).toEqual([3, 3]);
  });

  it('an await or a task call inside a callback or helper (CT051)', () => {
    expect(failure('task t(): number\nworkflow w() {\n  return [1].map((x) => { const r = await t()\n return r })\n}')).toBe('CT051 3:37');
    expect(failure('task t(x: number): number\nworkflow w() {\n  return [1].map((x) => t(x))\n}')).toBe('CT051 3:25');
    expect(failure('task t(): number\nfunction f() { return t() }\nworkflow w() {\n  return f()\n}')).toBe('CT051 2:23');
  });

  it('a helper does not see the workflow\'s variables (CT001)', () => {
    expect(failure('function f() { return secret }\nworkflow w() {\n  const secret = 1\n  return f()\n}')).toBe('CT001 1:23');
  });

  it('something that is not a function given to an array method (CT056)', () => {
    expect(failure('workflow w() {\n  const k = 1\n  return [1].map(k)\n}')).toBe('CT056 3:18');
  });
});

describe('recursion in an unchecked program', () => {
  it(`meets MAX_CALL_DEPTH (${MAX_CALL_DEPTH}) as CR035 at the helper, which a try can catch (like a stack overflow)`, () => {
    const src = 'function down(n: number): number { return down(n + 1) }\nworkflow w() {\n  return down(0)\n}';
    expect(failure(src)).toBe('CR035 1:1');
    expect(result('function down(n: number): number { return down(n + 1) }\nworkflow w() {\n  try { return down(0) } catch (e) { return e.code }\n}')).toBe('CR035');
  });

  it('a chain exactly MAX_CALL_DEPTH deep runs', () => {
    const fns = Array.from({ length: MAX_CALL_DEPTH }, (_, i) => `function f${i}(x: number): number { return ${i === MAX_CALL_DEPTH - 1 ? 'x + 1' : `f${i + 1}(x) + 1`} }`);
    expect(result(`${fns.join('\n')}\nworkflow w() { return f0(0) }`)).toBe(MAX_CALL_DEPTH);
  });
});

describe('budgets count the work of callbacks and helpers', () => {
  it('steps: each call is one, plus the statements of a block body', () => {
    const src = 'workflow w(xs: number[]) {\n  return xs.map((x) => { const y = x + 1\n return y })\n}';
    // 1 statement + 3 calls × (1 + 2 statements) = 10 steps
    expect(start(program(src), { xs: [1, 2, 3] }, options({ maxSteps: 10 })).state.status).toBe('completed');
    expect(start(program(src), { xs: [1, 2, 3] }, options({ maxSteps: 9 })).state.error).toMatchObject({ code: 'CR005', line: 3, col: 2 });
  });

  it('array and string lengths (CR014) and bytes (CR015) of what callbacks build', () => {
    expect(failure('workflow w() {\n  return "x".repeat(60).split("").flatMap((c) => [c, c])\n}', {}, { maxArrayLength: 100 })).toBe('CR014 2:10');
    expect(failure('workflow w() {\n  return [1, 2].map((i) => "ab".repeat(300) + "cd".repeat(300))\n}', {}, { maxStringLength: 1000 })).toBe('CR014 2:28');
    expect(failure('workflow w(xs: number[]) {\n  return xs.map((x) => [x, x, x, x, x, x, x, x])\n}', { xs: Array.from({ length: 60 }, (_, i) => i) }, { maxActivationBytes: 5000 })).toBe('CR015 2:24');
  });

  it('wall clock (CR016), looked at as steps go by, inside a helper too', () => {
    let t = Date.UTC(2026, 0, 1);
    const now = () => new Date((t += 1000));
    const a = start(program('function spin(): number {\n  let i = 0\n  while (true) { i++ }\n}\nworkflow w() {\n  return spin()\n}'), {}, options({ now, maxActivationMs: 2000 }));
    expect(a.state.error).toMatchObject({ code: 'CR016', line: 3, col: 18 });
  });
});

describe('the saved state never holds a callback', () => {
  it('an await after callbacks that returned, threw and failed inside try blocks saves only workflow frames', () => {
    const src = `task t(x: any): number
workflow w(xs: number[]) {
  let caught = 0
  for (const x of xs) {
    try {
      const ys = xs.map((y) => {
        try { if (y === x) throw "same" } finally { caught += 0 }
        return y
      })
    } catch (e) {
      caught++
    }
  }
  const r = await t(caught)
  return r + xs.filter((x) => x > 1).length
}`;
    const prog = program(src);
    // the callback's finally assigns caught: in an unchecked program that is CT052 at run time
    const a = start(prog, { xs: [1, 2, 3] }, options());
    expect(a.commands.at(-1)).toMatchObject({ type: 'fail', error: { code: 'CT052' } });
    const ok = program(src.replace('finally { caught += 0 }', 'finally { const z = 0 }'));
    const b = start(ok, { xs: [1, 2, 3] }, options());
    expect(b.commands).toMatchObject([{ type: 'scheduleTask', task: 't', args: [3] }]);
    // one frame: the workflow body (the for…of loop has ended); nothing of the callbacks
    expect(b.state.frames).toEqual([{ k: 'L', n: ok.workflow.body.id, i: 3, v: { xs: [1, 2, 3], caught: 3 } }]);
    const c = resume(ok, JSON.parse(JSON.stringify(b.state)), { type: 'taskCompleted', id: (b.commands[0] as { id: string }).id, result: 10 }, options());
    expect(c.commands).toEqual([{ type: 'complete', result: 12 }]);
  });
});
