/**
 * The parser: the AST of each construct, precedence, spans, node ids, every CS diagnostic with its
 * exact message, and (fast-check) that `parse` never throws on garbled input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as A from '../../dsl/ast.ts';
import { MESSAGES, parse } from '../../dsl/parser.ts';

const EXAMPLE = `// order.workflow
type Payment = { success: boolean, paymentId?: string, error?: string }

task chargeCard(orderId: string, amount: number): Payment
task shipOrder(orderId: string): { success: boolean, trackingId?: string }
task refundOrder(orderId: string, paymentId: string): void

workflow processOrder(orderId: string, amount: number): string {
  const payment = await chargeCard(orderId, amount)
  if (!payment.success) {
    return \`payment failed: \${payment.error}\`
  }
  const shipment = await shipOrder(orderId)
  if (!shipment.success) {
    await refundOrder(orderId, payment.paymentId)
    return "refunded"
  }
  return shipment.trackingId
}
`;

function ok(source: string): A.Program {
  const r = parse(source);
  expect(r.diagnostics).toEqual([]);
  expect(r.program).toBeDefined();
  return r.program!;
}
/** The statements of `workflow w() { … }`. */
function stmts(body: string): A.Statement[] {
  return ok(`workflow w() {\n${body}\n}`).workflow.body.body;
}
function stmt<K extends A.Statement['kind']>(body: string, kind: K): Extract<A.Statement, { kind: K }> {
  const s = stmts(body);
  expect(s).toHaveLength(1);
  expect(s[0]!.kind).toBe(kind);
  return s[0] as Extract<A.Statement, { kind: K }>;
}
/** The expression of `return <src>`. */
function expr(src: string): A.Expression {
  return stmt(`return ${src}`, 'Return').argument!;
}
/** The type of `type T = <src>`. */
function type(src: string): A.TypeNode {
  return ok(`type T = ${src}\nworkflow w() {}`).types[0]!.type;
}
/** Compact structure of an expression: `(a + (b * c))`, for precedence checks. */
function show(e: A.Expression | A.SpreadElement | A.AssignPattern): string {
  switch (e.kind) {
    case 'NumberLiteral':
      return String(e.value);
    case 'StringLiteral':
      return JSON.stringify(e.value);
    case 'BooleanLiteral':
      return String(e.value);
    case 'NullLiteral':
      return 'null';
    case 'Identifier':
      return e.name;
    case 'Binary':
    case 'Logical':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'Unary':
      return `(${e.op === 'typeof' ? 'typeof ' : e.op}${show(e.argument)})`;
    case 'Await':
      return `(await ${show(e.argument)})`;
    case 'Conditional':
      return `(${show(e.test)} ? ${show(e.consequent)} : ${show(e.alternate)})`;
    case 'Member':
      return `${show(e.object)}${e.optional ? '?.' : '.'}${e.property}`;
    case 'Index':
      return `${show(e.object)}${e.optional ? '?.' : ''}[${show(e.index)}]`;
    case 'Call':
      return `${show(e.callee)}(${e.args.map(show).join(', ')})${e.policy ? ' with {…}' : ''}`;
    case 'ArrayLiteral':
      return `[${e.elements.map(show).join(', ')}]`;
    case 'Spread':
      return `...${show(e.argument)}`;
    case 'ObjectLiteral':
      return `{${e.properties.map((p) => (p.kind === 'Spread' ? show(p) : `${p.key}: ${show(p.value)}`)).join(', ')}}`;
    case 'TemplateLiteral':
      return `\`${e.quasis.join('${}')}\``;
    case 'As':
      return `(${show(e.expression)} as ${e.type ? e.type.kind : 'const'})`;
    case 'Satisfies':
      return `(${show(e.expression)} satisfies ${e.type.kind})`;
    case 'NonNull':
      return `${show(e.expression)}!`;
    case 'Invalid':
      return '<invalid>';
    case 'ArrayAssignPattern':
      return `[${e.elements.map((x) => (x ? show(x) : '')).join(', ')}${e.rest ? `, ...${show(e.rest)}` : ''}]=`;
    case 'ObjectAssignPattern':
      return `{${e.properties.map((p) => `${p.key}: ${show(p.value)}`).join(', ')}${e.rest ? `, ...${show(e.rest)}` : ''}}=`;
    case 'ArrowFunction':
      return `((${e.params.map((p) => (p.target.kind === 'IdentifierPattern' ? p.target.name : '…')).join(', ')}) => ${e.body.kind === 'Block' ? '{…}' : show(e.body)})`;
  }
}
function diags(source: string): string[] {
  const r = parse(source);
  expect(r.program).toBeUndefined();
  return r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`);
}
/** All nodes of a program (anything with a kind and an id), in no particular order. */
function allNodes(p: A.Program): A.Node[] {
  const out: A.Node[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if ('kind' in v && 'id' in v) out.push(v as A.Node);
      for (const [k, x] of Object.entries(v)) if (k !== 'span') walk(x);
    }
  };
  walk(p);
  return out;
}

describe('parse: declarations', () => {
  it('parses the example of the language issue', () => {
    const p = ok(EXAMPLE);
    expect(p.kind).toBe('Program');
    expect(p.file).toBe('workflow.workflow');
    expect(p.source).toBe(EXAMPLE);
    expect(p.types.map((t) => t.name)).toEqual(['Payment']);
    expect(p.tasks.map((t) => t.name)).toEqual(['chargeCard', 'shipOrder', 'refundOrder']);
    expect(p.tasks[0]!.params.map((x) => [x.name, x.type?.kind])).toEqual([
      ['orderId', 'PrimitiveType'],
      ['amount', 'PrimitiveType'],
    ]);
    expect(p.tasks[0]!.returnType).toMatchObject({ kind: 'TypeRef', name: 'Payment' });
    expect(p.tasks[2]!.returnType).toMatchObject({ kind: 'PrimitiveType', name: 'void' });
    expect(p.workflow.name).toBe('processOrder');
    expect(p.workflow.returnType).toMatchObject({ kind: 'PrimitiveType', name: 'string' });
    expect(p.workflow.body.body.map((s) => s.kind)).toEqual(['VarDecl', 'If', 'VarDecl', 'If', 'Return']);
    const first = p.workflow.body.body[0] as A.VarDecl;
    expect(first.init).toMatchObject({ kind: 'Await', argument: { kind: 'Call', callee: { kind: 'Identifier', name: 'chargeCard' } } });
  });

  it('uses the file name given', () => {
    expect(parse('workflow w() {}', 'order.workflow').program!.file).toBe('order.workflow');
  });

  it('parses a task with a policy and without a return type', () => {
    const p = ok('task t(a, b: number) with { retries: 3, timeout: "30s" }\nworkflow w() {}');
    const t = p.tasks[0]!;
    expect(t.params).toMatchObject([{ name: 'a' }, { name: 'b', type: { kind: 'PrimitiveType', name: 'number' } }]);
    expect(t.params[0]!.type).toBeUndefined();
    expect(t.returnType).toBeUndefined();
    expect(t.policy!.properties.map((x) => (x.kind === 'Property' ? [x.key, show(x.value)] : null))).toEqual([
      ['retries', '3'],
      ['timeout', '"30s"'],
    ]);
  });

  it('parses a task with a return type and a policy on the next line', () => {
    const t = ok('task t(): string\n  with { retries: 1 }\nworkflow w() {}').tasks[0]!;
    expect(t.returnType).toMatchObject({ kind: 'PrimitiveType', name: 'string' });
    expect(t.policy?.kind).toBe('ObjectLiteral');
  });

  it('accepts declarations in any order, separated by semicolons or new lines', () => {
    const p = ok('workflow w() {}; task a(): void; type T = number\ntask b(): T');
    expect(p.tasks.map((t) => t.name)).toEqual(['a', 'b']);
    expect(p.types.map((t) => t.name)).toEqual(['T']);
  });
});

describe('parse: types', () => {
  it('primitives', () => {
    for (const name of ['string', 'number', 'boolean', 'null', 'any', 'void'] as const) {
      expect(type(name)).toMatchObject({ kind: 'PrimitiveType', name });
    }
  });
  it('arrays: T[], T[][] and Array<T>', () => {
    expect(type('string[]')).toMatchObject({ kind: 'ArrayType', element: { kind: 'PrimitiveType', name: 'string' } });
    expect(type('number[][]')).toMatchObject({ kind: 'ArrayType', element: { kind: 'ArrayType', element: { name: 'number' } } });
    expect(type('Array<Payment>')).toMatchObject({ kind: 'ArrayType', element: { kind: 'TypeRef', name: 'Payment' } });
  });
  it('object types with optional members, commas, semicolons or new lines', () => {
    const t = type('{\n  a: string\n  b?: number; "c-d": boolean, // note\n  e: { f: null }\n}') as A.ObjectTypeNode;
    expect(t.kind).toBe('ObjectType');
    expect(t.members.map((m) => [m.name, m.optional, m.type.kind])).toEqual([
      ['a', false, 'PrimitiveType'],
      ['b', true, 'PrimitiveType'],
      ['c-d', false, 'PrimitiveType'],
      ['e', false, 'ObjectType'],
    ]);
    expect(t.members[1]!.span).toMatchObject({ line: 3, col: 3 });
    expect(type('{}')).toMatchObject({ kind: 'ObjectType', members: [] });
  });
  it('unions, with a leading | and parentheses', () => {
    const u = type('| "ok" | 42 | true | (string | null)[] | Payment') as A.UnionTypeNode;
    expect(u.kind).toBe('UnionType');
    expect(u.types.map((t) => t.kind)).toEqual(['LiteralType', 'LiteralType', 'LiteralType', 'ArrayType', 'TypeRef']);
    expect(u.types.slice(0, 3).map((t) => (t as A.LiteralTypeNode).value)).toEqual(['ok', 42, true]);
    expect((u.types[3] as A.ArrayTypeNode).element.kind).toBe('UnionType');
    expect(type('-1')).toMatchObject({ kind: 'LiteralType', value: -1 });
    expect(type('false')).toMatchObject({ kind: 'LiteralType', value: false });
  });
  it('a union continues on the next line', () => {
    expect(type('\n  | "a"\n  | "b"')).toMatchObject({ kind: 'UnionType', types: [{ value: 'a' }, { value: 'b' }] });
  });
  it('annotations on variables and parameters', () => {
    const d = stmt('const x: number[] = []', 'VarDecl');
    expect(d.type).toMatchObject({ kind: 'ArrayType' });
    const p = ok('workflow w(a: { n: number }, b): any { }');
    expect(p.workflow.params.map((x) => [x.name, x.type?.kind])).toEqual([
      ['a', 'ObjectType'],
      ['b', undefined],
    ]);
  });
});

describe('parse: statements', () => {
  it('const and let, with and without initializer', () => {
    expect(stmt('const a = 1', 'VarDecl')).toMatchObject({ declKind: 'const', target: { kind: 'IdentifierPattern', name: 'a' }, init: { value: 1 } });
    const l = stmt('let b', 'VarDecl');
    expect(l.declKind).toBe('let');
    expect(l.init).toBeUndefined();
  });
  it('array destructuring with holes and rest', () => {
    const d = stmt('const [a, , [b], ...rest] = xs', 'VarDecl');
    const p = d.target as A.ArrayPattern;
    expect(p.kind).toBe('ArrayPattern');
    expect(p.elements.map((e) => e && e.kind)).toEqual(['IdentifierPattern', null, 'ArrayPattern']);
    expect(p.rest).toMatchObject({ kind: 'IdentifierPattern', name: 'rest' });
    expect((stmt('const [x,] = xs', 'VarDecl').target as A.ArrayPattern).elements).toHaveLength(1);
    expect((stmt('const [x,,] = xs', 'VarDecl').target as A.ArrayPattern).elements).toHaveLength(2);
  });
  it('object destructuring: shorthand, renaming, nesting, rest', () => {
    const p = stmt('const { a, b: c, "d-e": [f], ...g } = o', 'VarDecl').target as A.ObjectPattern;
    expect(p.kind).toBe('ObjectPattern');
    expect(p.properties.map((x) => [x.key, x.value.kind, x.value.kind === 'IdentifierPattern' ? x.value.name : '-'])).toEqual([
      ['a', 'IdentifierPattern', 'a'],
      ['b', 'IdentifierPattern', 'c'],
      ['d-e', 'ArrayPattern', '-'],
    ]);
    expect(p.rest?.name).toBe('g');
  });
  it('assignments and compound assignments', () => {
    const ops = stmts('x = 1\no.a += 2\nxs[i] -= 3\nx *= 4\nx /= 5').map((s) => (s as A.Assign).op);
    expect(ops).toEqual(['=', '+=', '-=', '*=', '/=']);
    const a = stmt('o.a.b = await t()', 'Assign');
    expect(show(a.target)).toBe('o.a.b');
    expect(a.value.kind).toBe('Await');
  });
  it('++ and -- as statements', () => {
    expect(stmts('i++\n--j\nxs[0]++').map((s) => s as A.Update).map((u) => [u.op, u.prefix, show(u.target)])).toEqual([
      ['++', false, 'i'],
      ['--', true, 'j'],
      ['++', false, 'xs[0]'],
    ]);
  });
  it('if / else if / else', () => {
    const s = stmt('if (a) { x() } else if (b) y()\nelse z()', 'If');
    expect(show(s.test)).toBe('a');
    expect(s.consequent.kind).toBe('Block');
    const elif = s.alternate as A.If;
    expect(elif.kind).toBe('If');
    expect(elif.consequent.kind).toBe('ExprStmt');
    expect(elif.alternate?.kind).toBe('ExprStmt');
    expect(stmt('if (a) b()', 'If').alternate).toBeUndefined();
  });
  it('else binds to the nearest if', () => {
    const s = stmt('if (a) if (b) x(); else y()', 'If');
    expect(s.alternate).toBeUndefined();
    expect((s.consequent as A.If).alternate?.kind).toBe('ExprStmt');
  });
  it('while, break, continue', () => {
    const w = stmt('while (i < 3) { if (a) break; continue }', 'While');
    expect(show(w.test)).toBe('(i < 3)');
    const body = (w.body as A.Block).body;
    expect(((body[0] as A.If).consequent as A.Break).kind).toBe('Break');
    expect(body[1]!.kind).toBe('Continue');
  });
  it('for (init; test; update) with each part optional', () => {
    const f = stmt('for (let i = 0; i < n; i++) {}', 'For');
    expect(f.init).toMatchObject({ kind: 'VarDecl', declKind: 'let' });
    expect(show(f.test!)).toBe('(i < n)');
    expect(f.update).toMatchObject({ kind: 'Update', op: '++' });
    const g = stmt('for (i = 0; ; i += 2) x()', 'For');
    expect(g.init?.kind).toBe('Assign');
    expect(g.test).toBeUndefined();
    expect(g.update).toMatchObject({ kind: 'Assign', op: '+=' });
    const h = stmt('for (;;) break', 'For');
    expect([h.init, h.test, h.update]).toEqual([undefined, undefined, undefined]);
  });
  it('for (const x of xs), with destructuring', () => {
    const f = stmt('for (const [k, v] of Object.entries(o)) {}', 'ForOf');
    expect(f.declKind).toBe('const');
    expect(f.target.kind).toBe('ArrayPattern');
    expect(show(f.iterable)).toBe('Object.entries(o)');
    expect(stmt('for (let x of xs) x', 'ForOf').declKind).toBe('let');
  });
  it('return with and without a value', () => {
    expect(stmt('return', 'Return').argument).toBeUndefined();
    expect(stmt('return await t()', 'Return').argument?.kind).toBe('Await');
  });
  it('return followed by a new line returns nothing (as in TypeScript)', () => {
    const s = stmts('return\n1');
    expect(s.map((x) => x.kind)).toEqual(['Return', 'ExprStmt']);
    expect((s[0] as A.Return).argument).toBeUndefined();
  });
  it('expression statements, nested blocks and empty statements', () => {
    const s = stmts(';await t(1);;\n{ f() };');
    expect(s.map((x) => x.kind)).toEqual(['ExprStmt', 'Block']);
    expect((s[0] as A.ExprStmt).expression.kind).toBe('Await');
  });
  it('else on the same line needs a semicolon before it, as in TypeScript', () => {
    expect(diags('workflow w() { if (a) x() else y() }')).toEqual(['CS001 1:27 expected an operator, "}", ";" or a new line']);
  });
  it('statements on one line need a semicolon', () => {
    expect(stmts('a = 1; b = 2').map((s) => s.kind)).toEqual(['Assign', 'Assign']);
    expect(diags('workflow w() { a = 1 b = 2 }')).toEqual(['CS001 1:22 expected an operator, "}", ";" or a new line']);
  });
});

describe('parse: expressions', () => {
  it('number literals', () => {
    expect(show(expr('[0, 1.5, 2e3, 1_000, .25, 1E-2, 0xff, 0XA_B]'))).toBe('[0, 1.5, 2000, 1000, 0.25, 0.01, 255, 171]');
  });
  it('string literals with escapes', () => {
    const e = expr(String.raw`["a\"b", 'c\'d', "t\tn\nr\r", "\u0041\x42\u{1F600}", "\\", "\0", 'x\
y']`) as A.ArrayLiteral;
    expect(e.elements.map((x) => (x as A.StringLiteral).value)).toEqual(['a"b', "c'd", 't\tn\nr\r', 'AB😀', '\\', '\0', 'xy']);
  });
  it('template strings: cooked quasis and expressions', () => {
    const t = expr('`a ${x} b\\n ${`in ${y}`}\\``') as A.TemplateLiteral;
    expect(t.kind).toBe('TemplateLiteral');
    expect(t.quasis).toEqual(['a ', ' b\n ', '`']);
    expect(t.expressions.map((e) => e.kind)).toEqual(['Identifier', 'TemplateLiteral']);
    expect((t.expressions[1] as A.TemplateLiteral).quasis).toEqual(['in ', '']);
    expect(expr('``')).toMatchObject({ kind: 'TemplateLiteral', quasis: [''], expressions: [] });
    expect((expr('`${ a + 1 }`') as A.TemplateLiteral).expressions.map(show)).toEqual(['(a + 1)']);
    expect((expr('`$ {x} $`') as A.TemplateLiteral).quasis).toEqual(['$ {x} $']);
  });
  it('boolean, null, identifiers', () => {
    expect(show(expr('[true, false, null, x, $y, _z, ünïcode]'))).toBe('[true, false, null, x, $y, _z, ünïcode]');
  });
  it('array literals with spread and trailing comma', () => {
    const a = expr('[1, ...xs, 2,]') as A.ArrayLiteral;
    expect(a.elements.map((e) => e.kind)).toEqual(['NumberLiteral', 'Spread', 'NumberLiteral']);
  });
  it('object literals: keys, shorthand, spread, keyword keys', () => {
    const o = expr('{ a: 1, "b-c": 2, 3: x, b, ...rest, if: 4, }') as A.ObjectLiteral;
    expect(o.properties.map((p) => (p.kind === 'Property' ? [p.key, p.shorthand] : ['...', false]))).toEqual([
      ['a', false],
      ['b-c', false],
      ['3', false],
      ['b', true],
      ['...', false],
      ['if', false],
    ]);
    const b = o.properties[3] as A.ObjectProperty;
    expect(b.value).toMatchObject({ kind: 'Identifier', name: 'b' });
  });
  it('member, optional member, index, optional index, calls', () => {
    expect(show(expr('a.b?.c[0]?.[i](x, y).d'))).toBe('a.b?.c[0]?.[i](x, y).d');
    const m = expr('a?.b') as A.Member;
    expect(m).toMatchObject({ kind: 'Member', property: 'b', optional: true });
    expect(expr('o.new')).toMatchObject({ kind: 'Member', property: 'new' });
    expect(expr('f()')).toMatchObject({ kind: 'Call', args: [] });
    expect(show(expr('Promise.all(items.map(task), { concurrency: 5 })'))).toBe('Promise.all(items.map(task), {concurrency: 5})');
  });
  it('a call with a policy', () => {
    const a = expr('await chargeCard(id) with { retries: 5, timeout: "10s" }') as A.Await;
    const call = a.argument as A.Call;
    expect(call.kind).toBe('Call');
    expect(call.policy?.properties).toHaveLength(2);
    expect(call.span.end).toBe(call.policy!.span.end);
  });
  it('unary operators and await', () => {
    expect(show(expr('[!a, -b, +c, typeof d, - -e, !!f, await g()]'))).toBe('[(!a), (-b), (+c), (typeof d), (-(-e)), (!(!f)), (await g())]');
  });
  it('conditional', () => {
    expect(expr('a ? b : c')).toMatchObject({ kind: 'Conditional', test: { name: 'a' }, consequent: { name: 'b' }, alternate: { name: 'c' } });
    expect(show(expr('a?.5:1'))).toBe('(a ? 0.5 : 1)');
  });
});

