/**
 * dsl/editor/complete.ts: what may be typed at an offset, found even though the text being typed
 * rarely parses (`payment.` is a syntax error), and never inside comments or strings.
 */
import { describe, expect, it } from 'vitest';
import { openDocument } from '../../../dsl/editor/document.ts';
import { completeAt, inCommentOrString } from '../../../dsl/editor/complete.ts';
import { ORDER } from './fixtures.ts';
import { deploymentOf } from '../../../dsl/index.ts';

/** The text with `line` inserted before the line holding `before`, and the offset at the end of `line` (or at `|` in it). */
function typing(line: string, before: string, base = ORDER): { text: string; offset: number } {
  const i = base.indexOf(before);
  const lineStart = base.lastIndexOf('\n', i) + 1;
  const cursor = line.includes('|') ? line.indexOf('|') : line.length;
  const clean = line.replace('|', '');
  return { text: base.slice(0, lineStart) + clean + '\n' + base.slice(lineStart), offset: lineStart + cursor };
}

function complete(line: string, before: string, opts: { base?: string; lastGood?: string } = {}) {
  const { text, offset } = typing(line, before, opts.base);
  const r = completeAt(openDocument(text, 'order.workflow'), offset, opts.lastGood === undefined ? undefined : openDocument(opts.lastGood, 'order.workflow'));
  return { ...r, labels: r.items.map((i) => i.label), detail: (label: string) => r.items.find((i) => i.label === label)?.detail, kind: (label: string) => r.items.find((i) => i.label === label)?.kind };
}

const AFTER_PAYMENT = '  const skus';

describe('completeAt after a dot', () => {
  it('offers the fields of a known object type, with their types', () => {
    const r = complete('  const x = payment.', AFTER_PAYMENT);
    expect(r.how).toBe('parse');
    expect(r.labels).toEqual(['error', 'paymentId', 'success']);
    expect(r.detail('success')).toBe('boolean');
    expect(r.detail('error')).toBe('string (optional)');
    expect(r.kind('success')).toBe('property');
  });

  it('works on an unclosed line and with a prefix typed', () => {
    expect(complete('  if (payment.su', AFTER_PAYMENT).labels).toEqual(['error', 'paymentId', 'success']);
    const r = complete('  if (payment.su', AFTER_PAYMENT);
    expect(r.from).toBe(typing('  if (payment.su', AFTER_PAYMENT).offset - 2);
  });

  it('works while another line of the file is broken', () => {
    const base = ORDER.replace('  for (const sku of skus) {', '  const broken = = 1\n  for (const sku of skus) {');
    const r = complete('  const x = payment.', AFTER_PAYMENT, { base });
    expect(r.how).toBe('parse');
    expect(r.labels).toEqual(['error', 'paymentId', 'success']);
  });

  it('offers the methods of strings and arrays, and length', () => {
    const arr = complete('  const n = lines.', AFTER_PAYMENT);
    expect(arr.labels).toEqual(expect.arrayContaining(['length', 'map', 'filter', 'push', 'join']));
    expect(arr.kind('map')).toBe('method');
    expect(arr.detail('length')).toBe('number');
    const str = complete('  const n = orderId.', AFTER_PAYMENT);
    expect(str.labels).toEqual(expect.arrayContaining(['length', 'toUpperCase', 'trim', 'padStart']));
    expect(str.labels).not.toContain('map');
    expect(str.detail('trim')).toBe('trim(): string');
  });

  it('offers what a narrowed type has', () => {
    const base = `type R = { status: "ok", value: number } | { status: "failed", reason: string }
task t(): R
workflow w(): any {
  const r = await t()
  if (r.status === "failed") {
    return null
  }
  return null
}`;
    expect(complete('    const x = r.', '    return null', { base }).labels).toEqual(['reason', 'status']);
    // After the early return, r is the other member.
    expect(complete('  const x = r.', '  return null\n}', { base }).labels).toEqual(['status', 'value']);
  });

  it("offers a namespace's functions", () => {
    const r = complete('  const m = Math.', AFTER_PAYMENT);
    expect(r.labels).toEqual(['abs', 'ceil', 'floor', 'round', 'max', 'min', 'pow', 'sqrt', 'trunc', 'sign']);
    expect(r.detail('max')).toBe('Math.max(first: number, ...rest: number[]): number');
    expect(complete('  await Promise.', AFTER_PAYMENT).labels).toEqual(expect.arrayContaining(['all', 'allSettled']));
  });

  it('offers nothing for a value of unknown type', () => {
    expect(complete('  const m = JSON.parse("{}").', AFTER_PAYMENT).labels).toEqual([]);
  });
});

