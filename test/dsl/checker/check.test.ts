/**
 * The checker on real source text: every CT code with its position and message, the examples
 * checking clean, and several errors reported together in source order.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from '../../../dsl/parser.ts';
import { check } from '../../../dsl/checker/index.ts';
import type { Diagnostic } from '../../../dsl/diagnostics.ts';

function run(source: string): Diagnostic[] {
  const parsed = parse(source, 'test.workflow');
  expect(parsed.diagnostics, 'parses without syntax errors').toEqual([]);
  return check(parsed.program!);
}

/** `CODE line:col` (plus ` warning`) of each diagnostic. */
function codes(source: string): string[] {
  return run(source).map((d) => `${d.code} ${d.span.line}:${d.span.col}${d.severity === 'warning' ? ' warning' : ''}`);
}

/** The one diagnostic the source must give. */
function one(source: string): Diagnostic {
  const ds = run(source);
  expect(ds.map((d) => `${d.code} ${d.message}`)).toHaveLength(1);
  return ds[0]!;
}

function expectOne(source: string, code: string, at: string, fragment: string, severity: 'error' | 'warning' = 'error'): Diagnostic {
  const d = one(source);
  expect(`${d.code} ${d.span.line}:${d.span.col} ${d.severity}`).toBe(`${code} ${at} ${severity}`);
  expect(d.message).toContain(fragment);
  return d;
}

const ORDER = `type Payment = { success: boolean, paymentId?: string, error?: string }

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

describe('good programs give no diagnostics', () => {
  it('the order example of the issue', () => {
    expect(codes(ORDER)).toEqual([]);
  });

  const examples = join(import.meta.dirname, '../../../examples');
  const files = existsSync(examples)
    ? readdirSync(examples, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.workflow'))
    : [];
  for (const f of files) {
    it(`examples/${f}`, () => {
      expect(codes(readFileSync(join(examples, f), 'utf8'))).toEqual([]);
    });
  }

  it('a fixed Promise.all may take { concurrency } too, as the interpreter allows', () => {
    expect(codes('task t(x: number): number\nworkflow w() {\n  return await Promise.all([t(1), t(2)], { concurrency: 1 })\n}')).toEqual([]);
  });

  it('the await forms of dsl/README.md', () => {
    const src = `
task charge(id: string): { ok: boolean }
task ship(id: string): string
task process(item: string): number
workflow w(id: string, items: string[]) {
  const c = await charge(id)
  const c2 = await charge(id) with { retries: 5, timeout: "10s" }
  const [a, b] = await Promise.all([charge(id), ship(id)])
  const ns = await Promise.all(items.map(process), { concurrency: 5 })
  const settled = await Promise.allSettled([charge(id)])
  const settledMap = await Promise.allSettled(items.map(process), { concurrency: 2 })
  await sleep("5m")
  await sleep(250)
  const payload = await signal("approve")
  const answer = await signal("approve", { timeout: "2d" })
  if (answer.timedOut) return null
  for (const s of settledMap) {
    if (s.status === "fulfilled") ns.push(s.value)
    else return s.reason.message
  }
  return [a.ok, b.toUpperCase(), ns.length, c.ok && c2.ok, settled.length, payload, answer.payload]
}`;
    expect(codes(src)).toEqual([]);
  });

  it('a program using most of the language', () => {
    const src = `