describe('parse: precedence and associativity (as in JavaScript)', () => {
  const cases: [string, string][] = [
    ['a + b * c', '(a + (b * c))'],
    ['a * b + c', '((a * b) + c)'],
    ['a - b - c', '((a - b) - c)'],
    ['a / b % c', '((a / b) % c)'],
    ['a < b + 1', '(a < (b + 1))'],
    ['a < b === c >= d', '((a < b) === (c >= d))'],
    ['a == b != c', '((a == b) != c)'],
    ['a && b || c && d', '((a && b) || (c && d))'],
    ['a || b && c', '(a || (b && c))'],
    ['a ?? b || c', '(a ?? (b || c))'],
    ['a ?? b ?? c', '((a ?? b) ?? c)'],
    ['a === b && c !== d', '((a === b) && (c !== d))'],
    ['!a && b', '((!a) && b)'],
    ['!a.b', '(!a.b)'],
    ['-a * b', '((-a) * b)'],
    ['typeof a === "string"', '((typeof a) === "string")'],
    ['a ? b : c ? d : e', '(a ? b : (c ? d : e))'],
    ['a || b ? c + 1 : d', '((a || b) ? (c + 1) : d)'],
    ['a ? b ? c : d : e', '(a ? (b ? c : d) : e)'],
    ['(a + b) * c', '((a + b) * c)'],
    ['await f(x).y', '(await f(x).y)'],
    ['-x[0]', '(-x[0])'],
    ['a +\n b', '(a + b)'],
  ];
  for (const [src, want] of cases) {
    it(`${src.replace('\n', '⏎')}  →  ${want}`, () => expect(show(expr(src))).toBe(want));
  }
});