describe('completeAt at the start of an expression', () => {
  it('offers variables declared before, tasks, helpers, built-ins and keywords', () => {
    const r = complete('  const x = |', AFTER_PAYMENT);
    expect(r.labels.slice(0, 4)).toEqual(['payment', 'orderId', 'amount', 'lines']);
    expect(r.labels).not.toContain('skus'); // declared further down
    expect(r.labels).not.toContain('x'); // being declared
    expect(r.labels).toEqual(expect.arrayContaining(['chargeCard', 'shipOrder', 'fee', 'sleep', 'signal', 'now', 'Math', 'console', 'await', 'const']));
    expect(r.detail('payment')).toBe('Payment');
    expect(r.detail('orderId')).toBe('string');
    expect(r.detail('chargeCard')).toBe('task chargeCard(orderId: string, amount: number): Payment with { retries: 3 }');
    expect(r.kind('chargeCard')).toBe('task');
  });

  it('answers from the document itself when the text parses with the word typed (no second parse)', () => {
    const r = complete('  const x = pay', AFTER_PAYMENT);
    expect(r.how).toBe('document');
    expect(r.labels[0]).toBe('payment');
    expect(r.from).toBe(typing('  const x = pay', AFTER_PAYMENT).offset - 3);
    expect(complete('  const x = payment.succ', AFTER_PAYMENT)).toMatchObject({ how: 'document', labels: ['error', 'paymentId', 'success'] });
  });

  it('in a callback: the callback parameters, no tasks and no awaits', () => {
    const base = ORDER.replace('.map((l) => l.sku.toUpperCase())', '.map((l) => l.sku.toUpperCase() + )');
    const i = base.indexOf('+ )') + 2;
    const r = completeAt(openDocument(base), i);
    expect(r.items.map((x) => x.label).slice(0, 2)).toEqual(['l', 'payment']);
    expect(r.items.map((x) => x.label)).not.toContain('chargeCard');
    expect(r.items.map((x) => x.label)).not.toContain('sleep');
  });

  it('in a helper: its own names, other helpers, no workflow variables and not itself', () => {
    const r = complete('  const y = |', '  return amount * r');
    expect(r.labels.slice(0, 3)).toEqual(['r', 'amount', 'rate']);
    expect(r.labels).not.toContain('payment');
    expect(r.labels).not.toContain('fee');
    expect(r.labels).not.toContain('chargeCard');
  });

  it('inside a template expression', () => {
    const r = complete('  const s = `${pay|}`', AFTER_PAYMENT);
    expect(r.labels[0]).toBe('payment');
  });

  it('offers types in a type annotation', () => {
    const r = complete('  let t: P', AFTER_PAYMENT);
    expect(r.labels).toEqual(['Payment', 'string', 'number', 'boolean', 'null', 'any', 'void', 'Array']);
    expect(r.kind('Payment')).toBe('type');
  });

  it('offers nothing where a new name is declared, in comments and in strings', () => {
    expect(complete('  const pa', AFTER_PAYMENT).labels).toEqual([]);
    expect(complete('  // payment', AFTER_PAYMENT).how).toBe('none');
    expect(complete('  /* pay', AFTER_PAYMENT).labels).toEqual([]);
    expect(complete('  const s = "pay', AFTER_PAYMENT).labels).toEqual([]);
    expect(complete('  const s = `a ${x} pay', AFTER_PAYMENT).labels).toEqual([]);
  });
});

