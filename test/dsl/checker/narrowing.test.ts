/**
 * Types as TypeScript gives them: narrowing (null, truthiness, typeof, in, Array.isArray, literal
 * equality, discriminated unions, early exits, assignments, loops), literal widening, and the types
 * of callbacks and helpers — read through `analyze`, the API an editor's hover uses.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../../dsl/parser.ts';
import { analyze } from '../../../dsl/checker/index.ts';
import type { Node } from '../../../dsl/ast.ts';

/** Every node of a program, in no particular order. */
function nodes(root: unknown, out: Node[] = []): Node[] {
  if (Array.isArray(root)) for (const x of root) nodes(x, out);
  else if (typeof root === 'object' && root !== null) {
    const o = root as Record<string, unknown>;
    if (typeof o.kind === 'string' && typeof o.id === 'number') out.push(o as unknown as Node);
    for (const [k, v] of Object.entries(o)) if (k !== 'span') nodes(v, out);
  }
  return out;
}

/**
 * The types the checker gives the occurrences of `text` (expressions or declared names whose
 * source is exactly `text`), in source order.
 */
function typesOf(source: string, text: string): (string | undefined)[] {
  const parsed = parse(source, 'types.workflow');
  expect(parsed.diagnostics).toEqual([]);
  const a = analyze(parsed.program!);
  return nodes(parsed.program!)
    .filter((n) => n.kind !== 'Program' && source.slice(n.span.start, n.span.end) === text && a.typeOf(n.id) !== undefined)
    .sort((x, y) => x.span.start - y.span.start)
    .map((n) => a.typeOf(n.id));
}