describe('parse: keywords and identifiers', () => {
  it('keywords are guarded: iff, returned, constant, ofx are identifiers', () => {
    const s = stmts('const iff = 1\nlet returned = iff\nconst constant = typeofx\nconst nullable = ofx');
    expect(s.map((x) => ((x as A.VarDecl).target as A.IdentifierPattern).name)).toEqual(['iff', 'returned', 'constant', 'nullable']);
  });
  it('contextual words (type, task, workflow, of) can name variables', () => {
    const s = stmts('const { type, task } = r.reason\nconst workflow = 1\nfor (const of of xs) {}');
    expect(s.map((x) => x.kind)).toEqual(['VarDecl', 'VarDecl', 'ForOf']);
  });
  it('reserved words cannot name variables', () => {
    expect(diags('workflow w() { const if = 1 }')).toEqual(['CS001 1:22 expected an identifier, "{" or "["']);
  });
  it('comments are spaces', () => {
    const p = ok('/* head */ workflow /* a */ w(/* b */) { // c\n  return /* d */ 1 // e\n}');
    expect(p.workflow.body.body).toMatchObject([{ kind: 'Return', argument: { value: 1 } }]);
  });
});

describe('parse: spans', () => {
  it('gives 1-based line and col and 0-based offsets', () => {
    const p = ok(EXAMPLE);
    const decl = p.workflow.body.body[0] as A.VarDecl;
    expect(decl.span).toMatchObject({ line: 9, col: 3 });
    const call = (decl.init as A.Await).argument as A.Call;
    expect(call.span).toMatchObject({ line: 9, col: 25 });
    expect(EXAMPLE.slice(call.span.start, call.span.end)).toBe('chargeCard(orderId, amount)');
    const ret = p.workflow.body.body[4] as A.Return;
    expect(ret.span).toMatchObject({ line: 18, col: 3 });
    expect(EXAMPLE.slice(ret.argument!.span.start, ret.argument!.span.end)).toBe('shipment.trackingId');
    expect(p.tasks[1]!.span).toMatchObject({ line: 5, col: 1 });
    expect(p.types[0]!.type.span).toMatchObject({ line: 2, col: 16 });
    expect(p.span).toEqual({ start: 0, end: EXAMPLE.length, line: 1, col: 1 });
  });
  it('counts lines the same with CRLF line ends and a byte-order mark', () => {
    const src = '\uFEFFtype A = {\r\n  a: string\r\n  b: number\r\n}\r\nworkflow w() {\r\n  const x = 1\r\n  return\r\n  x\r\n}\r\n';
    const p = ok(src);
    expect((p.types[0]!.type as A.ObjectTypeNode).members).toHaveLength(2);
    expect(p.workflow.body.body.map((s) => [s.kind, s.span.line, s.span.col])).toEqual([
      ['VarDecl', 6, 3],
      ['Return', 7, 3],
      ['ExprStmt', 8, 3],
    ]);
  });
  it('statement spans stop before the terminator', () => {
    const src = 'workflow w() {\n  f(1);\n  return 2  \n}';
    const [e, r] = ok(src).workflow.body.body;
    expect(src.slice(e!.span.start, e!.span.end)).toBe('f(1)');
    expect(src.slice(r!.span.start, r!.span.end)).toBe('return 2');
    const t = ok('task t(): void ;\nworkflow w() {}').tasks[0]!;
    expect(t.span.end - t.span.start).toBe('task t(): void'.length);
  });
  it('spans of folded chains cover the whole chain', () => {
    const e = expr('a - b - c') as A.Binary;
    expect([e.span.col, e.span.end - e.span.start]).toEqual([8, 9]);
    expect((e.left as A.Binary).span.end - (e.left as A.Binary).span.start).toBe(5);
  });
  it('every node span lies inside the source and inside its parent', () => {
    const p = ok(EXAMPLE);
    for (const n of allNodes(p)) {
      expect(n.span.start).toBeGreaterThanOrEqual(0);
      expect(n.span.end).toBeLessThanOrEqual(EXAMPLE.length);
      expect(n.span.start).toBeLessThanOrEqual(n.span.end);
    }
  });
});

