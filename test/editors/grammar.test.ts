/**
 * The TextMate grammar of the VS Code extension (editors/vscode/syntaxes/workflow.tmLanguage.json),
 * run by the engine VS Code itself uses (vscode-textmate with the Oniguruma regex library compiled
 * to WebAssembly): a sample workflow is tokenised and the scopes of its tokens are checked.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
// Both are CommonJS: required, so their named exports are there whatever the ESM interop.
const oniguruma = require('vscode-oniguruma') as typeof import('vscode-oniguruma');
const vsctm = require('vscode-textmate') as typeof import('vscode-textmate');
const ROOT = join(import.meta.dirname, '../..');
const GRAMMAR = join(ROOT, 'editors/vscode/syntaxes/workflow.tmLanguage.json');

let grammar: import("vscode-textmate").IGrammar;

beforeAll(async () => {
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (s: string[]) => new oniguruma.OnigScanner(s), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
    loadGrammar: async (scopeName) => (scopeName === 'source.currant' ? vsctm.parseRawGrammar(readFileSync(GRAMMAR, 'utf8'), GRAMMAR) : null),
  });
  grammar = (await registry.loadGrammar('source.currant'))!;
});

interface Token {
  start: number;
  end: number;
  scopes: string[];
}

/** The tokens of each line of `source` (0-based line index). */
function tokenize(source: string): { lines: string[]; tokens: Token[][] } {
  let state = vsctm.INITIAL;
  const lines = source.split('\n');
  const tokens = lines.map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens.map((t) => ({ start: t.startIndex, end: t.endIndex, scopes: t.scopes }));
  });
  return { lines, tokens };
}

/**
 * The scopes of the token under the first character of `needle` on line `line` (1-based), its
 * `nth` occurrence on that line; innermost last.
 */
function scopesAt(t: ReturnType<typeof tokenize>, line: number, needle: string, nth = 0): string[] {
  const text = t.lines[line - 1]!;
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' not on line ${line}: ${text}`);
  }
  return t.tokens[line - 1]!.find((k) => k.start <= at && at < k.end)!.scopes;
}

/** The innermost scope there. */
function scopeOf(t: ReturnType<typeof tokenize>, needle: string, opts: { line: number; nth?: number }): string {
  const s = scopesAt(t, opts.line, needle, opts.nth);
  return s[s.length - 1]!;
}

const SAMPLE = `// order.workflow
type Payment = { success: boolean, paymentId?: string, status: "ok" | "failed" }
task chargeCard(orderId: string, amount: number): Payment with { retries: 3, timeout: "30s" }
/* a helper,
   over two lines */
function fee(amount: number, rate?: number): number {
  return amount * 0.1
}
workflow processOrder(orderId: string, items: Item[]): { ok: boolean } {
  const payment = await chargeCard(orderId, 25) with { retries: 0 }
  let total: number = 0
  if (!payment.success) return \`failed: \${payment.error ?? "none"} \\n\`
  const names = items.map((item, i) => item.name.trim()).filter(n => n !== null)
  await sleep("5m")
  const d = await signal("approve", { timeout: "2d" })
  console.log(Math.max(1, 2), true, null, 0x1F)
  for (const x of items) { total += x.qty }
  return typeof d === 'string' ? "yes" : "no"
}`;

