/**
 * Child workflows in the language: the checker against a deployment (CT070–CT073), the interpreter's
 * `startChild` commands, child ids, the events that settle a child handle, cancel, JSON round trips,
 * and the graph.
 */
import { describe, expect, it } from 'vitest';
import { compile, deploymentOf, resume, start, toGraph, toMermaid, type Activation, type Command, type ExecState, type Program, type WorkflowEvent } from '../../dsl/index.ts';
import { options, program } from './interpreter/helpers.ts';

const CHARGE = `type Receipt = { paid: boolean, ref: string }
workflow charge(orderId: string, amount: number, note: string | null): Receipt { return { paid: true, ref: orderId } }`;
const AUDIT = `workflow audit(orderId: string) { return 1 }`;
const deployment = deploymentOf([
  { file: 'charge.workflow', source: CHARGE },
  { file: 'audit.workflow', source: AUDIT },
]);

function codes(source: string): string[] {
  return compile(source, 'order.workflow', { workflows: deployment }).diagnostics.map((d) => `${d.code} ${d.message}`);
}

const opts = options({ instance: { id: 'order-1', startedAt: '2026-01-01T00:00:00.000Z' } });

function starts(cs: Command[]) {
  return cs.filter((c): c is Extract<Command, { type: 'startChild' }> => c.type === 'startChild');
}
function feed(p: Program, a: Activation, e: WorkflowEvent): Activation {
  return resume(p, JSON.parse(JSON.stringify(a.state)) as ExecState, e, opts);
}
function last(a: Activation): Command | undefined {
  return a.commands.at(-1);
}

describe('checker: child workflows against the deployment', () => {
  it('accepts a start whose input fits, and types the await as the child result', () => {
    const r = compile(
      `workflow order(orderId: string) {
  const r = await workflows.charge({ orderId, amount: 5 })
  const ok: boolean = r.paid
  const id: string = workflows.audit.startDetached({ orderId })
  return { ok, id }
}`,
      'order.workflow',
      { workflows: deployment },
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.program).toBeDefined();
  });

  it('CT070: a workflow the deployment does not have, with a did-you-mean', () => {
    expect(codes(`workflow o() { return await workflows.chrage({ orderId: "a", amount: 1 }) }`)).toEqual([
      "CT070 unknown workflow 'chrage' (did you mean 'charge'?): it is not part of the deployment",
    ]);
  });

  it('CT071: missing, unknown and ill-typed parameters; an input that is no object', () => {
    const found = codes(`workflow o() {
  await workflows.charge({ orderId: 1, extra: true })
  await workflows.audit("o1")
}`);
    expect(found).toEqual([
      "CT071 unknown parameter 'extra' (workflow 'charge' takes orderId, amount, note)",
      "CT071 parameter 'orderId' of workflow 'charge' is string, got 1",
      "CT071 missing parameter 'amount' of workflow 'charge' (number)",
      'CT071 the input of workflow \'audit\' must be an object keyed by its parameters, got "o1"',
    ]);
  });

  it('the child result type comes from the child file, its aliases expanded (a wrong use is CT007/CT008)', () => {
    const found = codes(`workflow o() {
  const r = await workflows.charge({ orderId: "a", amount: 1 })
  const n: number = r.ref
  return n
}`);
    expect(found.some((d) => d.startsWith('CT00') && d.includes('number'))).toBe(true);
  });

  it('CT072: wrong arity, unknown options, a policy', () => {
    const found = codes(`workflow o() {
  await workflows.audit()
  await workflows.audit({ orderId: "a" }, { idd: "x" })
  await workflows.audit({ orderId: "a" }, { id: 5 })
}`);
    expect(found.map((d) => d.slice(0, 5))).toEqual(['CT072', 'CT072', 'CT072']);
  });

  it('CT073: workflows as a value, or another method of a workflow', () => {
    const found = codes(`workflow o() {
  const w = workflows
  workflows.audit.start({ orderId: "a" })
}`);
    expect(found.map((d) => d.slice(0, 5))).toEqual(['CT073', 'CT073']);
  });

  it('CT030 for a child started and dropped, hinting startDetached; CT051 in a helper', () => {
    const found = codes(`function f(x: string) { return workflows.audit.startDetached({ orderId: x }) }
workflow o() {
  workflows.audit({ orderId: "a" })
  return f("b")
}`);
    expect(found.some((d) => d.startsWith('CT030') && d.includes('startDetached') === false && d.includes("workflow 'audit' starts as a child"))).toBe(true);
    expect(found.some((d) => d.startsWith('CT051'))).toBe(true);
  });

  it('without a deployment, names and inputs are left to the runtime', () => {
    const r = compile(`workflow o() { return await workflows.anything({ a: 1 }) }`, 'o.workflow');
    expect(r.diagnostics).toEqual([]);
  });

  it('a variable named workflows hides the namespace', () => {
    const r = compile(`workflow o() { const workflows = { a: 1 }; return workflows.a }`, 'o.workflow', { workflows: deployment });
    expect(r.diagnostics).toEqual([]);
  });
});