describe('parse: node ids', () => {
  it('are unique, 0 … nodeCount-1, and the same for the same text', () => {
    const a = ok(EXAMPLE);
    const ids = allNodes(a).map((n) => n.id).sort((x, y) => x - y);
    expect(ids).toEqual(Array.from({ length: a.nodeCount }, (_, i) => i));
    expect(ok(EXAMPLE)).toEqual(a);
  });
  it('follow source order: a parent before its children, siblings left to right', () => {
    const p = ok('workflow w() { return 1 }');
    expect([p.id, p.workflow.id, p.workflow.body.id]).toEqual([0, 1, 2]);
    const r = p.workflow.body.body[0] as A.Return;
    expect([r.id, r.argument!.id, p.nodeCount]).toEqual([3, 4, 5]);
    const e = expr('a + b * c') as A.Binary;
    const right = e.right as A.Binary;
    expect([e.id, e.left.id, right.id, right.left.id, right.right.id]).toEqual([4, 5, 6, 7, 8]);
  });
  it('in the example, ids grow with the start offset', () => {
    const nodes = allNodes(ok(EXAMPLE)).sort((x, y) => x.id - y.id);
    for (let i = 1; i < nodes.length; i++) expect(nodes[i]!.span.start).toBeGreaterThanOrEqual(nodes[i - 1]!.span.start);
  });
  it('change only after an edit, not with unrelated whitespace before the workflow', () => {
    const a = ok('workflow w() { return 1 }');
    const b = ok('\n\n  workflow w() { return 1 }');
    expect(allNodes(b).map((n) => [n.kind, n.id])).toEqual(allNodes(a).map((n) => [n.kind, n.id]));
  });
});

