/**
 * dsl/editor/document.ts: an editor's document gives the diagnostics `compile` gives, and a
 * program at the text's own offsets even while a line does not parse.
 */
import { describe, expect, it } from 'vitest';
import { compile, MAX_SOURCE_LENGTH } from '../../../dsl/index.ts';
import { blankLine, MAX_BLANKED_LINES, openDocument, recoverProgram } from '../../../dsl/editor/document.ts';
import { parse } from '../../../dsl/parser.ts';
import { definitionAt } from '../../../dsl/editor/lookup.ts';
import { ORDER, at } from './fixtures.ts';

const codes = (ds: { code: string; span: { line: number; col: number } }[]) => ds.map((d) => `${d.code} ${d.span.line}:${d.span.col}`);

describe('openDocument', () => {
  it('gives exactly the diagnostics compile gives, for good, wrong and broken texts', () => {
    const texts = [
      ORDER,
      ORDER.replace('await chargeCard(orderId', 'await chargeCrad(orderId'),
      ORDER.replace('const r = rate ?? 0.1', 'const r = rate ?? '),
      ORDER.replace('return amount * r', 'return amount * q').replace('skus.length', 'skus.lenght'),
      'workflow w() { while (true) {} }',
      '',
    ];
    for (const text of texts) {
      const doc = openDocument(text, 'order.workflow');
      expect(doc.diagnostics, text.slice(0, 40)).toEqual(compile(text, 'order.workflow').diagnostics);
    }
  });

  it('has a complete program and its analysis when the text parses', () => {
    const doc = openDocument(ORDER, 'order.workflow');
    expect(doc.partial).toBe(false);
    expect(doc.program!.source).toBe(ORDER);
    expect(doc.analysis).toBeDefined();
  });

  it('blanks the broken line so lookups keep working at the same offsets', () => {
    const text = ORDER.replace('  for (const sku of skus) {', '  const broken = = 1\n  for (const sku of skus) {');
    const doc = openDocument(text, 'order.workflow');
    expect(codes(doc.diagnostics)).toEqual(['CS001 14:18']);
    expect(doc.partial).toBe(true);
    expect(doc.program!.source).toBe(text);
    const d = definitionAt(doc.program!, at(text, 'shipOrder(orderId', 1, 1))!;
    expect(d.binding.kind).toBe('task');
    expect(text.slice(d.binding.span.start, d.binding.span.end)).toBe('shipOrder');
  });

  it('takes the recovering parser\'s partial program: every broken line reported, the rest checked', () => {
    const lines = ORDER.split('\n');
    const broken = (n: number) => lines.map((l, i) => (i >= 11 && i < 11 + n ? `${l} )(` : l)).join('\n');
    const doc = openDocument(broken(MAX_BLANKED_LINES + 1));
    expect(doc.program).toBeDefined();
    expect(doc.partial).toBe(true);
    // the same list compile gives: syntax errors past the first one, and the checker's findings
    expect(codes(doc.diagnostics)).toEqual(codes(compile(broken(MAX_BLANKED_LINES + 1)).diagnostics));
    expect(doc.diagnostics.filter((d) => d.code === 'CS001').length).toBeGreaterThan(1);
    expect(doc.diagnostics.some((d) => d.code.startsWith('CT'))).toBe(true);
  });

  it('recoverProgram blanks several broken lines, one parse each, up to MAX_BLANKED_LINES', () => {
    const lines = ORDER.split('\n');
    const broken = (n: number) => lines.map((l, i) => (i >= 11 && i < 11 + n ? `${l} )(` : l)).join('\n');
    const first = (t: string) => parse(t, 'w.workflow').diagnostics;
    expect(recoverProgram(broken(2), 'w.workflow', first(broken(2)))).toBeDefined();
    expect(recoverProgram(broken(MAX_BLANKED_LINES + 1), 'w.workflow', first(broken(MAX_BLANKED_LINES + 1)))).toBeUndefined();
  });

  it('gives no program, only the diagnostic, for a text over the size limit or nested too deeply', () => {
    const big = openDocument('x'.repeat(MAX_SOURCE_LENGTH + 1));
    expect(codes(big.diagnostics)).toEqual(['CS005 1:1']);
    expect(big.program).toBeUndefined();
    const deep = openDocument(`workflow w() { return ${'('.repeat(5000)}1${')'.repeat(5000)} }`);
    expect(deep.diagnostics.map((d) => d.code)).toEqual(['CS006']);
    expect(deep.program).toBeUndefined();
  });

  it('never throws, whatever the text', () => {
    for (const text of ['\u0000\uffff', '}'.repeat(1000), '`${'.repeat(300), '/*', 'workflow', 'task t(\n'.repeat(200)]) {
      expect(() => openDocument(text)).not.toThrow();
    }
  });
});

describe('blankLine', () => {
  it('keeps every offset and the line breaks', () => {
    const t = 'a\r\nbc d\r\ne';
    expect(blankLine(t, 2)).toBe('a\r\n    \r\ne');
    expect(blankLine(t, 9)).toBe(t);
  });
});