describe('completeAt when the text cannot be parsed', () => {
  const hopeless = (line: string) => ORDER.replace(AFTER_PAYMENT, `${line}\n  ) ( ) (\n  ] [ ] [\n  } }\n  ( (\n  [ [\n${AFTER_PAYMENT}`);

  it('after a dot: the same name chain in the last version that parsed', () => {
    const text = hopeless('  const x = payment.');
    const offset = text.indexOf('payment.\n') + 'payment.'.length;
    const r = completeAt(openDocument(text), offset, openDocument(ORDER));
    expect(r.how).toBe('lastGood');
    expect(r.items.map((i) => i.label)).toEqual(['error', 'paymentId', 'success']);
  });

  it('elsewhere: the document program or the last good one, else names found in the text', () => {
    const text = hopeless('  const x = pay');
    const offset = text.indexOf('= pay\n') + '= pay'.length;
    // The parser recovers past the broken lines: the document's own partial program answers.
    const own = completeAt(openDocument(text), offset, openDocument(ORDER));
    expect(own.how).toBe('document');
    expect(own.items.map((i) => i.label)).toContain('payment');
    // Where nothing parses at all, the last good version answers, else the names in the text.
    const nothing = { ...openDocument(text), program: undefined, analysis: undefined };
    const withGood = completeAt(nothing, offset, openDocument(ORDER));
    expect(withGood.how).toBe('lastGood');
    expect(withGood.items.map((i) => i.label)).toContain('payment');
    const textOnly = completeAt(nothing, offset);
    expect(textOnly.how).toBe('text');
    expect(textOnly.items.map((i) => i.label)).toEqual(expect.arrayContaining(['payment', 'chargeCard', 'fee', 'sleep', 'const']));
  });

  it('answers for huge and hostile texts without throwing', () => {
    const huge = `workflow w() {\n${'  const a = 1\n'.repeat(20000)}  a.\n}`;
    const r = completeAt(openDocument(huge), huge.length - 2);
    expect(r.how).toBe('text');
    for (const t of ['', '.', '...', '`${', '/*', '"\\', '\u0000']) expect(() => completeAt(openDocument(t), t.length)).not.toThrow();
  });
});

describe('inCommentOrString', () => {
  it('knows comments, strings, escapes and template expressions', () => {
    const t = 'a // b\nc /* d */ e "f\\"g" h `i ${ {j: k} } l` m';
    const inside = (needle: string) => inCommentOrString(t, t.indexOf(needle));
    expect(['a', 'c', 'e', 'h', 'j', 'k', 'm'].map(inside)).toEqual([false, false, false, false, false, false, false]);
    expect(['b', 'd', 'f', 'g', 'i', 'l'].map(inside)).toEqual([true, true, true, true, true, true]);
  });
});

describe('completeAt after workflows.', () => {
  const deployment = deploymentOf([
    { file: 'charge.workflow', source: 'type Receipt = { id: string }\nworkflow charge(orderId: string, amount: number): Receipt { return { id: orderId } }' },
    { file: 'notify.workflow', source: 'workflow notify(to: string) { }' },
  ]);
  const text = 'workflow order(id: string): any {\n  const r = await workflows.\n  return r\n}';
  const offset = text.indexOf('workflows.') + 'workflows.'.length;

  it("offers the deployment's workflows with the input they take", () => {
    const r = completeAt(openDocument(text, 'order.workflow', { workflows: deployment }), offset);
    expect(r.items).toEqual([
      { label: 'charge', kind: 'function', detail: '({ orderId: string, amount: number }) => { id: string }' },
      { label: 'notify', kind: 'function', detail: '({ to: string }) => any' },
    ]);
  });

  it('offers nothing of the kind without a deployment, or where a variable named workflows hides it', () => {
    expect(completeAt(openDocument(text, 'order.workflow'), offset).items.map((i) => i.label)).not.toContain('charge');
    const hidden = 'workflow order(id: string): any {\n  const workflows = { a: 1 }\n  const r = workflows.\n  return r\n}';
    const at = hidden.lastIndexOf('workflows.') + 'workflows.'.length;
    expect(completeAt(openDocument(hidden, 'order.workflow', { workflows: deployment }), at).items.map((i) => i.label)).not.toContain('charge');
  });
});
