/**
 * Parser recovery (issue 10, "all problems at once"): every syntax error of a file in one pass,
 * each with the message a file with only that error gets, and the checker's diagnostics for what
 * parsed (the partial program), so one `currant check` shows everything.
 */
import { describe, expect, it } from 'vitest';
import type * as A from '../../dsl/ast.ts';
import { compile, MAX_SYNTAX_ERRORS, parse } from '../../dsl/index.ts';

const codes = (src: string) => compile(src, 'w.workflow').diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col}`);
const messages = (src: string) => parse(src).diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`);

describe('every syntax error in one pass', () => {
  it('reports each broken statement, not only the first', () => {
    const src = `workflow w() {
  const a = 1 +
  const b = foo bar
  if (a b) { c d }
  return a
}`;
    expect(messages(src)).toEqual([
      'CS001 3:3 expected an expression',
      'CS001 3:17 expected an operator, "}", ";", "," or a new line',
      'CS001 4:9 expected an operator or ")"',
      'CS001 4:16 expected an operator, "}", ";" or a new line',
    ]);
  });

  it('gives each error the message a file with only that error gets', () => {
    const lines = ['  const a = (1 + 2))', '  xs.push(1 2)', '  let = 4', '  return @'];
    const alone = lines.map((l) => messages(`workflow w(xs: any) {\n${l}\n}`));
    const together = messages(`workflow w(xs: any) {\n${lines.join('\n')}\n}`);
    // the same messages at the same columns; the lines shift by the lines above
    const strip = (d: string) => d.replace(/^(\w+) \d+:/, '$1 ');
    expect(together.map(strip)).toEqual(alone.flat().map(strip));
    expect(together).toHaveLength(4);
  });

  it('recovers in a broken if / while / for / switch header and still reads the body', () => {
    const src = `workflow w(xs: number[]): number {
  let n = 0
  for (const x of xs xs) {
    if (x > 1 1) { n = n + "a" }
    while (n < < 3) { break }
    switch (x x) { case 1: continue }
  }
  return n
}`;
    // one error per header, and the body's type error (a string added into a number variable)
    expect(codes(src)).toEqual(['CS001 3:22', 'CS001 4:15', 'CT007 4:24', 'CS001 5:16', 'CS001 6:15']);
    expect(messages(src)[2]).toBe('CS001 5:16 expected an expression');
  });

  it('a broken case test, a stray case and a missing } each say what is wrong', () => {
    expect(messages('workflow w(x: number) {\n  switch (x) {\n    case 1 2: break\n  }\n}')).toEqual(['CS001 3:12 expected an operator or ":"']);
    expect(messages('workflow w() {\n  case 1:\n}')).toEqual(['CS001 2:3 `case` and `default` belong directly inside a `switch (…) { … }`']);
    expect(messages('workflow w() {\n  if (true) {\n    return 1\n')).toEqual([
      'CS001 4:1 expected "}" before the end of the file, to close the "{" of line 2',
    ]);
  });

  it('recovers broken declarations: a task, a type and a workflow header', () => {
    const src = `type Pay = { ok: boolean
task charge(amount: numbr number): Pay
task ok(x: number): number
workflow w(a: number, b: Foo<): string {
  const r = await charge(a)
  const s: string = await ok(b)
  return r.ok
}`;
    const d = compile(src, 'w.workflow').diagnostics.map((x) => `${x.code} ${x.span.line}:${x.span.col}`);
    // the three syntax errors (the unclosed type runs into the next line); then what the body does
    // wrong with what parsed: \`ok\` gives a number; \`charge\` (broken) and \`b\` (in the broken header) are known
    expect(d).toEqual(['CS001 2:6', 'CS001 2:27', 'CS001 4:30', 'CT007 6:21']);
  });

  it('stops at MAX_SYNTAX_ERRORS', () => {
    const src = `workflow w() {\n${'  a b\n'.repeat(MAX_SYNTAX_ERRORS + 20)}}`;
    const r = parse(src);
    expect(r.diagnostics).toHaveLength(MAX_SYNTAX_ERRORS);
    expect(new Set(r.diagnostics.map((d) => d.code))).toEqual(new Set(['CS001']));
  });
});

describe('the partial program: what parsed is checked', () => {
  it('the issue: syntax errors no longer hide the type errors of the rest of the file', () => {
    const src = `task charge(id: string, amount: number): { ok: boolean }
workflow pay(id: string, amount: number): boolean {
  const r = await charge(id, "5")
  const tries = 0
  tries++
  const bad = [1, 2
  const later: string = tries
  return r.ok
}`;
    expect(codes(src)).toEqual(['CT007 3:30', 'CT003 5:3', 'CS001 7:3', 'CT007 7:25']);
  });

  it('rejected constructs (CS002) no longer hide the type errors either', () => {
    const src = `workflow w(n: number): string {
  const f = function () { return 1 }
  var s = "x"
  return n
}`;
    expect(codes(src)).toEqual(['CS002 2:13', 'CS002 3:3', 'CT007 4:10']);
  });

  it('a broken declaration keeps its names declared (no cascade of "undeclared variable")', () => {
    const src = `workflow w(): number {
  const { total, count } = compute((1, 2)
  let [first, ...rest] = [1 2]
  return total + count + first + rest.length
}`;
    expect(codes(src)).toEqual(['CS001 2:38', 'CS001 3:29']);
    const p = parse(src).partial!;
    const invalid = p.workflow.body.body.filter((s): s is A.Invalid => s.kind === 'Invalid');
    expect(invalid.map((s) => s.declares)).toEqual([['total', 'count'], ['first', 'rest']]);
  });

  it('parse gives `partial` only with diagnostics, and `program` only without', () => {
    const good = parse('workflow w() { return 1 }');
    expect(good.program).toBeDefined();
    expect(good.partial).toBeUndefined();
    const bad = parse('workflow w() { return 1 +\n}');
    expect(bad.program).toBeUndefined();
    expect(bad.partial?.workflow.name).toBe('w');
    // no workflow at all: nothing to check
    expect(parse('task t(: void').partial).toBeUndefined();
  });

  it('no missing-return (CT012) or spinning-loop (CT011) report about code that did not parse', () => {
    expect(codes('workflow w(): number {\n  return 1 +\n}')).toEqual(['CS001 3:1']);
    expect(codes('workflow w() {\n  while (true) {\n    await sleep("1s") ) \n  }\n}')).toEqual(['CS001 3:23']);
  });
});