type Status = "ok" | "failed"
type Item = { id: string, qty: number, tags?: string[] }
type Result = { status: Status, total: number, notes: string[] }
task price(item: Item): number
task lookup(id: string): Item | null
workflow w(items: Item[], mode: "fast" | "slow", limit: number | null): Result {
  let total = 0
  const notes = []
  const prices = await Promise.all(items.map(price), { concurrency: 5 })
  for (let i = 0; i < prices.length; i++) {
    total = total + prices[i] * 2
  }
  const found = await lookup("x")
  if (found !== null && found.qty > 0) notes.push(found.id.toUpperCase())
  const tags = items[0]?.tags ?? []
  const joined = tags.join(",") + String(total)
  const { id, ...rest } = { ...items[0], qty: 3 }
  for (const [k, v] of Object.entries(rest)) notes.push(\`\${k}=\${v}\`)
  const parsed = JSON.parse("{}")
  parsed.a.b = Math.max(1, total)
  let x
  x = "s"
  x = 3
  let counter = 0
  while (counter < 10) { counter++ }
  const t: number = found?.qty ?? 0
  const label = mode === "fast" ? "F" : "S"
  const bits = "a-b".split("-").concat(["c"]).reverse()
  bits.sort()
  const first = bits.shift()
  let acc = ""
  acc += 1
  const big = (limit ?? 10) * 2 + Number("1") + -t
  const kind = typeof total
  return { status: total > 0 ? "ok" : "failed", total, notes }
}`;
    expect(codes(src)).toEqual([]);
  });

  it('an empty object literal can be filled in later', () => {
    expect(codes('workflow w() {\n  const acc = {}\n  acc.total = 1\n  return acc.total\n}')).toEqual([]);
  });

  it('shadowing in a nested block is allowed', () => {
    expect(codes('workflow w() { let x = 1; { let x = "s"; x = "t" } x = 2; for (let i = 0; i < 3; i++) { let i = "a" } }')).toEqual([]);
  });

  it('a while (true) loop with an await and a break is not flagged', () => {
    expect(codes('task p(): boolean\nworkflow w(): number {\n  while (true) {\n    const done = await p()\n    if (done) break\n  }\n  return 1\n}')).toEqual([]);
  });

  it('recursive type aliases through a field are fine', () => {
    expect(codes('type Tree = { name: string, children: Tree[] }\nworkflow w(t: Tree) { return t.children[0].children.length }')).toEqual([]);
  });
});

