/**
 * Child workflows: `workflows.charge(input, { id? })` starts the deployment's workflow `charge` as
 * its own instance and gives a handle settled by its end (awaited at once or later, in
 * `Promise.race/all/…` like any handle); `workflows.charge.startDetached(input, { id? })` starts it
 * fire-and-forget and gives its instance id. Neither runs anything here: the interpreter records a
 * `startChild` command, and the runtime starts the instance and reports its end as a
 * `childCompleted` / `childFailed` event for the handle (runtime/README.md, "Child workflows").
 *
 *   const receipt = await workflows.charge({ orderId, amount })   // id `<parent id>:n14.s3`
 *   const id = workflows.audit.startDetached({ orderId }, { id: `audit-${orderId}` })
 *
 * Why `workflows.<name>(input)`: it reads like calling a function of the deployment (as a task call
 * does), its name is checked statically (CT070), and the input is the object `currant run --input`
 * and the API's start body take, so one shape starts a workflow from anywhere and named fields
 * survive the child's parameters being reordered. The child id is deterministic — the parent's id
 * and the handle id of the call (its node and the state's counter) — so a start repeated after a
 * crash or a redelivery finds the instance it already started.
 */
import type { Call, Expression, Member, Span } from '../ast.ts';
import { PositionedError } from './errors.ts';
import type { ChildHandle } from './frames.ts';
import { addHandle as add, nextAwaitId as nextId } from './handles.ts';
import type { AwaitHost as Machine } from './host.ts';
import type { ChildFailure, Value, WorkflowError } from './types.ts';
import { copy, isObject, kindOf } from './values.ts';

/** The namespace of child workflow starts. A variable of this name hides it. */
export const WORKFLOWS = 'workflows';
/** Instance ids: what the API accepts (letters, digits and `._:@-`, 1–128 characters). */
export const CHILD_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** `workflows.<name>(…)` (not hidden by a variable). */
export function isChildStart(m: Pick<Machine, 'isLocal'>, call: Call): call is Call & { callee: Member } {
  const c = call.callee;
  return c.kind === 'Member' && c.object.kind === 'Identifier' && c.object.name === WORKFLOWS && !m.isLocal(WORKFLOWS);
}

/** `workflows.<name>.startDetached(…)` (not hidden by a variable). */
export function isDetachedStart(m: Pick<Machine, 'isLocal'>, call: Call): boolean {
  const c = call.callee;
  return (
    c.kind === 'Member' &&
    c.property === 'startDetached' &&
    c.object.kind === 'Member' &&
    c.object.object.kind === 'Identifier' &&
    c.object.object.name === WORKFLOWS &&
    !m.isLocal(WORKFLOWS)
  );
}

/** The handle of `workflows.<name>(input, { id? })`: a `startChild` command, settled by the child's end. */
export function childHandle(m: Machine, call: Call & { callee: Member }, node: number, anonymous: boolean): string {
  const workflow = call.callee.property;
  const { input, chosen } = startArgs(m, call, `workflows.${workflow}`);
  const id = nextId(m, node);
  const childId = chosen ?? defaultChildId(m, id, call.span);
  const h: ChildHandle = { k: 'child', a: node, workflow, cid: childId };
  add(m, id, h, anonymous);
  m.commands.push({ type: 'startChild', id, workflow, input, childId, at: at(m.ix.nodes[node]?.span ?? call.span) });
  return id;
}

/** `workflows.<name>.startDetached(input, { id? })`: starts the child, gives its id; nothing comes back. */
export function startDetached(m: Machine, call: Call): Value {
  const workflow = ((call.callee as Member).object as Member).property;
  const { input, chosen } = startArgs(m, call, `workflows.${workflow}.startDetached`);
  const id = nextId(m, call.id);
  const childId = chosen ?? defaultChildId(m, id, call.span);
  m.commands.push({ type: 'startChild', id, workflow, input, childId, detached: true, at: at(call.span) });
  return childId;
}

function startArgs(m: Machine, call: Call, what: string): { input: Value; chosen?: string } {
  if (call.args.length < 1 || call.args.length > 2) {
    throw new PositionedError('CT072', `${what} takes the child's input (an object keyed by its parameters) and an optional { id }`, call.span);
  }
  const input = m.ev(call.args[0] as Expression);
  if (!isObject(input)) throw new PositionedError('CR043', `${what}: the input must be an object keyed by the child's parameters, got ${kindOf(input)}`, call.args[0]!.span);
  if (call.args.length === 1) return { input: copy(input, m.meter) };
  const o = m.ev(call.args[1] as Expression);
  if (!isObject(o)) throw new PositionedError('CR043', `${what}: options must be an object like { id: "charge-o1" }`, call.args[1]!.span);
  for (const k of Object.keys(o)) {
    if (k !== 'id') throw new PositionedError('CR043', `${what}: unknown option '${k}' (only id)`, call.args[1]!.span);
  }
  const chosen = o.id ?? null;
  if (chosen === null) return { input: copy(input, m.meter) };
  if (typeof chosen !== 'string' || !CHILD_ID.test(chosen)) {
    throw new PositionedError('CR043', `${what}: id must be 1 to 128 letters, digits or ._:@- characters, got ${typeof chosen === 'string' ? JSON.stringify(chosen.slice(0, 60)) : kindOf(chosen)}`, call.args[1]!.span);
  }
  return { input: copy(input, m.meter), chosen };
}

function defaultChildId(m: Machine, handleId: string, span: Span): string {
  const id = `${m.instanceId()}:${handleId}`;
  if (!CHILD_ID.test(id)) {
    throw new PositionedError('CR043', `the child's instance id ${JSON.stringify(id.slice(0, 60))}… would be over 128 characters or use characters ids cannot have: give one with { id }`, span);
  }
  return id;
}

function at(span: Span) {
  return { line: span.line, col: span.col };
}

/**
 * A child's failure as the rejection of its handle: thrown at the await, the caught value is
 * `{ name: 'ChildWorkflowError', type, code: 'CR040', message, workflow, childId, status, cause:
 * { code, message }, line, col }` (`type` is the child's own error code, e.g. `CR007` or
 * `CANCELLED`); uncaught, the instance fails with CR040.
 */
export function childFailed(m: Machine, h: ChildHandle, f: ChildFailure): { value: Value; uncaught: WorkflowError } {
  const span = m.ix.nodes[h.a]?.span;
  const status = f?.status === 'cancelled' ? 'cancelled' : 'failed';
  const code = typeof f?.code === 'string' ? f.code.slice(0, 64) : 'Error';
  const text = typeof f?.message === 'string' ? f.message.slice(0, 4096) : 'failed';
  const message = `child workflow ${h.workflow} (${h.cid}) ${status}: ${text}`;
  const value: { [k: string]: Value } = { name: 'ChildWorkflowError', type: code, code: 'CR040', message, workflow: h.workflow, childId: h.cid, status, cause: { code, message: text } };
  const uncaught: WorkflowError = { code: 'CR040', message };
  if (span) {
    value.line = uncaught.line = span.line;
    value.col = uncaught.col = span.col;
  }
  return { value, uncaught };
}