function diagnostics(source: string): string[] {
  const parsed = parse(source, 'types.workflow');
  expect(parsed.diagnostics).toEqual([]);
  return analyze(parsed.program!).diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`);
}

const SETTLED = `task charge(id: string): { paymentId: string }
workflow w(ids: string[]): any {
  const results = await Promise.allSettled(ids.map(charge))
  for (const r of results) {
    if (r.status === "rejected") {
      const why = r.reason
    } else {
      const paid = r.value
    }
  }
  return null
}`;

describe('narrowing', () => {
  it('a discriminated union by its literal field, in both branches', () => {
    expect(typesOf(SETTLED, 'why')).toEqual(['{ message: string, type: string | null, attempts: number, task: string }']);
    expect(typesOf(SETTLED, 'paid')).toEqual(['{ paymentId: string }']);
    // before the check the status is either; inside it is narrowed with its object
    expect(typesOf(SETTLED, 'r.status')).toEqual(['"fulfilled" | "rejected"']);
  });

  it('null checks, both ways round, and what is left after an early return', () => {
    const src = `workflow w(a: string | null): number {
  if (null === a) {
    const n = a
    return 0
  }
  const s = a
  return s.length
}`;
    expect(typesOf(src, 'a')).toEqual(['string | null', 'null', 'string']);
    expect(typesOf(src, 's')).toEqual(['string', 'string']);
  });

  it('truthiness removes null and falsy literals; its else keeps what can be falsy', () => {
    const src = `workflow w(x: { ok: true } | false | null | "" | "a"): any {
  if (x) {
    const t = x
  } else {
    const f = x
  }
  return null
}`;
    expect(typesOf(src, 't')).toEqual(['{ ok: true } | "a"']);
    expect(typesOf(src, 'f')).toEqual(['false | null | ""']);
  });

  it('typeof, including any narrowed to a primitive', () => {
    const src = `workflow w(x: string | number | boolean, y: any): any {
  if (typeof x === "number" || typeof x === "boolean") {
    const nb = x
  } else {
    const s = x
  }
  if (typeof y === "string") {
    const ys = y
  }
  return null
}`;
    expect(typesOf(src, 'nb')).toEqual(['number | boolean']);
    expect(typesOf(src, 's')).toEqual(['string']);
    expect(typesOf(src, 'ys')).toEqual(['string']);
  });

  it('in and Array.isArray', () => {
    const src = `type A = { a: number }
type B = { b: string, opt?: number }
workflow w(x: A | B, y: number | number[]): any {
  if ("a" in x) { const ia = x } else { const ib = x }
  if ("opt" in x) { const io = x }
  if (Array.isArray(y)) { const arr = y } else { const num = y }
  return null
}`;
    expect(typesOf(src, 'ia')).toEqual(['{ a: number }']);
    expect(typesOf(src, 'ib')).toEqual(['{ b: string, opt?: number }']);
    expect(typesOf(src, 'io')).toEqual(['{ b: string, opt?: number }']);
    expect(typesOf(src, 'arr')).toEqual(['number[]']);
    expect(typesOf(src, 'num')).toEqual(['number']);
  });

  it('equality with a literal narrows a wide type to the literal and takes it out of a union', () => {
    const src = `workflow w(s: string, t: "a" | "b" | "c"): any {
  if (s === "x") { const sx = s }
  if (t !== "a") { const tbc = t }
  if (t === "a" || t === "b") { const tab = t } else { const tc = t }
  return null
}`;
    expect(typesOf(src, 'sx')).toEqual(['"x"']);
    expect(typesOf(src, 'tbc')).toEqual(['"b" | "c"']);
    expect(typesOf(src, 'tab')).toEqual(['"a" | "b"']);
    expect(typesOf(src, 'tc')).toEqual(['"c"']);
  });

  it('a property path narrows by itself (o.x !== null)', () => {
    const src = `workflow w(o: { x: string | null }): any {
  if (o.x !== null) { const v = o.x }
  return null
}`;
    expect(typesOf(src, 'v')).toEqual(['string']);
  });

  it('assignments end a narrowing or narrow a declared union; loops forget what they assign', () => {
    const src = `workflow w(xs: number[]): any {
  let v: string | number = "a"
  const a1 = v
  v = 1
  const a2 = v
  if (typeof v === "number") {
    while (xs.length > 0) {
      const inLoop = v
      v = "b"
      xs.pop()
    }
  }
  return null
}`;
    expect(typesOf(src, 'a1')).toEqual(['string']);
    expect(typesOf(src, 'a2')).toEqual(['number']);
    expect(typesOf(src, 'inLoop')).toEqual(['string | number']);
  });

  it('a long alternating && / || chain is walked once per operand (it was exponential)', () => {
    // ((((x0 || x1) && x2) || x0) && …): asking each sense of the left operand separately doubled
    // the work per level; 60 levels would not finish. Both senses now come from one walk.
    let cond = 'a !== null';
    for (let i = 1; i < 60; i++) cond = `(${cond}) ${i % 2 ? '||' : '&&'} ${i % 3 ? 'b' : 'a !== null'}`;
    const src = `workflow w(a: string | null, b: boolean): any {\n  if (${cond}) { const t = a } else { const f = a }\n  return null\n}`;
    expect(typesOf(src, 't')).toEqual(['string | null']);
    expect(typesOf(src, 'f')).toEqual(['string | null']);
    expect(typesOf('workflow w(a: string | null, b: boolean): any {\n  if ((a !== null || b) && a !== null) { const t = a }\n  return null\n}', 't')).toEqual(['string']);
  });

  it('a narrowing in a branch does not leak past the if when both branches complete', () => {
    const src = `workflow w(x: string | null): any {
  if (x === null) { console.log("none") }
  const after = x
  return null
}`;
    expect(typesOf(src, 'after')).toEqual(['string | null']);
  });
});

describe('literal types widen and narrow as in TypeScript', () => {
  it('const keeps a literal or a union of literals; let and object fields widen', () => {
    const src = `workflow w(ok: boolean): any {
  const c = ok ? "approved" : "rejected"
  let l = c
  const o = { outcome: c }
  const n = 1
  const xs = ["a", "b"]
  return null
}`;
    expect(typesOf(src, 'c')[0]).toBe('"approved" | "rejected"');
    expect(typesOf(src, 'l')[0]).toBe('string');
    expect(typesOf(src, 'o')[0]).toBe('{ outcome: string }');
    expect(typesOf(src, 'n')[0]).toBe('1');
    expect(typesOf(src, 'xs')[0]).toBe('string[]');
  });

  it("a declared result keeps its literal discriminant through a const", () => {
    const src = `task t(): { status: "ok" } | { status: "err", why: string }
workflow w(): any {
  const r = await t()
  return null
}`;
    expect(typesOf(src, 'r')[0]).toBe('{ status: "ok" } | { status: "err", why: string }');
  });

  it('the issue\'s two surprises check clean', () => {
    expect(diagnostics('workflow w(s: string): boolean { return ["a","b"].includes(s) }')).toEqual([]);
    expect(diagnostics('workflow w(ok: boolean): { outcome: "approved" | "rejected" } {\n  const b = ok ? "approved" : "rejected"\n  return { outcome: b }\n}')).toEqual([]);
  });

  it('a const assigned again is CT003 alone, not also a type error', () => {
    expect(diagnostics('workflow w() {\n  const a = 1\n  a = 2\n}')).toEqual(["CT003 3:3 cannot assign to 'a': it is a const"]);
  });
});

describe('types of callbacks and helpers', () => {
  it('map, filter, find, reduce, flatMap, sort and forEach', () => {
    const src = `type Item = { sku: string, qty: number, note: string | null }
workflow w(items: Item[]): any {
  const qs = items.map((it, i) => it.qty * i)
  const labels = items.map((it) => it.qty > 0 ? "in" : "out")
  const noted = items.filter((it) => it.note !== null)
  const notes = items.map((it) => it.note).filter((n) => n !== null)
  const one = items.find((it) => it.qty > 1)
  const total = items.reduce((sum, it) => sum + it.qty, 0)
  const skus = items.flatMap((it) => [it.sku, it.sku])
  const sorted = items.sort((a, b) => a.qty - b.qty)
  const none = items.forEach((it) => console.log(it.sku))
  const ok = items.some((it) => it.qty === 0)
  return null
}`;
    expect(typesOf(src, 'qs')[0]).toBe('number[]');
    expect(typesOf(src, 'labels')[0]).toBe('string[]');
    // as TypeScript infers a type predicate: \`it.note !== null\` says nothing of \`it\`, \`n !== null\` of n
    expect(typesOf(src, 'noted')[0]).toBe('Item[]');
    expect(typesOf(src, 'notes')[0]).toBe('string[]');
    expect(typesOf(src, 'one')[0]).toBe('Item | null');
    expect(typesOf(src, 'total')[0]).toBe('number');
    expect(typesOf(src, 'skus')[0]).toBe('string[]');
    expect(typesOf(src, 'sorted')[0]).toBe('Item[]');
    expect(typesOf(src, 'none')[0]).toBe('any');
    expect(typesOf(src, 'ok')[0]).toBe('boolean');
    // the parameters themselves
    expect(typesOf(src, 'sum')[0]).toBe('number');
    expect(typesOf(src, 'i')[0]).toBe('number');
  });

  it('a helper returns its written type or the one its body gives', () => {
    const src = `function double(x: number) { return x * 2 }
function pick(b: boolean) { return b ? "yes" : "no" }
function one() { return "a" }
function maybe(x: number) { if (x > 0) return x }
workflow w(): any {
  const d = double(2)
  const p = pick(true)
  const o = one()
  const m = maybe(1)
  return null
}`;
    expect(typesOf(src, 'd')[0]).toBe('number');
    expect(typesOf(src, 'p')[0]).toBe('"yes" | "no"');
    expect(typesOf(src, 'o')[0]).toBe('string');
    expect(typesOf(src, 'm')[0]).toBe('number | null');
  });
});

describe('analyze, for editors', () => {
  it('gives what may follow a dot: fields of objects, methods of strings and arrays, narrowed', () => {
    const src = `type R = { kind: "a", x: number } | { kind: "b", y: string[] }
workflow w(r: R, n: any): any {
  if (r.kind === "b") return r.y
  return n
}`;
    const parsed = parse(src, 'p.workflow');
    const a = analyze(parsed.program!);
    const at = (text: string, nth = 0) => nodes(parsed.program!).filter((n) => src.slice(n.span.start, n.span.end) === text && a.typeOf(n.id) !== undefined).sort((p, q) => p.span.start - q.span.start)[nth]!;
    expect(a.propertiesOf(at('r', 0).id)).toEqual(['kind', 'x', 'y']);
    expect(a.propertiesOf(at('r', 1).id)).toEqual(['kind', 'y']);
    expect(a.propertiesOf(at('r.y').id)).toContain('map');
    expect(a.propertiesOf(at('n').id)).toBeUndefined();
  });
});

describe('helper and callback diagnostics say what to write instead', () => {
  it('CT050–CT056', () => {
    const src = `task t(x: number): number
function f(x: number): number { return x }
function loop(n: number): number { return loop(n) }
function peek(): number { return xs.length }
workflow w(xs: number[]): any {
  let total = 0
  const g = (x) => x
  xs.forEach((x) => { total += x })
  const a = xs.map((x) => t(x))
  const b = xs.filter(total)
  return [g, a, b, peek(), f]
}`;
    expect(diagnostics(src)).toEqual([
      "CT053 3:43 function 'loop' calls itself: recursion is not allowed",
      "CT054 4:34 function 'peek' cannot use the workflow's variable 'xs'",
      'CT050 7:13 an arrow function can only be passed straight to an array method (map, filter, find, findIndex, some, every, reduce, flatMap, forEach, sort)',
      "CT052 8:23 a callback cannot change 'total': assigning a variable declared outside it",
      "CT051 9:27 a callback cannot call task 't': tasks are awaited in the workflow itself",
      "CT056 10:23 filter needs a function here, got the variable 'total'",
      "CT050 11:28 'f' is a function: call it, f(…), or pass it to an array method, xs.map(f)",
    ]);
  });

  it('CT055: a chain of helpers deeper than the limit, reported from the workflow', () => {
    const fns = Array.from({ length: 34 }, (_, i) => `function f${i}(x: number): number { return ${i === 33 ? 'x' : `f${i + 1}(x)`} }`);
    const src = `${fns.join('\n')}\nworkflow w(): number {\n  return f0(1)\n}`;
    const ds = diagnostics(src);
    expect(ds).toEqual(['CT055 36:10 helpers and callbacks nest 34 calls deep from here; the limit is 32']);
    // 32 deep is fine
    const ok = `${fns.slice(2).join('\n').replace('f33(x: number): number { return x }', 'f33(x: number): number { return x }')}\nworkflow w(): number {\n  return f2(1)\n}`;
    expect(diagnostics(ok)).toEqual([]);
  });

  it('a helper passed to a method must take what the method passes', () => {
    const src = `function named(s: string, n: string): string { return s }
function needs3(a: number, b: number, c: number[], d: number): number { return a }
workflow w(xs: string[], ns: number[]): any {
  return [xs.map(named), ns.map(needs3)]
}`;
    expect(diagnostics(src)).toEqual([
      "CT007 4:18 map passes number as argument 2 of function 'named', which takes string",
      "CT006 4:33 map passes 3 arguments, but function 'needs3' takes 4",
    ]);
  });
});
