/**
 * The checker's type values: assignability (gradual, null-lenient, structural), widening,
 * alias resolution and cycle detection, suggestions.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../../dsl/parser.ts';
import type { Span, TypeNode } from '../../../dsl/ast.ts';
import { ANY, BOOLEAN, NULL, NUMBER, STRING, TypeEnv, arrayOf, didYouMean, objectOf, union, widen, widenConst, widenReturn, type Type } from '../../../dsl/checker/types.ts';

/** A TypeEnv built from the `type` aliases of a source text, with the problems it reported. */
function envOf(source: string): { env: TypeEnv; problems: string[]; param: (i: number) => Type } {
  const program = parse(source + '\nworkflow w(a: any) {}', 'types.workflow').program!;
  const problems: string[] = [];
  const aliases = new Map<string, { type: TypeNode; span: Span }>(program.types.map((t) => [t.name, { type: t.type, span: t.span }]));
  const env = new TypeEnv(aliases, (kind, name) => problems.push(`${kind} ${name}`));
  return { env, problems, param: (i) => env.fromNode(program.tasks[0]!.params[i]!.type!) };
}

const lit = (value: string | number | boolean): Type => ({ kind: 'literal', value });
/** The type of a literal expression (`"a"` in code), which widens; `lit` is one from an annotation, which does not. */
const fresh = (value: string | number | boolean): Type => ({ kind: 'literal', value, fresh: true });

describe('assignable', () => {
  const { env } = envOf('');
  it('any fits both ways; null fits everything', () => {
    expect(env.assignable(ANY, NUMBER)).toBe(true);
    expect(env.assignable(STRING, ANY)).toBe(true);
    expect(env.assignable(NULL, objectOf({ a: NUMBER }))).toBe(true);
    expect(env.assignable(union([STRING, NULL]), STRING)).toBe(true);
  });
  it('primitives and literals', () => {
    expect(env.assignable(lit('a'), STRING)).toBe(true);
    expect(env.assignable(STRING, lit('a'))).toBe(false);
    expect(env.assignable(lit(1), STRING)).toBe(false);
    expect(env.assignable(lit('a'), union([lit('a'), lit('b')]))).toBe(true);
    expect(env.assignable(union([lit('a'), lit('c')]), union([lit('a'), lit('b')]))).toBe(false);
  });
  it('objects are structural: required fields must be there, optional may be missing, extra are fine', () => {
    const dst: Type = { kind: 'object', fields: { a: { type: NUMBER, optional: false }, b: { type: STRING, optional: true } } };
    expect(env.assignable(objectOf({ a: lit(1), c: BOOLEAN }), dst)).toBe(true);
    expect(env.assignable(objectOf({ b: STRING }), dst)).toBe(false);
    expect(env.whyNot(objectOf({ b: STRING }), dst)).toBe("field 'a' is missing");
    expect(env.assignable(objectOf({ a: STRING }), dst)).toBe(false);
  });
  it('arrays and tuples', () => {
    expect(env.assignable(arrayOf(lit(1)), arrayOf(NUMBER))).toBe(true);
    expect(env.assignable({ kind: 'tuple', elements: [NUMBER, lit(2)] }, arrayOf(NUMBER))).toBe(true);
    expect(env.assignable({ kind: 'tuple', elements: [NUMBER, STRING] }, arrayOf(NUMBER))).toBe(false);
  });
});

describe('aliases', () => {
  it('resolve, including recursion through a field', () => {
    const { env, problems, param } = envOf('type Tree = { name: string, kids: Tree[] }\ntask t(x: Tree): void');
    expect(problems).toEqual([]);
    const tree = param(0);
    expect(env.show(tree)).toBe('Tree');
    expect(env.assignable(objectOf({ name: STRING, kids: arrayOf(objectOf({ name: STRING, kids: arrayOf(ANY) })) }), tree)).toBe(true);
    expect(env.assignable(objectOf({ name: NUMBER, kids: arrayOf(ANY) }), tree)).toBe(false);
  });
  it('a cycle without structure is reported and reads as any', () => {
    const { env, problems, param } = envOf('type A = B\ntype B = A | string\ntask t(x: A): void');
    expect(problems).toEqual(['aliasCycle A']);
    expect(env.isAny(param(0))).toBe(true);
  });
  it('unknown names are reported and read as any', () => {
    const { env, problems, param } = envOf('task t(x: Nope[]): void');
    expect(env.show(param(0))).toBe('any[]');
    expect(problems).toEqual(['unknownType Nope']);
  });
});

describe('widen', () => {
  it('fresh literals to their base types, deeply; null and empty objects to any; tuples kept', () => {
    expect(widen(fresh('a'))).toEqual(STRING);
    expect(widen(arrayOf(union([fresh(1), fresh(2)])))).toEqual(arrayOf(NUMBER));
    expect(widen(NULL)).toEqual(ANY);
    expect(widen(objectOf({}))).toEqual(ANY);
    expect(widen(objectOf({ s: fresh('x'), n: NULL }))).toEqual(objectOf({ s: STRING, n: NULL }));
    expect(widen({ kind: 'tuple', elements: [fresh(1), STRING] })).toEqual({ kind: 'tuple', elements: [NUMBER, STRING] });
  });

  it('keeps literal types from annotations (a declared discriminant stays)', () => {
    const r = union([objectOf({ status: lit('ok'), v: NUMBER }), objectOf({ status: lit('err') })]);
    expect(widen(r)).toEqual(r);
    expect(widen(lit('a'))).toEqual(lit('a'));
  });

  it('a const keeps a literal or a union of literals; a lone literal returned widens', () => {
    const choice = union([fresh('approved'), fresh('rejected')]);
    expect(widenConst(choice)).toEqual(choice);
    expect(widenConst(union([fresh('a'), NULL]))).toEqual(union([fresh('a'), NULL]));
    expect(widenConst(arrayOf(fresh('a')))).toEqual(arrayOf(STRING));
    expect(widenConst(objectOf({ k: fresh(1) }))).toEqual(objectOf({ k: NUMBER }));
    expect(widenReturn(fresh('a'))).toEqual(STRING);
    expect(widenReturn(choice)).toEqual(choice);
  });

  it('a union does not hold one literal twice, fresh or not', () => {
    expect(union([fresh('a'), lit('a')])).toEqual(fresh('a'));
  });
});

describe('didYouMean', () => {
  it('suggests close names and shortened ones, not far or one-letter ones', () => {
    expect(didYouMean('chargeCrad', ['chargeCard', 'shipOrder'])).toBe('chargeCard');
    expect(didYouMean('toUpper', ['toUpperCase', 'trim'])).toBe('toUpperCase');
    expect(didYouMean('retry', ['retries', 'timeout'])).toBe('retries');
    expect(didYouMean('b', ['a'])).toBeUndefined();
    expect(didYouMean('somethingElse', ['chargeCard'])).toBeUndefined();
  });
});