describe('TextMate grammar', () => {
  it('scopes declarations, parameters, annotations and types', () => {
    const t = tokenize(SAMPLE);
    expect(scopesAt(t, 1, 'order.workflow')).toContain('comment.line.double-slash.currant');
    expect(scopeOf(t, 'type', { line: 2 })).toBe('storage.type.type.currant');
    expect(scopeOf(t, 'Payment', { line: 2 })).toBe('entity.name.type.alias.currant');
    expect(scopeOf(t, 'success', { line: 2 })).toBe('variable.object.property.currant');
    expect(scopeOf(t, 'boolean', { line: 2 })).toBe('support.type.primitive.currant');
    expect(scopesAt(t, 2, '"ok"')).toContain('string.quoted.double.currant');
    expect(scopeOf(t, 'task', { line: 3 })).toBe('storage.type.task.currant');
    expect(scopeOf(t, 'chargeCard', { line: 3 })).toBe('entity.name.function.task.currant');
    expect(scopeOf(t, 'orderId', { line: 3 })).toBe('variable.parameter.currant');
    expect(scopeOf(t, 'string', { line: 3 })).toBe('support.type.primitive.currant');
    expect(scopeOf(t, 'Payment', { line: 3 })).toBe('entity.name.type.currant');
    expect(scopeOf(t, 'with', { line: 3 })).toBe('keyword.other.with.currant');
    expect(scopeOf(t, 'retries', { line: 3 })).toBe('meta.object-literal.key.currant');
    expect(scopesAt(t, 5, 'over two')).toContain('comment.block.currant');
    expect(scopeOf(t, 'fee', { line: 6 })).toBe('entity.name.function.function.currant');
    expect(scopeOf(t, 'rate', { line: 6 })).toBe('variable.parameter.currant');
    expect(scopeOf(t, '?', { line: 6 })).toBe('keyword.operator.optional.currant');
    expect(scopeOf(t, 'processOrder', { line: 9 })).toBe('entity.name.function.workflow.currant');
    expect(scopeOf(t, 'Item', { line: 9 })).toBe('entity.name.type.currant');
    expect(scopeOf(t, 'ok', { line: 9 })).toBe('variable.object.property.currant');
    expect(scopeOf(t, 'total', { line: 11 })).toBe('variable.other.constant.currant');
    expect(scopeOf(t, 'number', { line: 11 })).toBe('support.type.primitive.currant');
  });

  it('scopes statements and expressions', () => {
    const t = tokenize(SAMPLE);
    expect(scopeOf(t, 'const', { line: 10 })).toBe('storage.type.currant');
    expect(scopeOf(t, 'payment', { line: 10 })).toBe('variable.other.constant.currant');
    expect(scopeOf(t, 'await', { line: 10 })).toBe('keyword.control.flow.currant');
    expect(scopeOf(t, 'chargeCard', { line: 10 })).toBe('entity.name.function.currant');
    expect(scopeOf(t, '25', { line: 10 })).toBe('constant.numeric.decimal.currant');
    expect(scopeOf(t, 'if', { line: 12 })).toBe('keyword.control.conditional.currant');
    expect(scopeOf(t, 'success', { line: 12 })).toBe('variable.other.property.currant');
    expect(scopeOf(t, '`', { line: 12 })).toBe('punctuation.definition.string.template.begin.currant');
    expect(scopeOf(t, '${', { line: 12 })).toBe('punctuation.definition.template-expression.begin.currant');
    expect(scopeOf(t, 'error', { line: 12 })).toBe('variable.other.property.currant');
    expect(scopesAt(t, 12, 'none')).toContain('string.quoted.double.currant');
    expect(scopeOf(t, '\\n', { line: 12 })).toBe('constant.character.escape.currant');
    expect(scopeOf(t, 'map', { line: 13 })).toBe('entity.name.function.member.currant');
    expect(scopeOf(t, 'item,', { line: 13 })).toBe('variable.parameter.currant');
    expect(scopeOf(t, 'i)', { line: 13 })).toBe('variable.parameter.currant');
    expect(scopeOf(t, '=>', { line: 13 })).toBe('storage.type.function.arrow.currant');
    expect(scopeOf(t, 'n =>', { line: 13 })).toBe('variable.parameter.currant');
    expect(scopeOf(t, '!==', { line: 13 })).toBe('keyword.operator.comparison.currant');
    expect(scopeOf(t, 'sleep', { line: 14 })).toBe('support.function.builtin.currant');
    expect(scopeOf(t, 'signal', { line: 15 })).toBe('support.function.builtin.currant');
    expect(scopeOf(t, 'timeout', { line: 15 })).toBe('meta.object-literal.key.currant');
    expect(scopeOf(t, 'console', { line: 16 })).toBe('support.class.builtin.currant');
    expect(scopeOf(t, 'Math', { line: 16 })).toBe('support.class.builtin.currant');
    expect(scopeOf(t, 'true', { line: 16 })).toBe('constant.language.boolean.currant');
    expect(scopeOf(t, 'null', { line: 16 })).toBe('constant.language.null.currant');
    expect(scopeOf(t, '0x1F', { line: 16 })).toBe('constant.numeric.hex.currant');
    expect(scopeOf(t, 'for', { line: 17 })).toBe('keyword.control.loop.currant');
    expect(scopeOf(t, 'of', { line: 17 })).toBe('keyword.control.loop.currant');
    expect(scopeOf(t, '+=', { line: 17 })).toBe('keyword.operator.assignment.compound.currant');
    expect(scopeOf(t, 'typeof', { line: 18 })).toBe('keyword.operator.expression.currant');
    expect(scopesAt(t, 18, "string'")).toContain('string.quoted.single.currant');
    expect(scopeOf(t, '?', { line: 18 })).toBe('keyword.operator.ternary.currant');
  });

  it('tells a spread from a property access', () => {
    const t = tokenize('const b = [...kept, a.b]');
    expect(scopeOf(t, '...', { line: 1 })).toBe('keyword.operator.spread.currant');
    expect(scopeOf(t, 'kept', { line: 1 })).toBe('variable.other.readwrite.currant');
    expect(scopeOf(t, 'b]', { line: 1 })).toBe('variable.other.property.currant');
  });

  it('scopes the TypeScript syntax: switch, as/satisfies, logical and power assignments, interfaces', () => {
    const t = tokenize(`interface Decision { readonly ok: boolean }
workflow w(x: any): number {
  switch (x.kind as string) { case "a": break; default: x.n ??= 2 ** 3 }
  return x satisfies Decision ? 1 : 0
}`);
    expect(scopeOf(t, 'interface', { line: 1 })).toBe('storage.type.currant');
    expect(scopeOf(t, 'switch', { line: 3 })).toBe('keyword.control.conditional.currant');
    expect(scopeOf(t, 'case', { line: 3 })).toBe('keyword.control.conditional.currant');
    expect(scopeOf(t, 'default', { line: 3 })).toBe('keyword.control.conditional.currant');
    expect(scopeOf(t, 'as', { line: 3 })).toBe('keyword.operator.expression.currant');
    expect(scopeOf(t, '??=', { line: 3 })).toBe('keyword.operator.assignment.compound.currant');
    expect(scopeOf(t, '**', { line: 3 })).toBe('keyword.operator.arithmetic.currant');
    expect(scopeOf(t, 'satisfies', { line: 4 })).toBe('keyword.operator.expression.currant');
  });

  it('ends every region: the line after a workflow is plain code again', () => {
    const t = tokenize(`${SAMPLE}\nconst after = 1`);
    expect(scopesAt(t, t.lines.length, 'after')).toEqual(['source.currant', 'variable.other.constant.currant']);
    // An unterminated string stops at the end of its line.
    const u = tokenize('const s = "open\nconst t = 1');
    expect(scopesAt(u, 2, 't =')).toEqual(['source.currant', 'variable.other.constant.currant']);
  });

  it('tokenises every example workflow of the repository, ending outside any region', () => {
    const files = ['order/order.workflow', 'approval/approval.workflow', 'fanout/fanout.workflow', 'fanin/fanin.workflow', 'polling/polling.workflow', 'saga/saga.workflow', 'flaky/flaky.workflow', 'mixed/mixed.workflow', ...readdirSync(join(ROOT, 'examples')).flatMap((d) => (existsSync(join(ROOT, 'examples', d, `${d}.workflow`)) ? [`${d}/${d}.workflow`] : []))];
    for (const file of files) {
      const t = tokenize(`${readFileSync(join(ROOT, 'examples', file), 'utf8')}\nconst after = 1`);
      expect(scopesAt(t, t.lines.length, 'after'), file).toEqual(['source.currant', 'variable.other.constant.currant']);
    }
  });
});
