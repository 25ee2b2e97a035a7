import { describe, expect, it } from 'vitest';
import { failure, result } from './helpers.ts';

const r = (body: string, input: Record<string, unknown> = {}) =>
  result(`workflow w(a: any, b: any) {\n${body}\n}`, input as never);

describe('value semantics', () => {
  it('copies arrays and objects on assignment, declaration and into literals', () => {
    expect(r(`const x = [1]; const y = x; y.push(2); return [x, y]`)).toEqual([[1], [1, 2]]);
    expect(r(`let x = { n: [1] }; let y = { n: [] }; y = x; y.n.push(2); return [x, y]`)).toEqual([{ n: [1] }, { n: [1, 2] }]);
    expect(r(`const o = { k: 1 }; const xs = [o, o]; xs[0].k = 2; return [o, xs]`)).toEqual([{ k: 1 }, [{ k: 2 }, { k: 1 }]]);
    expect(r(`const o = { k: [1] }; const p = { ...o }; p.k.push(2); return [o, p]`)).toEqual([{ k: [1] }, { k: [1, 2] }]);
    expect(r(`const xs = [[1]]; const ys = [...xs]; ys[0].push(2); return [xs, ys]`)).toEqual([[[1]], [[1, 2]]]);
  });

  it('mutating methods change the variable or property they are called on, and only that', () => {
    expect(r(`const o = { xs: [3, 1, 2] }; const c = o.xs; o.xs.sort(); o.xs.push(9); return [o, c]`)).toEqual([
      { xs: [1, 2, 3, 9] },
      [3, 1, 2],
    ]);
    expect(r(`const xs = [1, 2]; const ys = xs.reverse(); ys.push(0); return [xs, ys]`)).toEqual([[2, 1], [2, 1, 0]]);
    expect(r(`const xs = [1]; const ys = [xs]; xs.push(2); return ys`)).toEqual([[1]]);
  });

  it('for...of iterates a snapshot taken when the loop starts', () => {
    expect(r(`const xs = [1, 2]; const seen = []; for (const x of xs) { xs.push(x * 10); seen.push(x) } return [seen, xs]`)).toEqual([
      [1, 2],
      [1, 2, 10, 20],
    ]);
  });

  it('a missing property, an out-of-range index and let without value are null', () => {
    expect(r(`let z; const o = { a: 1 }; return [o.b, [1][5], [1][-1], z, o.toString, o["constructor"], "ab"[7]]`)).toEqual([
      null, null, null, null, null, null, null,
    ]);
    expect(r(`return [a.length, a.foo, (5).foo]`, { a: [1, 2] })).toEqual([2, null, null]);
  });

  it('keeps __proto__ as a plain key', () => {
    expect(r(`const o = {}; o["__proto__"] = { x: 1 }; return [o.x, Object.keys(o)]`)).toEqual([null, ['__proto__']]);
  });

  it('optional chaining short-circuits the whole chain', () => {
    expect(r(`return [a?.b.c, a?.[0].x, a?.trim().length]`, { a: null })).toEqual([null, null, null]);
    expect(failure(`workflow w(a: any) {\n  return a?.b.c\n}`, { a: { b: null } })).toBe('CR001 2:10');
  });

  it('writing at the end of an array appends', () => {
    expect(r(`const xs = [1]; xs[1] = 2; xs[0] += 5; return xs`)).toEqual([6, 2]);
  });
});

describe('input', () => {
  it('binds parameters by name; a missing one is null; extra keys are ignored; values are copied', () => {
    const input = { a: { k: [1] }, zzz: 1 };
    expect(result(`workflow w(a: any, b: any) {\n  a.k.push(2)\n  return [a, b]\n}`, input as never)).toEqual([{ k: [1, 2] }, null]);
    expect(input.a.k).toEqual([1]);
  });
});

describe('operators', () => {
  it('equality is structural and == is ===', () => {
    expect(r(`return [[1, { a: [2] }] === [1, { a: [2] }], { a: 1, b: 2 } === { b: 2, a: 1 }, { a: 1 } === { a: 1, b: null }, 1 == "1", null == 0, [] != {}]`)).toEqual([
      true, true, false, false, false, true,
    ]);
  });

  it('+ concatenates when a side is a string, converting like templates', () => {
    expect(r(`return ["a" + 1, 1 + "a", "x" + null, "x" + { k: [1] }, "" + true, 1.5 + 2]`)).toEqual(['a1', '1a', 'xnull', 'x{"k":[1]}', 'true', 3.5]);
  });

  it('never makes -0', () => {
    const out = r(`const z = 0; return [0 * -1, -z, 0 / -5, -4 % 2, Math.round(-0.2), Math.ceil(-0.5), Number("-0"), z * -1 === 0]`) as number[];
    for (const n of out.slice(0, 7)) expect(Object.is(n, 0)).toBe(true);
    expect(out[7]).toBe(true);
  });

  it('compares two numbers or two strings', () => {
    expect(r(`return [2 < 10, "2" < "10", "a" >= "a"]`)).toEqual([true, false, true]);
  });

  it('truthiness, logical operators and typeof follow JavaScript', () => {
    expect(r(`return [!!0, !!"", !!null, !![], !!{}, 0 || "d", null ?? 0, 0 ?? 1, "" && 1, typeof null, typeof []]`)).toEqual([
      false, false, false, true, true, 'd', 0, 0, '', 'object', 'object',
    ]);
  });

  it('compound assignment and updates', () => {
    expect(r(`let s = "a"; s += 1; let n = 10; n -= 3; n *= 2; n /= 7; let i = 0; i++; ++i; i--; return [s, n, i]`)).toEqual(['a1', 2, 1]);
  });

  it('destructuring with holes, rest, renames and nesting', () => {
    expect(r(`const [x, , y, ...more] = [1, 2, 3, 4, 5]; return [x, y, more]`)).toEqual([1, 3, [4, 5]]);
    expect(r(`const { p, q: { r }, ...others } = { p: 1, q: { r: 2 }, s: 3, t: 4 }; return [p, r, others]`)).toEqual([1, 2, { s: 3, t: 4 }]);
    expect(r(`const [x, [y, z]] = [1, [2]]; return [x, y, z]`)).toEqual([1, 2, null]);
  });
});

describe('control flow', () => {
  it('break and continue in every loop kind', () => {
    expect(
      r(`const out = []
  for (let i = 0; i < 10; i++) { if (i % 2 === 0) { continue } if (i > 6) { break } out.push(i) }
  let j = 0
  while (true) { j++; if (j < 3) continue; break }
  for (const x of [1, 2, 3, 4]) { if (x === 2) continue; if (x === 4) break; out.push(x * 100) }
  return [out, j]`),
    ).toEqual([[1, 3, 5, 100, 300], 3]);
  });

  it('nested loops with block scopes and shadowing', () => {
    expect(
      r(`let total = 0
  const x = 100
  for (let i = 0; i < 3; i++) {
    const x = i
    for (let k = 0; k < 3; k++) { const x = k; total += x }
    total += x * 10
  }
  return [total, x]`),
    ).toEqual([39, 100]);
  });

  it('if / else if / else with lone statements', () => {
    expect(r(`if (a > 1) return "big"\n  else if (a > 0) return "one"\n  else return "none"`, { a: 1 })).toBe('one');
  });

  it('a workflow without return gives null', () => {
    expect(r(`const x = 1`)).toBeNull();
  });

  it('for...of over a string iterates characters', () => {
    expect(r(`const out = []; for (const c of "héé") { out.push(c) } return out`)).toEqual(['h', 'é', 'é']);
  });
});