describe('interpreter: starting and awaiting children', () => {
  const src = `workflow order(orderId: string) {
  try {
    const r = await workflows.charge({ orderId, amount: 5 })
    return { ok: r.paid }
  } catch (e) {
    return { code: e.code, type: e.type, name: e.name, status: e.status, message: e.message, childId: e.childId }
  }
}`;

  it('an awaited start is a startChild command with the id <parent id>:<await id>; the instance waits', () => {
    const p = program(src);
    const a = start(p, { orderId: 'o1' }, opts);
    const [c] = starts(a.commands);
    expect(c).toMatchObject({ type: 'startChild', workflow: 'charge', input: { orderId: 'o1', amount: 5 }, at: { line: 3, col: 15 } });
    expect(c!.childId).toBe(`order-1:${c!.id}`);
    expect(c!.detached).toBeUndefined();
    expect(a.state.status).toBe('waiting');
  });

  it('childCompleted delivers the result at the await, after a JSON round trip of the state', () => {
    const p = program(src);
    const a = start(p, { orderId: 'o1' }, opts);
    const id = starts(a.commands)[0]!.id;
    const b = feed(p, a, { type: 'childCompleted', id, result: { paid: true, ref: 'x' } });
    expect(last(b)).toEqual({ type: 'complete', result: { ok: true } });
  });

  it('childFailed throws a catchable ChildWorkflowError with code CR040 and the child code as type', () => {
    const p = program(src);
    const a = start(p, { orderId: 'o1' }, opts);
    const c = starts(a.commands)[0]!;
    const b = feed(p, a, { type: 'childFailed', id: c.id, failure: { status: 'failed', code: 'CR007', message: 'task x failed' } });
    expect(last(b)).toEqual({
      type: 'complete',
      result: { code: 'CR040', type: 'CR007', name: 'ChildWorkflowError', status: 'failed', message: `child workflow charge (${c.childId}) failed: task x failed`, childId: c.childId },
    });
  });

  it('uncaught, a failed child fails the parent with CR040 at the await', () => {
    const p = program(`workflow o() { const r = await workflows.charge({ orderId: "a", amount: 1 })
  return r }`);
    const a = start(p, {}, opts);
    const c = starts(a.commands)[0]!;
    const b = feed(p, a, { type: 'childFailed', id: c.id, failure: { status: 'cancelled', code: 'CANCELLED', message: 'stop' } });
    expect(last(b)).toMatchObject({ type: 'fail', error: { code: 'CR040', line: 1, message: `child workflow charge (${c.childId}) cancelled: stop` } });
  });

  it('a chosen id is used as is; a bad one is CR043; an input that is no object is CR043', () => {
    const chosen = start(program(`workflow o() { return await workflows.audit({ orderId: "a" }, { id: "audit-a" }) }`), {}, opts);
    expect(starts(chosen.commands)[0]!.childId).toBe('audit-a');
    const bad = start(program(`workflow o() { return await workflows.audit({ orderId: "a" }, { id: "a/b" }) }`), {}, opts);
    expect(last(bad)).toMatchObject({ type: 'fail', error: { code: 'CR043' } });
    const notObject = start(program(`workflow o() { return await workflows.audit([1]) }`), {}, opts);
    expect(last(notObject)).toMatchObject({ type: 'fail', error: { code: 'CR043' } });
    const tooLong = start(program(`workflow o() { return await workflows.audit({}) }`), {}, options({ instance: { id: 'x'.repeat(125), startedAt: '2026-01-01T00:00:00.000Z' } }));
    expect(last(tooLong)).toMatchObject({ type: 'fail', error: { code: 'CR043' } });
  });

  it('startDetached starts and goes on: a detached command, the child id as the value, no handle kept', () => {
    const p = program(`workflow o(orderId: string) {
  const id = workflows.audit.startDetached({ orderId })
  return id
}`);
    const a = start(p, { orderId: 'o1' }, opts);
    const [c] = starts(a.commands);
    expect(c).toMatchObject({ workflow: 'audit', detached: true, input: { orderId: 'o1' } });
    expect(last(a)).toEqual({ type: 'complete', result: c!.childId });
    expect(a.state.h ?? {}).toEqual({});
  });

  it('two starts in a loop get distinct ids; a repeated run of the same state gives the same ids', () => {
    const p = program(`workflow o() {
  const hs = []
  for (const x of [1, 2]) hs.push(workflows.audit({ orderId: String(x) }))
  return await Promise.all(hs)
}`);
    const a = start(p, {}, opts);
    const ids = starts(a.commands).map((c) => c.childId);
    expect(new Set(ids).size).toBe(2);
    expect(starts(start(p, {}, opts).commands).map((c) => c.childId)).toEqual(ids);
    const [c1, c2] = starts(a.commands);
    const b = feed(p, a, { type: 'childCompleted', id: c2!.id, result: 2 });
    expect(b.state.status).toBe('waiting');
    const d = feed(p, b, { type: 'childCompleted', id: c1!.id, result: 1 });
    expect(last(d)).toEqual({ type: 'complete', result: [1, 2] });
  });

  it('a child races a sleep; the loser child is left running (its late result is ignored)', () => {
    const p = program(`workflow o() {
  const r = await Promise.race([workflows.audit({ orderId: "a" }), sleep("1h")])
  return r
}`);
    const a = start(p, {}, opts);
    const timer = a.commands.find((c) => c.type === 'startTimer') as { id: string };
    const b = feed(p, a, { type: 'timerFired', id: timer.id });
    expect(last(b)).toEqual({ type: 'complete', result: null });
  });

  it('a cancel with a catch rejects the child handle with the CancelledError (the runtime cancels the child)', () => {
    const p = program(`workflow o() {
  try { return await workflows.audit({ orderId: "a" }) } catch (e) { return e.name }
}`);
    const a = start(p, {}, opts);
    const b = feed(p, a, { type: 'cancel', reason: 'stop' });
    expect(b.commands.at(-1)).toMatchObject({ type: 'cancelled', result: 'CancelledError' });
  });

  it('an event for a child handle that is not awaited is ignored', () => {
    const p = program(src);
    const a = start(p, { orderId: 'o1' }, opts);
    const b = feed(p, a, { type: 'childCompleted', id: 'n999.s9', result: 1 });
    expect(b.ignored).toBeDefined();
  });
});

describe('graph: child starts', () => {
  it('draws an awaited child as a child node and a detached start as a handle node', () => {
    const p = program(`workflow o() {
  workflows.audit.startDetached({ orderId: "a" })
  const r = await workflows.charge({ orderId: "a", amount: 1 })
  return r
}`);
    const g = toGraph(p);
    expect(g.nodes.filter((n) => n.kind === 'child').map((n) => n.label)).toEqual(['workflow charge']);
    expect(g.nodes.some((n) => n.kind === 'handle' && n.label === 'start workflow audit (detached)')).toBe(true);
    expect(toMermaid(g)).toContain('[["workflow charge"]]');
  });
});
