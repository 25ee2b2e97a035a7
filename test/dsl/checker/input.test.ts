/**
 * checkInput: a run's input against the workflow's parameter types, with JSON paths.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../../dsl/parser.ts';
import { checkInput } from '../../../dsl/checker/index.ts';

function program(source: string) {
  const r = parse(source, 'input.workflow');
  expect(r.diagnostics).toEqual([]);
  return r.program!;
}

const ORDER = program(`
type Line = { sku: string, qty: number, note?: string }
workflow order(orderId: string, amount: number, lines: Line[], mode: "fast" | "slow", extra: any, maybe: string | null) {
  return 1
}`);

describe('checkInput', () => {
  it('accepts a matching input (optional fields and nullable parameters may be left out)', () => {
    expect(
      checkInput(ORDER, { orderId: 'o1', amount: 5, lines: [{ sku: 'a', qty: 1 }], mode: 'fast', extra: { any: ['thing'] } }),
    ).toEqual({ ok: true });
  });

  it('reports wrong types, missing parameters and unknown keys with JSON paths', () => {
    const r = checkInput(ORDER, { orderId: 'o1', amount: '5', lines: [{ sku: 'a', qty: 1 }, { sku: 2 }], mode: 'medium', extra: 1, amonut: 5 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      { path: '$.amount', message: 'expected number, got string' },
      { path: '$.lines[1].sku', message: 'expected string, got number' },
      { path: '$.lines[1].qty', message: "missing field 'qty' (number)" },
      { path: '$.mode', message: 'expected "fast" | "slow", got string' },
      { path: '$.amonut', message: "unknown parameter 'amonut' (the workflow takes orderId, amount, lines, mode, extra, maybe)" },
    ]);
  });

  it('null only where the type admits it (optional fields may be null)', () => {
    const p = program('workflow w(a: number, b: number | null, c: { x?: string, y: string }) { return 1 }');
    expect(checkInput(p, { a: 1, b: null, c: { x: null, y: 'y' } })).toEqual({ ok: true });
    expect(checkInput(p, { a: null, b: 1, c: { y: null } })).toEqual({
      ok: false,
      errors: [
        { path: '$.a', message: 'expected number, got null' },
        { path: '$.c.y', message: 'expected string, got null' },
      ],
    });
  });

  it('a required parameter that is missing', () => {
    const r = checkInput(program('workflow w(amount: number) { return amount }'), {});
    expect(r).toEqual({ ok: false, errors: [{ path: '$.amount', message: "missing parameter 'amount' (number)" }] });
  });

  it('the input itself must be an object', () => {
    const r = checkInput(program('workflow w() { return 1 }'), [1]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]!.path).toBe('$');
  });

  it('rejects values that are not JSON (NaN, functions), even under any', () => {
    const r = checkInput(program('workflow w(x: any, n: number) { return 1 }'), { x: { f: () => 1 }, n: Number.NaN });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path)).toEqual(['$.x.f', '$.n']);
  });

  it('resolves aliases, including recursive ones, and unusual keys get bracket paths', () => {
    const p = program('type Tree = { name: string, children: Tree[] }\nworkflow w(t: Tree, m: { "a-b": number }) { return 1 }');
    const r = checkInput(p, { t: { name: 'root', children: [{ name: 'leaf', children: [{ name: 3, children: [] }] }] }, m: { 'a-b': 'x' } });
    expect(r).toEqual({
      ok: false,
      errors: [
        { path: '$.t.children[0].children[0].name', message: 'expected string, got number' },
        { path: '$.m["a-b"]', message: 'expected number, got string' },
      ],
    });
  });
});