describe('parse: TypeScript syntax (issue 10)', () => {
  it('type arguments on calls, as TypeScript: `a < b > (c)` is a call', () => {
    const c = expr('signal<Decision>("d")') as A.Call;
    expect(c.kind).toBe('Call');
    expect(c.typeArgs?.map((t) => t.kind)).toEqual(['TypeRef']);
    expect(show(expr('a < b > (c)'))).toBe('a(c)');
    expect(show(expr('a < b && c > (d)'))).toBe('((a < b) && (c > d))');
    expect(show(expr('i < n'))).toBe('(i < n)');
    expect((expr('f<Array<number>>(x)') as A.Call).typeArgs?.[0]?.kind).toBe('ArrayType');
  });
  it('as, as const, satisfies (relational precedence, same line) and the non-null assertion', () => {
    expect(show(expr('a + b as T'))).toBe('((a + b) as TypeRef)');
    expect(show(expr('a < b as T'))).toBe('((a < b) as TypeRef)');
    expect(show(expr('a as number < b'))).toBe('((a as PrimitiveType) < b)');
    expect(show(expr('a ?? b as const'))).toBe('(a ?? (b as const))');
    expect(show(expr('x satisfies T'))).toBe('(x satisfies TypeRef)');
    expect(show(expr('f(x)!.y'))).toBe('f(x)!.y');
    expect(show(expr('x! == y'))).toBe('(x! == y)');
    expect(show(expr('x != y'))).toBe('(x != y)');
    // on the next line, `as` is a new statement (as TypeScript reads it)
    expect(stmts('x\nas').map((st) => st.kind)).toEqual(['ExprStmt', 'ExprStmt']);
    expect(stmts('x\n!y').map((st) => st.kind)).toEqual(['ExprStmt', 'ExprStmt']);
  });
  it('** is right-associative and binds tighter than * / %', () => {
    expect(show(expr('2 ** 3 ** 2'))).toBe('(2 ** (3 ** 2))');
    expect(show(expr('a * b ** c % d'))).toBe('((a * (b ** c)) % d)');
    expect(show(expr('(-2) ** 2'))).toBe('((-2) ** 2)');
    expect(show(expr('2 ** -1'))).toBe('(2 ** (-1))');
  });
  it('every assignment operator', () => {
    const ops = stmts('x = 1\nx += 1\nx -= 1\nx *= 1\nx /= 1\nx %= 1\nx **= 1\nx ??= 1\nx ||= 1\nx &&= 1').map((st) => (st as A.Assign).op);
    expect(ops).toEqual(['=', '+=', '-=', '*=', '/=', '%=', '**=', '??=', '||=', '&&=']);
  });
  it('destructuring assignment: arrays with holes and rest, objects in parentheses, any target', () => {
    const a = stmt('[a, , o.b, ...xs[0]] = await t()', 'Assign');
    expect(show(a.target)).toBe('[a, , o.b, ...xs[0]]=');
    expect(a.value.kind).toBe('Await');
    expect(show(stmt('({ a, b: o.c, ...rest } = v)', 'Assign').target)).toBe('{a: a, b: o.c, ...rest}=');
    expect(show(stmt('[[a, b], { c }] = v', 'Assign').target)).toBe('[[a, b]=, {c: c}=]=');
    // not an assignment: an array literal statement
    expect(stmt('[a, b].includes(c)', 'ExprStmt').expression.kind).toBe('Call');
  });
  it('switch, case and default, in one scope per switch', () => {
    const sw = stmt('switch (x) {\n  case 1:\n  case 2: y()\n    break\n  default: z()\n}', 'Switch');
    expect(sw.cases.map((c) => [c.test ? show(c.test) : 'default', c.consequent.map((x) => x.kind)])).toEqual([
      ['1', []],
      ['2', ['ExprStmt', 'Break']],
      ['default', ['ExprStmt']],
    ]);
  });
  it('labels, and break / continue with a label on the same line', () => {
    const l = stmt('outer: for (const x of xs) { continue outer }', 'Labeled');
    expect(l.label).toBe('outer');
    const loop = l.body as A.ForOf;
    expect(((loop.body as A.Block).body[0] as A.Continue).label).toBe('outer');
    const [b, e] = stmts('while (true) {\n  break\n  done\n}').flatMap((st) => ((st as A.While).body as A.Block).body);
    expect((b as A.Break).label).toBeUndefined(); // a label on the next line is a statement of its own
    expect(e!.kind).toBe('ExprStmt');
  });
  it('optional calls', () => {
    const c = expr('o.m?.(1)') as A.Call;
    expect([c.kind, c.optional, show(c)]).toEqual(['Call', true, 'o.m(1)']);
  });
  it('types: Record, readonly, tuples, intersections, index signatures, unknown / undefined / object', () => {
    expect(type('Record<string, number>')).toMatchObject({ kind: 'RecordType', key: { name: 'string' }, value: { name: 'number' } });
    expect(type('readonly string[]')).toMatchObject({ kind: 'ReadonlyType', type: { kind: 'ArrayType' } });
    expect(type('ReadonlyArray<string>')).toMatchObject({ kind: 'ReadonlyType', type: { kind: 'ArrayType' } });
    expect(type('Readonly<P>')).toMatchObject({ kind: 'ReadonlyType', type: { kind: 'TypeRef', name: 'P' } });
    expect(type('[string, number]')).toMatchObject({ kind: 'TupleType', elements: [{ name: 'string' }, { name: 'number' }] });
    expect(type('A & { b: string }')).toMatchObject({ kind: 'IntersectionType', types: [{ kind: 'TypeRef' }, { kind: 'ObjectType' }] });
    expect(type('{ readonly a: string, [key: string]: number }')).toMatchObject({
      kind: 'ObjectType',
      members: [{ name: 'a', readonly: true }],
      index: { name: 'number' },
    });
    expect(type('unknown | undefined | object')).toMatchObject({ kind: 'UnionType', types: [{ name: 'unknown' }, { name: 'undefined' }, { name: 'object' }] });
  });
  it('interface declarations (extends is an intersection), optional parameters', () => {
    const p = ok('interface A { a: string }\ninterface B extends A { b?: number; readonly c: boolean }\ntask t(x: string, y?: number): void\nworkflow w(z?: string) {}');
    expect(p.types.map((t) => [t.name, t.form, t.type.kind])).toEqual([
      ['A', 'interface', 'ObjectType'],
      ['B', 'interface', 'IntersectionType'],
    ]);
    expect(p.tasks[0]!.params.map((x) => [x.name, x.optional ?? false])).toEqual([['x', false], ['y', true]]);
    expect(p.workflow.params[0]).toMatchObject({ name: 'z', optional: true });
  });
  it('everything else TypeScript has says what to write instead (CS002)', () => {
    const one = (src: string) => diags(src).map((d) => d.replace(/^CS002 \d+:\d+ /, ''));
    expect(one('enum E { A }\nworkflow w() {}')).toEqual([MESSAGES.enum]);
    expect(one('type Box<T> = { v: T }\nworkflow w() {}')).toEqual([MESSAGES.generics]);
    expect(one('workflow w(x: Partial<P>) {}')[0]).toMatch(/^the utility type `Partial<…>` is not supported/);
    expect(one('workflow w(x: keyof P) {}')).toEqual([MESSAGES.typeOperator]);
    expect(one('workflow w(x: (a: number) => void) {}')).toEqual([MESSAGES.functionType]);
    expect(one('workflow w(x: P["k"]) {}')).toEqual([MESSAGES.indexedType]);
    expect(one('workflow w() { return 1 & 2 }')).toEqual([MESSAGES.bitwise]);
    expect(one('workflow w() { return /ab+c/.test(s) }')).toEqual([MESSAGES.regex]);
    expect(one('const MAX = 5\nworkflow w() {}')).toEqual([MESSAGES.topVar]);
    expect(one('workflow w() { type T = string }')).toEqual([MESSAGES.localType]);
    expect(one('workflow w() { debugger }')).toEqual([MESSAGES.debugger]);
    expect(one('workflow w() { for await (const x of xs) {} }')).toEqual([MESSAGES.forAwait]);
    expect(one('workflow w(...xs: number[]) {}')).toEqual([MESSAGES.restParam]);
    expect(one('workflow w() { const m = new Map() }')).toEqual([MESSAGES.newCollection]);
  });
});