describe('each diagnostic code', () => {
  it('CT001 undeclared variable, with a suggestion', () => {
    const d = expectOne('workflow w(amount: number) {\n  return amout + 1\n}', 'CT001', '2:10', "undeclared variable 'amout'");
    expect(d.message).toContain("did you mean 'amount'?");
  });

  it('CT001 a task used as a value', () => {
    const d = expectOne('task t(): void\nworkflow w() {\n  const f = t\n}', 'CT001', '3:13', "'t' is a task");
    expect(d.hint).toContain('await t(');
  });

  it('CT002 use before declaration, also against an outer variable (temporal dead zone)', () => {
    expectOne('workflow w() {\n  const a = b\n  const b = 1\n}', 'CT002', '2:13', "'b' is used before its declaration");
    expectOne('workflow w() {\n  let x = 1\n  {\n    x = 2\n    let x = 3\n  }\n}', 'CT002', '4:5', "'x'");
    expectOne('workflow w() {\n  const a = a\n}', 'CT002', '2:13', "'a'");
  });

  it('CT003 const reassignment, increment and compound assignment', () => {
    expectOne('workflow w() {\n  const a = 1\n  a = 2\n}', 'CT003', '3:3', "cannot assign to 'a': it is a const");
    expectOne('workflow w() {\n  const a = 1\n  a++\n}', 'CT003', '3:3', "cannot increment 'a'");
    expectOne('workflow w() {\n  const a = 1\n  a -= 1\n}', 'CT003', '3:3', "'a'");
    expectOne('workflow w(xs: number[]) {\n  for (const x of xs) { x += 1 }\n}', 'CT003', '2:25', "'x'");
  });

  it('CT004 redeclaration in the same scope, including parameters', () => {
    expectOne('workflow w() {\n  let a = 1\n  let a = 2\n}', 'CT004', '3:7', "'a' is already declared in this scope (line 2)");
    expectOne('workflow w(a: number) {\n  const a = 2\n}', 'CT004', '2:9', "'a'");
  });

  it('CT005 unknown task, with a suggestion', () => {
    const d = expectOne(
      'task chargeCard(id: string): any\nworkflow w() {\n  const r = await chargeCrad("x")\n}',
      'CT005',
      '3:19',
      "unknown task 'chargeCrad' (did you mean 'chargeCard'?)",
    );
    expect(d.hint).toBeUndefined();
  });

  it('CT005 unknown function with no near name gets a hint about declaring a task', () => {
    const d = expectOne('workflow w() {\n  await sendInvoiceToCustomer(1)\n}', 'CT005', '2:9', "unknown task 'sendInvoiceToCustomer'");
    expect(d.hint).toContain('task sendInvoiceToCustomer(');
  });

  it('CT005 calling a variable', () => {
    expectOne('workflow w() {\n  const f = 1\n  return f()\n}', 'CT005', '3:10', "'f' is a variable");
  });

  it('CT006 wrong number of arguments for tasks, built-ins and fan-out', () => {
    expectOne('task t(a: string, b: number): void\nworkflow w() {\n  await t("x")\n}', 'CT006', '3:9', "task 't' takes 2 arguments, got 1");
    expectOne('workflow w() { return "a".toUpperCase(1) }', 'CT006', '1:23', 'toUpperCase takes 0 arguments, got 1');
    expectOne('workflow w() { return Math.max() }', 'CT006', '1:23', 'Math.max takes at least 1 argument');
    expectOne('task t(a: string, b: number): void\nworkflow w(xs: string[]) {\n  await Promise.all(xs.map(t))\n}', 'CT006', '3:28', "calls 't' with one item");
    expectOne('workflow w(xs: number[]) {\n  xs.sort((a, b) => a - b, 1)\n}', 'CT006', '2:3', 'sort takes 0 to 1 arguments');
    expectOne('function f(a: number, b?: number) { return a }\nworkflow w() {\n  return f()\n}', 'CT006', '3:10', "function 'f' takes 1 to 2 arguments, got 0");
  });

  it('CT007 type mismatches: task arguments, annotations, arithmetic, returns', () => {
    expectOne('task t(a: number): void\nworkflow w() {\n  await t("not a number")\n}', 'CT007', '3:11', "argument 'a' of task 't' must be number");
    expectOne('workflow w() {\n  const n: number = "x"\n}', 'CT007', '2:21', 'cannot assign "x" to number');
    expectOne('workflow w(s: string) {\n  return s - 1\n}', 'CT007', '2:10', "'-' needs numbers, got string");
    expectOne('workflow w(s: string) {\n  return 1 * s\n}', 'CT007', '2:14', "'*' needs numbers");
    expectOne('workflow w(): number {\n  return "x"\n}', 'CT007', '2:10', 'cannot return "x" to number');
    expectOne('workflow w(b: boolean) {\n  return b + 1\n}', 'CT007', '2:10', "'+' needs two numbers or a string");
    expectOne(
      'type P = { ok: boolean }\ntask t(p: P): void\nworkflow w() {\n  await t({ okay: true })\n}',
      'CT007',
      '4:11',
      "field 'ok' is missing",
    );
    expectOne('workflow w(): "a" | "b" {\n  return "c"\n}', 'CT007', '2:10', '"a" | "b"');
    expectOne('workflow w(n: number) {\n  let s = "a"\n  s = n\n}', 'CT007', '3:7', 'cannot assign number to string');
    expectOne('workflow w(mode: "fast" | "slow") {\n  if (mode === "fsat") {}\n}', 'CT007', '2:16', 'this comparison is always false');
    expectOne('workflow w(n: number) {\n  return n !== "1"\n}', 'CT007', '2:16', 'always true');
    expect(codes('workflow w(n: number, s: string | number) {\n  return [1 === 2, n === 1, s === "a", n === s, typeof s === "string"]\n}')).toEqual([]);
  });

  it('CT007 is never reported for any, and null fits every type', () => {
    expect(codes('workflow w(x: any, y) {\n  const n: number = x\n  const s: string = null\n  return x - y + x.foo.bar\n}')).toEqual([]);
  });

  it('CT008 unknown property of an object type, method of a string or array', () => {
    const d = expectOne(
      'type Payment = { success: boolean, error?: string }\ntask pay(): Payment\nworkflow w() {\n  const p = await pay()\n  return p.sucess\n}',
      'CT008',
      '5:12',
      "unknown property 'sucess' of Payment (did you mean 'success'?)",
    );
    expect(d.span.end - d.span.start).toBe('sucess'.length);
    expectOne('workflow w(s: string) {\n  return s.toUpper()\n}', 'CT008', '2:12', "unknown method 'toUpper' of string (did you mean 'toUpperCase'?)");
    expectOne('workflow w(xs: number[]) {\n  return xs.fliter((x) => x > 0)\n}', 'CT008', '2:13', "unknown method 'fliter' of number[] (did you mean 'filter'?)");
    expectOne('workflow w(n: number) {\n  return n.toFixed(2)\n}', 'CT008', '2:12', "unknown method 'toFixed' of number");
    expectOne('workflow w() {\n  return Math.PI\n}', 'CT008', '2:15', "Math has no property 'PI'");
    expectOne('task t(x: number): number\nworkflow w() {\n  const rs = await Promise.allSettled([t(1), t(2)])\n  return rs.lenght\n}', 'CT008', '4:13', "'lenght'");
  });

  it('CT009 await inside a larger expression', () => {
    expectOne('task t(): number\nworkflow w() {\n  const x = 1 + await t()\n}', 'CT009', '3:17', 'await cannot be part of a larger expression');
    expectOne('task t(): number\ntask u(n: number): number\nworkflow w() {\n  return await u(await t())\n}', 'CT009', '4:18', 'await');
    expectOne('task t(): boolean\nworkflow w() {\n  if (await t()) {}\n}', 'CT009', '3:7', 'await');
  });

  it('CT010 unreachable code after return, break and continue (a warning)', () => {
    expectOne('workflow w() {\n  return 1\n  const x = 2\n}', 'CT010', '3:3', 'unreachable code after return', 'warning');
    expectOne('workflow w() {\n  while (true) {\n    break\n    let y = 1\n  }\n}', 'CT010', '4:5', 'after break', 'warning');
    expectOne('workflow w(xs: number[]) {\n  for (const x of xs) {\n    continue\n    let y = 1\n  }\n}', 'CT010', '4:5', 'after continue', 'warning');
    expectOne('workflow w(b: boolean) {\n  if (b) { return 1 } else { return 2 }\n  return 3\n}', 'CT010', '3:3', 'unreachable', 'warning');
  });

  it('CT011 a loop that can spin forever (a warning)', () => {
    expectOne('workflow w() {\n  let i = 0\n  while (true) { i++ }\n}', 'CT011', '3:3', 'can spin forever', 'warning');
    expectOne('workflow w() {\n  let i = 0\n  for (;;) { i++ }\n}', 'CT011', '3:3', 'can spin forever', 'warning');
    // a break of an inner loop does not leave the outer one
    expectOne('workflow w() {\n  while (true) {\n    while (true) { break }\n  }\n}', 'CT011', '2:3', 'spin forever', 'warning');
  });

  it('CT012 missing return for a declared return type', () => {
    expectOne('workflow w(n: number): string {\n  if (n > 0) {\n    return "pos"\n  }\n}', 'CT012', '1:1', "workflow 'w' must return string");
    expectOne('workflow w(n: number): string {\n  return\n}', 'CT012', '2:3', 'return without a value');
    expect(codes('workflow w(n: number): string {\n  if (n > 0) { return "a" } else { return "b" }\n}')).toEqual([]);
    expect(codes('workflow w(): void {\n  let x = 1\n}')).toEqual([]);
  });

  it('CT013 a workflow calling a workflow', () => {
    const d = expectOne('workflow w() {\n  return await w()\n}', 'CT013', '2:16', 'a workflow cannot call a workflow');
    expect(d.hint).toBeDefined();
  });

  it('CT014 invalid task policy keys and values, on declarations and calls', () => {
    expectOne('task t(): void with { retry: 3 }\nworkflow w() { await t() }', 'CT014', '1:23', "unknown task policy key 'retry' (did you mean 'retries'?)");
    expectOne('task t(): void with { timeout: "soon" }\nworkflow w() { await t() }', 'CT014', '1:32', 'invalid duration "soon"');
    expectOne('task t(): void with { retries: 1.5 }\nworkflow w() { await t() }', 'CT014', '1:32', 'retries must be a whole number');
    expectOne('task t(): void with { backoffRate: 0.5 }\nworkflow w() { await t() }', 'CT014', '1:36', 'backoffRate must be a number ≥ 1');
    expectOne('task t(): void with { retries: 1 + 1 }\nworkflow w() { await t() }', 'CT014', '1:32', 'must be a constant literal');
    // a call's policy may be computed (the interpreter evaluates it); its type is still checked
    expect(codes('task t(): void\nworkflow w(n: number) { await t() with { retries: n, timeout: n * 1000 } }')).toEqual([]);
    expectOne('task t(): void\nworkflow w(s: string) { await t() with { retries: s } }', 'CT014', '2:51', 'policy retries must be a number');
    expectOne('workflow w() { await sleep("1s") with { retries: 1 } }', 'CT014', '1:39', 'only applies to a task call');
  });

  it('CT014 nonRetryable / retryOn: lists of non-empty strings, bounded, one of the two', () => {
    expect(codes('task t(): void with { nonRetryable: ["CardDeclined", "Fraud"] }\nworkflow w() { await t() with { retryOn: ["Throttled"] } }')).toEqual([]);
    expect(codes('task t(): void\nworkflow w(xs: string[], x: string) { await t() with { retryOn: xs }\n await t() with { nonRetryable: [x, "A"] } }')).toEqual([]);
    const both = expectOne('task t(): void with { nonRetryable: ["A"], retryOn: ["B"] }\nworkflow w() { await t() }', 'CT014', '1:44', 'use one of nonRetryable or retryOn, not both');
    expect(both.hint).toContain('retryOn lists the only ones that are retried');
    expectOne('task t(): void\nworkflow w() { await t() with { retryOn: ["B"], nonRetryable: [] } }', 'CT014', '2:49', 'use one of nonRetryable or retryOn');
    expectOne('task t(): void with { nonRetryable: "CardDeclined" }\nworkflow w() { await t() }', 'CT014', '1:37', 'must be a constant list of strings');
    expectOne('task t(): void with { nonRetryable: [1] }\nworkflow w() { await t() }', 'CT014', '1:38', 'an error type in nonRetryable must be a string, got 1');
    expectOne('task t(): void with { retryOn: [""] }\nworkflow w() { await t() }', 'CT014', '1:33', 'cannot be empty');
    expectOne(`task t(): void with { retryOn: ["${'x'.repeat(101)}"] }\nworkflow w() { await t() }`, 'CT014', '1:33', 'has 101 characters; at most 100');
    const many = JSON.stringify(Array.from({ length: 51 }, (_, i) => `E${i}`));
    expectOne(`task t(): void with { retryOn: ${many} }\nworkflow w() { await t() }`, 'CT014', '1:32', 'lists 51 error types; at most 50');
    expectOne('task t(): void with { retryOn: ["A" + "B"] }\nworkflow w() { await t() }', 'CT014', '1:33', 'must be a constant list of strings');
    expectOne('task t(): void\nworkflow w(n: number) { await t() with { nonRetryable: n } }', 'CT014', '2:56', 'policy nonRetryable must be a list of error types (strings), got number');
    expectOne('task t(): void\nworkflow w(n: number) { await t() with { retryOn: [n] } }', 'CT014', '2:52', 'an error type in retryOn must be a string, got number');
    expectOne('task t(): void with { retry: ["A"] }\nworkflow w() { await t() }', 'CT014', '1:23', "(did you mean 'retryOn'?)");
    const unknown = expectOne('task t(): void with { retryon: ["A"] }\nworkflow w() { await t() }', 'CT014', '1:23', "unknown task policy key 'retryon' (did you mean 'retryOn'?)");
    expect(unknown.hint).toBe('policy keys are retries, backoff, backoffRate, maxBackoff, timeout, nonRetryable, retryOn');
  });

  it('CT015 invalid await shapes and options', () => {
    expectOne('task t(): number\nworkflow w() {\n  const x = await await t()\n}', 'CT015', '3:19', 'await of an await');
    expectOne('task t(x: number): number\nworkflow w(xs: number[]) {\n  await Promise.all(xs.map(t), { concurrency: 0 })\n}', 'CT015', '3:47', 'concurrency must be a whole number ≥ 1');
    expectOne('task t(x: number): number\nworkflow w(xs: number[]) {\n  await Promise.all(xs.map(t, 1))\n}', 'CT015', '3:21', 'takes the name of a task');
    expectOne('workflow w() {\n  await signal("a", { timeout: "1s", retries: 2 })\n}', 'CT015', '2:38', 'signal options take only timeout');
    expectOne('workflow w() {\n  await signal("a", {})\n}', 'CT015', '2:21', 'signal options must be { timeout: … }');
  });

  it('CT016 break or continue outside a loop', () => {
    expectOne('workflow w() {\n  break\n}', 'CT016', '2:3', 'break outside a loop');
    expectOne('workflow w() {\n  if (true) { continue }\n}', 'CT016', '2:15', 'continue outside a loop');
  });

  it('CT017 invalid assignment targets', () => {
    expectOne('workflow w() {\n  5 = 3\n}', 'CT017', '2:3', 'invalid assignment target');
    expectOne('workflow w() {\n  let o = { a: 1 }\n  o?.a = 2\n}', 'CT017', '3:3', 'cannot assign through ?.');
  });

  it('CT018 unknown type names, with a suggestion', () => {
    expectOne('workflow w(x: Foo) { return x }', 'CT018', '1:15', "unknown type 'Foo'");
    expectOne('type Payment = { ok: boolean }\ntask t(): Paymnet\nworkflow w() { await t() }', 'CT018', '2:11', "did you mean 'Payment'?");
  });

  it('CT019 duplicate types, tasks and parameters', () => {
    expectOne('task t(): void\ntask t(): void\nworkflow w() { await t() }', 'CT019', '2:1', "task 't' is declared twice");
    expectOne('workflow w(a: number, a: number) { return a }', 'CT019', '1:23', "parameter 'a' of workflow 'w' is declared twice");
    expectOne('task t(a: number, a: number): void\nworkflow w() { await t(1, 2) }', 'CT019', '1:19', "parameter 'a' of task 't'");
    expectOne('type A = string\ntype A = number\nworkflow w() {}', 'CT019', '2:1', "type 'A' is declared twice");
  });

  it('CT020 invalid literal durations', () => {
    expectOne('workflow w() {\n  await sleep("5x")\n}', 'CT020', '2:15', 'invalid duration "5x"');
    expectOne('workflow w() {\n  await sleep("4000d")\n}', 'CT020', '2:15', 'at most 3650 days');
    expectOne('workflow w() {\n  await sleep(0)\n}', 'CT020', '2:15', 'more than 0');
    expectOne('workflow w() {\n  await signal("a", { timeout: "soon" })\n}', 'CT020', '2:32', 'invalid duration');
  });

  it('CT022 circular type alias', () => {
    expectOne('type A = B\ntype B = A | string\nworkflow w(a: A) { return a }', 'CT022', '1:1', "type 'A' refers to itself");
  });
});

describe('one pass reports everything', () => {
  it('several errors in one file, sorted by position', () => {
    expect(codes('task t(a: number): void\nworkflow w() {\n  const c = 1\n  c = 2\n  await t("x")\n  return nope\n}')).toEqual([
      'CT003 4:3',
      'CT007 5:11',
      'CT001 6:10',
    ]);
  });

  it('errors in declarations, the body and unreachable code all come back', () => {
    const src = [
      'type P = { ok: boolean }',
      'task t(x: Strng): P with { retires: 2 }',
      'workflow w(): number {',
      '  const p = await t(1)',
      '  p.okk',
      '  return 1',
      '  await sleep("1x")',
      '}',
    ].join('\n');
    expect(codes(src)).toEqual(['CT018 2:11', 'CT014 2:28', 'CT008 5:5', 'CT010 7:3 warning', 'CT020 7:15']);
  });
});
