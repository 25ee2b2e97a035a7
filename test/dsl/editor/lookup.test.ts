/**
 * dsl/editor/lookup.ts: the nodes at an offset, the names in scope there, and what a name refers
 * to — resolved as the checker resolves it.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../../dsl/parser.ts';
import { declarations, definitionAt, nodeAt, nodePathAt, scopeAt } from '../../../dsl/editor/lookup.ts';
import { ORDER, at } from './fixtures.ts';

const program = parse(ORDER, 'order.workflow').program!;
const lineOf = (offset: number) => ORDER.slice(0, offset).split('\n').length;
const textOf = (s: { start: number; end: number }) => ORDER.slice(s.start, s.end);

describe('nodePathAt / nodeAt', () => {
  it('goes from the program down to the innermost node holding the offset', () => {
    expect(nodePathAt(program, at(ORDER, 'chargeCard(orderId', 3, 1)).map((n) => n.kind)).toEqual(['Program', 'WorkflowDecl', 'Block', 'VarDecl', 'Await', 'Call', 'Identifier']);
    expect(nodeAt(program, at(ORDER, 'l.sku', 3)).kind).toBe('Member');
  });

  it('counts the offset just after a name as on it (where the cursor stands after typing it)', () => {
    const n = nodeAt(program, at(ORDER, 'payment.success', 7));
    expect(n.kind === 'Identifier' && n.name).toBe('payment');
  });

  it('gives just the program outside every declaration', () => {
    expect(nodePathAt(program, ORDER.length).map((n) => n.kind)).toEqual(['Program']);
  });
});

describe('scopeAt', () => {
  it('lists the variables and parameters in scope, innermost first, each name once', () => {
    const names = scopeAt(program, at(ORDER, 'e.message')).map((b) => `${b.kind} ${b.name}`);
    expect(names).toEqual(['catch e', 'const payment', 'const skus', 'param orderId', 'param amount', 'param lines']);
  });

  it('with declaredBefore, only names declared before the offset, not the one being declared', () => {
    const inInit = at(ORDER, 'await chargeCard(orderId');
    expect(scopeAt(program, inInit, { declaredBefore: true }).map((b) => b.name)).toEqual(['orderId', 'amount', 'lines']);
    expect(scopeAt(program, inInit).map((b) => b.name)).toContain('skus'); // declared later in the block
  });

  it('gives a callback its parameters and the variables around it', () => {
    expect(scopeAt(program, at(ORDER, 'l.sku'), { declaredBefore: true }).map((b) => b.name)).toEqual(['l', 'payment', 'orderId', 'amount', 'lines']);
  });

  it('gives a helper only its own parameters and locals', () => {
    expect(scopeAt(program, at(ORDER, 'amount * r'), { declaredBefore: true }).map((b) => b.name)).toEqual(['r', 'amount', 'rate']);
  });

  it('scopes a for…of binding to its body and a try block to itself', () => {
    expect(scopeAt(program, at(ORDER, 'console.log(sku)')).map((b) => b.name)[0]).toBe('sku');
    expect(scopeAt(program, at(ORDER, 'return shipment')).map((b) => b.name)[0]).toBe('shipment');
    expect(scopeAt(program, at(ORDER, 'e.message')).map((b) => b.name)).not.toContain('shipment');
  });

  it('gives a node id for typed declarations and none for the workflow parameters', () => {
    const [l, , orderId] = scopeAt(program, at(ORDER, 'l.sku'), { declaredBefore: true });
    expect(l!.nodeId).toBeTypeOf('number');
    expect(orderId!.nodeId).toBeUndefined();
    expect(textOf(orderId!.span)).toBe('orderId');
    expect(textOf(orderId!.declaration)).toBe('orderId: string');
  });
});

describe('definitionAt', () => {
  it('takes a task call to the task declaration', () => {
    const d = definitionAt(program, at(ORDER, 'chargeCard(orderId', 2, 1))!;
    expect(d.binding.kind).toBe('task');
    expect(textOf(d.binding.span)).toBe('chargeCard');
    expect(lineOf(d.binding.span.start)).toBe(2);
    expect(textOf(d.usage)).toBe('chargeCard');
  });

  it('takes a helper call to the helper, a type reference to the alias', () => {
    expect(lineOf(definitionAt(program, at(ORDER, 'fee(amount)'))!.binding.span.start)).toBe(5);
    const t = definitionAt(program, at(ORDER, 'Payment with', 1))!;
    expect(t.binding.kind).toBe('type');
    expect(textOf(t.binding.span)).toBe('Payment');
  });

  it('takes a variable to its declaration, in the innermost scope', () => {
    const d = definitionAt(program, at(ORDER, 'payment.error', 1))!;
    expect(d.binding.kind).toBe('const');
    expect(lineOf(d.binding.span.start)).toBe(11);
    // `amount` inside the helper is the helper's parameter, not the workflow's.
    const inner = definitionAt(program, at(ORDER, 'amount * r'))!;
    expect(inner.binding.kind).toBe('param');
    expect(lineOf(inner.binding.span.start)).toBe(5);
    const outer = definitionAt(program, at(ORDER, 'orderId, amount +', 9))!;
    expect(lineOf(outer.binding.span.start)).toBe(10);
  });

  it('on a declared name gives that declaration (parameters, patterns, tasks)', () => {
    expect(definitionAt(program, at(ORDER, 'task shipOrder', 6))!.binding.kind).toBe('task');
    expect(definitionAt(program, at(ORDER, '(l) =>', 1))!.binding.kind).toBe('param');
    expect(definitionAt(program, at(ORDER, 'sku of', 0))!.binding.kind).toBe('const');
    expect(definitionAt(program, at(ORDER, 'e) {'))!.binding.kind).toBe('catch');
    const p = definitionAt(program, at(ORDER, 'amount: number, lines', 2))!;
    expect(p.binding.kind).toBe('param');
    expect(textOf(p.usage)).toBe('amount');
  });

  it('is undefined for built-ins, properties, literals and keywords', () => {
    expect(definitionAt(program, at(ORDER, 'console'))).toBeUndefined();
    expect(definitionAt(program, at(ORDER, 'success)', 1))).toBeUndefined();
    expect(definitionAt(program, at(ORDER, '"none"', 1))).toBeUndefined();
    expect(definitionAt(program, at(ORDER, 'return shipment', 1))).toBeUndefined();
  });
});

describe('declarations', () => {
  it('lists the top-level declarations in source order with the span of their names', () => {
    expect(declarations(program).map((d) => `${d.kind} ${textOf(d.span)} ${lineOf(d.span.start)}`)).toEqual([
      'type Payment 1',
      'task chargeCard 2',
      'task shipOrder 3',
      'function fee 5',
      'workflow processOrder 10',
    ]);
  });
});