describe('parse: diagnostics', () => {
  it('CS001: a syntax error with the expected tokens, at the rightmost failure', () => {
    expect(diags('workflow w() { return a + }')).toEqual(['CS001 1:27 expected an expression']);
    expect(diags('workflow w() {\n  const x = 1 2\n}')).toEqual(['CS001 2:15 expected an operator, "}", ";", "," or a new line']);
    expect(diags('tsk f()')).toEqual(['CS001 1:1 expected "workflow", "task" or "type"']);
    expect(diags('workflow w() { ) }')).toEqual(['CS001 1:16 expected a statement or "}"']);
    expect(diags('workflow w() {')).toEqual(['CS001 1:15 expected "}" before the end of the file, to close the "{" of line 1']);
    expect(diags('workflow w() { if x {} }')).toEqual(['CS001 1:19 expected "("']);
    expect(diags('task f(a: ): void\nworkflow w() {}')).toEqual(['CS001 1:11 expected a type']);
    expect(diags('workflow w() { return a ? b }')).toEqual(['CS001 1:29 expected an operator or ":"']);
    expect(diags('workflow w() { f(a,, b) }')).toEqual(['CS001 1:20 expected an expression or ")"']);
    expect(diags('workflow w() { await t() with }')).toEqual(['CS001 1:31 expected "{"']);
    expect(diags('workflow w() { return `a ${ } b` }')).toEqual(['CS001 1:29 expected an expression']);
  });
  it('CS001: unterminated strings, templates and comments', () => {
    expect(diags('workflow w() { return "abc }')).toEqual(['CS001 1:23 unterminated string: close it with " on the same line']);
    // the second line `' }` is an unterminated string of its own (TypeScript reports both too)
    expect(diags("workflow w() { return 'a\n' }")).toEqual([
      "CS001 1:23 unterminated string: close it with ' on the same line",
      "CS001 2:1 unterminated string: close it with ' on the same line",
    ]);
    expect(diags('workflow w() { return `abc }')).toEqual(['CS001 1:23 unterminated template string: close it with `']);
    expect(diags('workflow w() { return `a${b}c }')).toEqual(['CS001 1:23 unterminated template string: close it with `']);
    expect(diags('workflow w() { return `a` }\n`')).toEqual(['CS001 2:1 unterminated template string: close it with `']);
    // the unclosed comment takes the rest of the file, the workflow's `}` too
    expect(diags('workflow w() { /* x }')).toEqual([
      'CS001 1:16 unterminated comment: close it with */',
      'CS001 1:22 expected "}" before the end of the file, to close the "{" of line 1',
    ]);
  });
  it('top-level functions and arrow functions parse; async, generator, nested and expression functions are CS002', () => {
    const p = ok('function f(a: number, { b }: any, c?) : number { return a }\nworkflow w(xs: number[]) { return xs.map((x, i): number => x * i) }');
    expect(p.functions.map((f) => [f.name, f.params.map((x) => [x.target.kind, x.optional, x.type?.kind ?? null]), f.returnType?.kind])).toEqual([
      ['f', [['IdentifierPattern', false, 'PrimitiveType'], ['ObjectPattern', false, 'PrimitiveType'], ['IdentifierPattern', true, null]], 'PrimitiveType'],
    ]);
    expect(show(expr('xs.map(x => x * 2)'))).toBe('xs.map(((x) => (x * 2)))');
    expect(show(expr('xs.reduce((a, x) => a + x, 0)'))).toBe('xs.reduce(((a, x) => (a + x)), 0)');
    expect(show(expr('xs.filter(({ ok }) => { return ok })'))).toBe('xs.filter(((…) => {…}))');
    // a parenthesised expression and a conditional are not arrow parameters
    expect(show(expr('c ? (a) : b'))).toBe('(c ? a : b)');
    expect(diags('async function f() {}\nworkflow w() {}')).toEqual([`CS002 1:1 ${MESSAGES.asyncFunction}`]);
    expect(diags('function* f() {}\nworkflow w() {}')).toEqual([`CS002 1:9 ${MESSAGES.generator}`]);
    expect(diags('workflow w() {\n  function f() { return 1 }\n}')).toEqual([`CS002 2:3 ${MESSAGES.function}`]);
    expect(diags('workflow w() { const f = async (a: number): void => { await t() } }')).toEqual([`CS002 1:26 ${MESSAGES.asyncArrow}`]);
    expect(diags('workflow w() { const f = function () {} }')).toEqual([`CS002 1:26 ${MESSAGES.functionExpression}`]);
    expect(diags('workflow w() { const o = { m() { return 1 } } }')).toEqual([`CS002 1:28 ${MESSAGES.method}`]);
    expect(diags('function f(a = 1) {}\nworkflow w() {}')).toEqual([`CS002 1:14 ${MESSAGES.defaultValue}`]);
    expect(diags('workflow w() { xs.map((...a) => a) }')).toEqual([`CS002 1:24 ${MESSAGES.restParam}`]);
    // a syntax error inside a helper's body is reported where it is, not as a rejected function
    expect(diags('function f() { return ) }\nworkflow w() {}')[0]).toMatch(/^CS001 1:23 /);
  });
  it('CS002: classes, import and export', () => {
    expect(diags('class A { x = 1; m() { return "}" } }\nworkflow w() {}')).toEqual([
      'CS002 1:1 workflows have no classes: use object literals and `type` aliases, and put behaviour in tasks',
    ]);
    const module = 'a workflow file is self-contained: declare tasks with `task name(...)`';
    expect(diags('import { a,\n b } from "x"\nworkflow w() {}')).toEqual([`CS002 1:1 ${module}`]);
    expect(diags('export workflow w() {}')).toEqual([`CS002 1:1 ${module}`]);
    expect(diags('export task t(): void\nworkflow w() {}')).toEqual([`CS002 1:1 ${module}`]);
  });
  it('try needs a catch or a finally; throw needs its value on the same line', () => {
    expect(diags('workflow w() {\n  try { x() }\n  return 1\n}')[0]).toMatch(/^CS001 3:3 expected .*"catch".*|^CS001 3:3 expected .*"finally"/);
    expect(diags('workflow w() {\n  throw\n  "x"\n}')[0]).toMatch(/^CS001 2:/);
  });
  it('CS002: new, this, var', () => {
    expect(diags('workflow w() { const d = new Date() }')).toEqual([`CS002 1:26 ${MESSAGES.newDate}`]);
    expect(diags('workflow w() { const d = new Thing() }')).toEqual([
      'CS002 1:26 `new` is not supported (`new Error(message)` is the one exception): use object and array literals, and built-ins such as `now()`',
    ]);
    expect(diags('workflow w() { return this.x }')).toEqual(['CS002 1:23 `this` is not supported: use variables']);
    expect(diags('workflow w() { var x = 1 }')).toEqual(['CS002 1:16 `var` is not supported: use `let` or `const`']);
  });
  it('CS002: other constructs that JavaScript has and workflows do not', () => {
    expect(diags('workflow w() { do { x() } while (a) }')).toEqual([
      'CS002 1:16 `do … while` is not supported: use `while (true) { …; if (!cond) break }`',
    ]);
    expect(diags('workflow w() { for (const k in o) {} }')).toEqual([
      'CS002 1:29 `for … in` is not supported: use `for (const key of Object.keys(obj))`',
    ]);
    expect(show(expr('"a" in o && b'))).toBe('(("a" in o) && b)');
    expect(diags('workflow w() { return a instanceof B }')).toEqual(['CS002 1:25 `instanceof` is not supported: use `typeof` or `Array.isArray`']);
    expect(diags('workflow w() { delete o.a }')).toEqual(['CS002 1:16 `delete` is not supported: build a new object without the key']);
    expect(diags('workflow w() { f(...xs) }')).toEqual(['CS002 1:18 spread arguments are not supported: pass the array itself']);
    expect(diags('workflow w() { return { [k]: 1 } }')).toEqual([
      'CS002 1:25 computed property keys are not supported: create the object, then set `obj[key] = value`',
    ]);
    expect(diags('workflow w() { let x = 1; x <<= 2 }')).toEqual(['CS002 1:29 `<<=` is not supported: bitwise operators do not exist in workflows']);
    expect(diags('workflow w() { const a = 1, b = 2 }')).toEqual(['CS002 1:29 declare one variable per statement: `const a = 1` then `const b = 2`']);
    expect(diags('workflow w() { const { a = 1 } = o }')).toEqual(['CS002 1:26 default values are not supported: use `??` on the value instead']);
    expect(diags('workflow w(a = 1) {}')).toEqual(['CS002 1:14 default values are not supported: use `??` on the value instead']);
    expect(diags('workflow w() { const [...a, b] = x }')).toEqual(['CS002 1:23 a rest element must be the last one']);
    expect(diags('workflow w() { const [...[a]] = x }')).toEqual(['CS002 1:26 a rest element must be a plain name (`...rest`)']);
  });
  it('CS002: several rejected constructs are all reported, in source order', () => {
    expect(diags('workflow w() {\n  var a = new X()\n  this.a = a\n}').map((d) => d.slice(0, 10))).toEqual(['CS002 2:3 ', 'CS002 2:11', 'CS002 3:3 ']);
  });
  it('CS003: no workflow, or two', () => {
    expect(diags('task t(): void')).toEqual(['CS003 1:1 the file declares no workflow: add `workflow name(params) { … }`']);
    expect(diags('')).toEqual(['CS003 1:1 the file declares no workflow: add `workflow name(params) { … }`']);
    expect(diags('workflow a() { return 1 }\nworkflow b() { return 2 }')).toEqual([
      "CS003 2:1 a file declares exactly one workflow: 'b' is a second one ('a' is at line 1)",
    ]);
  });
  it('CS004: invalid literals', () => {
    expect(diags('workflow w() { return 0x }')).toEqual(['CS004 1:23 invalid number: 0x']);
    expect(diags('workflow w() { return 1__0 }')).toEqual(['CS004 1:23 invalid number: 1__0']);
    expect(diags('workflow w() { return 3px }')).toEqual(['CS004 1:23 invalid number: 3px']);
    expect(diags('workflow w() { return 1e999 }')).toEqual(['CS004 1:23 number literal is too large']);
    expect(diags('workflow w() { return 017 }')).toEqual(['CS004 1:23 numbers cannot start with 0 (octal is not supported)']);
    expect(diags('workflow w() { return "\\x4" }')).toEqual(['CS004 1:24 invalid escape: `\\x` needs two hex digits']);
    expect(diags('workflow w() { return "\\u12" }')).toEqual(['CS004 1:24 invalid escape: `\\u` needs four hex digits']);
    expect(diags('workflow w() { return `\\u{110000}` }')).toEqual(['CS004 1:24 invalid escape: `\\u{…}` needs a code point up to 10FFFF']);
    expect(diags('workflow w() { return "\\01" }')).toEqual(['CS004 1:24 octal escapes are not supported: use `\\u` escapes']);
  });
  it('every diagnostic is an error with a span inside the source', () => {
    for (const src of ['workflow w() { return "abc }', 'x', '}', 'workflow w() { var x }']) {
      for (const d of parse(src).diagnostics) {
        expect(d.severity).toBe('error');
        expect(d.span.start).toBeLessThanOrEqual(src.length);
        expect(d.span.end).toBeLessThanOrEqual(src.length);
      }
    }
  });
});

