/** dsl/editor/hover.ts: what an editor shows over a name — kind and type, narrowed where it stands. */
import { describe, expect, it } from 'vitest';
import { openDocument } from '../../../dsl/editor/document.ts';
import { hoverAt } from '../../../dsl/editor/hover.ts';
import { ORDER, at } from './fixtures.ts';

const doc = openDocument(ORDER, 'order.workflow');
const hover = (needle: string, delta = 0, nth = 0) => hoverAt(doc.program!, doc.analysis, at(ORDER, needle, delta, nth));
const code = (needle: string, delta = 0, nth = 0) => hover(needle, delta, nth)?.code;

describe('hoverAt', () => {
  it('shows variables and parameters with their types', () => {
    expect(code('payment = await', 2)).toBe('const payment: Payment');
    expect(code('orderId, amount +', 2)).toBe('(parameter) orderId: string');
    expect(code('amount: number, lines', 1)).toBe('(parameter) amount: number');
    expect(code('skus = lines')).toBe('const skus: string[]');
    expect(code('(l) =>', 1)).toBe('(parameter) l: { sku: string, qty: number }');
    expect(code('e.message')).toBe('(catch) e: any');
    expect(code('rate ??')).toBe('(parameter) rate: number');
  });

  it('shows the declaration of tasks, helpers, types and the workflow', () => {
    expect(code('chargeCard(orderId', 0, 1)).toBe('task chargeCard(orderId: string, amount: number): Payment with { retries: 3 }');
    expect(hover('chargeCard(orderId', 0, 1)?.doc).toMatch(/task/);
    expect(code('fee(amount)')).toBe('function fee(amount: number, rate?: number): number');
    expect(code('Payment with')).toBe('type Payment = { success: boolean, paymentId?: string, error?: string }');
    expect(code('processOrder')).toBe('workflow processOrder(orderId: string, amount: number, lines: { sku: string, qty: number }[]): string');
  });

  it('shows properties with their types, narrowed where they stand', () => {
    expect(code('trackingId ??')).toBe('(property) trackingId: string | null');
    expect(code('success)', 1)).toBe('(property) success: boolean');
    expect(code('l.sku', 2)).toBe('(property) sku: string');
    const narrowed = openDocument(`type R = { status: "ok", value: number } | { status: "failed", reason: string }
task t(): R
workflow w(): any {
  const r = await t()
  if (r.status === "failed") return r.reason
  return r.value
}`);
    const h = (needle: string) => hoverAt(narrowed.program!, narrowed.analysis, at(narrowed.source, needle))?.code;
    expect(h('reason\n')).toBe('(property) reason: string');
    expect(h('r.value')).toBe('const r: { status: "ok", value: number }');
  });

  it('shows methods and built-ins with their signatures', () => {
    expect(code('toUpperCase')).toBe('(method) string.toUpperCase(): string');
    expect(code('filter(')).toMatch(/^\(method\) array\.filter\(/);
    expect(code('log(sku)')).toBe('function console.log(...values: any[]): null');
    expect(code('console')).toBe('namespace console');
  });

  it('covers exactly the name hovered', () => {
    const h = hover('trackingId ??', 3)!;
    expect(ORDER.slice(h.span.start, h.span.end)).toBe('trackingId');
    const v = hover('payment.error', 2)!;
    expect(ORDER.slice(v.span.start, v.span.end)).toBe('payment');
  });

  it('gives nothing for keywords, literals, punctuation and spaces', () => {
    expect(hover('return shipment', 2)).toBeUndefined();
    expect(hover('"none"', 2)).toBeUndefined();
    expect(hover('0.1')).toBeUndefined();
    expect(hover('\n\nfunction')).toBeUndefined();
  });
});