describe('parse: robustness (property tests)', () => {
  const outcome = (source: string) => {
    const r = parse(source);
    // Exactly one of: a program and no diagnostics, or no program and at least one diagnostic.
    expect(r.program === undefined).toBe(r.diagnostics.length > 0);
    for (const d of r.diagnostics) expect(d.code).toMatch(/^CS00[1-6]$/);
    return r;
  };

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (s) => {
        outcome(s);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on strings made of language tokens', () => {
    const tokens = ['workflow', 'task', 'type', 'w', '(', ')', '{', '}', '[', ']', ':', ';', ',', '.', '?.', '?', '=', '=>',
      '+', '-', '*', '/', '!', '&&', '??', '`', '${', '"', "'", '\n', ' ', '1', 'x', 'const', 'let', 'if', 'else', 'for', 'of',
      'return', 'await', 'with', '|', '<', '>', '...', '/*', '*/', '//', '\\', 'function', 'class', 'try', 'new'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 60 }), (ts) => {
        outcome(ts.join(' '));
        outcome(ts.join(''));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random edits of a valid program', () => {
    const tokens = EXAMPLE.match(/\s+|\w+|\$\{|[^\w\s]/g)!;
    expect(tokens.join('')).toBe(EXAMPLE);
    const edit = fc.oneof(
      fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...tokens) }),
      fc.record({ op: fc.constant('swap' as const), at: fc.nat(), token: fc.constantFrom(...tokens) }),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        const ts = [...tokens];
        for (const e of edits) {
          const i = e.at % (ts.length + 1);
          if (e.op === 'delete') ts.splice(i, 1);
          else if (e.op === 'insert') ts.splice(i, 0, e.token);
          else ts[Math.min(i, ts.length - 1)] = e.token;
        }
        outcome(ts.join(''));
      }),
      // Why 100 (was 300): a broken source is now parsed to its end to report every error (recovery),
      // about three times the work of stopping at the first error as the parser once did.
      { numRuns: 100 },
    );
  });

  it('reports deep nesting as a diagnostic instead of throwing', () => {
    const r = outcome(`workflow w() { return ${'('.repeat(5000)}1${')'.repeat(5000)} }`);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['CS006']);
    expect(r.diagnostics[0]!.message).toBe(MESSAGES.tooDeep);
  });

  it('parses moderate nesting', () => {
    ok(`workflow w() { return ${'['.repeat(25)}1${']'.repeat(25)} }`);
    ok(`workflow w() { ${'if (a) {'.repeat(40)}${'}'.repeat(40)} }`);
    ok(`workflow w() { return ${'('.repeat(25)}1${')'.repeat(25)} }`);
  });
});
