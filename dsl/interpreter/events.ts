/**
 * Events on resume: a task result, a timer, a signal or a cancel applied to the handle table — the
 * handle it is for settles (or a fan-out advances) and the combinators over it are evaluated again;
 * the caller (index.ts) then delivers the blocked handle's outcome if it has settled.
 *
 *   matchEvent(machine, { type: 'taskCompleted', id: 'n14.s1', result: 5 })  // -> { kind: 'applied' } | { kind: 'ignored', why }
 *   canCompensate(machine, frames) && cancelHandles(machine, table, 'stop')   // a cancel with a catch/finally to run
 *
 * Values from outside come in through `fromOutside` (copied, depth-checked, `$handle` refused): one
 * the workflow cannot hold rejects the handle (CR013, CR020) rather than failing the host.
 */
import { fillWave, signalValue } from './awaits.ts';
import { childFailed } from './children.ts';
import type { FanHandle, Handle, Pending } from './frames.ts';
import { cancelledError, rejectAll, route, type HandleTable } from './handles.ts';
import type { AwaitHost as Machine } from './host.ts';
import { admitSignal, buffer, checkSignal } from './signals.ts';
import type { TaskFailure, Value, WorkflowError, WorkflowEvent } from './types.ts';
import { fromOutside, outsideText, RuntimeError } from './values.ts';

function at(span: { line: number; col: number }) {
  return { line: span.line, col: span.col };
}

export type Match = { kind: 'ignored'; why: string } | { kind: 'applied' };

/**
 * Applies `event` to the handle table: the handle it is for settles (or a fan-out advances), and
 * the combinators over it are evaluated again. The caller then delivers the blocked handle's
 * outcome if it has settled.
 */
export function matchEvent(m: Machine, event: WorkflowEvent): Match {
  const t = m.handles;
  if (event.type === 'cancel') return { kind: 'ignored', why: 'a cancel is applied by cancelEvent' };
  if (event.type === 'signal') {
    // Why ignore rather than fail: anyone allowed to signal must not be able to fail the instance.
    const door = admitSignal(m.state, event.name, event.payload, m.options);
    if (!door.ok) return { kind: 'ignored', why: `${door.code}: ${door.message}` };
    // a payload that does not fit the `signal<T>` that would take it (or its name's type) is ignored too
    const typed = checkSignal(m.ix.program, m.state, event.name, event.payload);
    if (!typed.ok) return { kind: 'ignored', why: `${typed.code}: ${typed.message}` };
    const waiter = t.signalWaiter(event.name);
    if (!waiter) {
      // Nobody waits for it yet: keep it, oldest first, for a later `signal(name)`.
      buffer(m.state, event.name, fromOutside(event.payload));
      return { kind: 'applied' };
    }
    const [id, h] = waiter;
    if (h.timeoutMs !== undefined) m.commands.push({ type: 'cancelTimer', id: `${id}:timeout` });
    t.fulfil(id, signalValue(h, event.name, fromOutside(event.payload)));
    t.propagate(m, id);
    return { kind: 'applied' };
  }
  if (typeof event.id !== 'string') return { kind: 'ignored', why: `${event.type} without an id` };
  const target = route(t, event.id);
  if (!target || target.h.r !== undefined) return { kind: 'ignored', why: `${event.type} ${event.id} is not awaited` };
  const { id, h } = target;
  if (event.type === 'taskFailed' && (typeof event.failure !== 'object' || event.failure === null)) {
    // a failure that is not an object (a hand-made message): its text is the message
    event = { ...event, failure: { message: outsideText(event.failure), attempts: 1 } };
  }
  switch (event.type) {
    case 'timerFired':
      if (h.k === 'sleep' && target.child === undefined && !target.timeout) t.fulfil(id, null);
      else if (h.k === 'signal' && target.timeout) t.fulfil(id, h.names ? { timedOut: true, name: null, payload: null } : { timedOut: true, payload: null });
      else return { kind: 'ignored', why: `timer ${event.id} is not awaited` };
      break;
    case 'taskCompleted':
    case 'taskFailed':
      if (h.k === 'task' && target.child === undefined) {
        if (event.type === 'taskCompleted') fulfilFromOutside(m, id, h, event.result);
        else {
          const f = taskFailed(m, h.task, event.failure, h.a);
          t.reject(id, f.value, f.uncaught);
        }
      } else if (h.k === 'all' && target.child !== undefined) {
        const r = childEvent(m, id, h, target.child, event);
        if (r) return r;
      } else return { kind: 'ignored', why: `task ${event.id} is not awaited` };
      break;
    case 'childCompleted':
    case 'childFailed':
      if (h.k !== 'child') return { kind: 'ignored', why: `child ${event.id} is not awaited` };
      if (event.type === 'childCompleted') fulfilFromOutside(m, id, h, event.result);
      else {
        const f = childFailed(m, h, event.failure);
        t.reject(id, f.value, f.uncaught);
      }
      break;
    default: {
      const never: never = event;
      return { kind: 'ignored', why: `unknown event ${JSON.stringify(never)}` };
    }
  }
  if (h.r !== undefined) t.propagate(m, id);
  return { kind: 'applied' };
}

/** A task's result brought in; one the workflow cannot hold (CR013 too deep, CR020 reserved key) rejects the handle. */
function fulfilFromOutside(m: Machine, id: string, h: Handle, result: unknown): void {
  try {
    m.handles.fulfil(id, fromOutside(result));
  } catch (e) {
    if (!(e instanceof RuntimeError)) throw e;
    const span = m.ix.nodes[h.a]?.span;
    const value: Value = { name: 'RuntimeError', code: e.code, message: e.message };
    const uncaught: WorkflowError = { code: e.code, message: e.message };
    if (span) {
      value.line = uncaught.line = span.line;
      value.col = uncaught.col = span.col;
    }
    m.handles.reject(id, value, uncaught);
  }
}

function childEvent(m: Machine, id: string, p: FanHandle, i: number, event: Extract<WorkflowEvent, { type: 'taskCompleted' | 'taskFailed' }>): Match | undefined {
  if (i >= p.st.length || p.st[i] !== 1) return { kind: 'ignored', why: `task ${event.id} is not in flight` };
  p.st[i] = 2;
  const task = taskNameOf(m, p, i);
  if (event.type === 'taskCompleted') {
    try {
      const value = fromOutside(event.result);
      p.res[i] = p.settled ? { status: 'fulfilled', value } : value;
    } catch (e) {
      // a result the workflow cannot hold (too deep, reserved key): that child failed
      if (!(e instanceof RuntimeError)) throw e;
      const span = m.ix.nodes[p.a]!.span;
      const err: WorkflowError = { code: e.code, message: e.message, line: span.line, col: span.col };
      const value: Value = { name: 'RuntimeError', ...err } as Value;
      if (!p.settled) {
        m.handles.reject(id, value, err);
        return undefined;
      }
      p.res[i] = { status: 'rejected', reason: value };
    }
  } else if (p.settled) {
    p.res[i] = { status: 'rejected', reason: reason(task, event.failure) };
  } else {
    // the first failure of Promise.all throws; the other children's results will be ignored
    const f = taskFailed(m, task, event.failure, p.a);
    m.handles.reject(id, f.value, f.uncaught);
    return undefined;
  }
  if (p.st.every((s) => s === 2)) {
    // settled: the value is all the state needs to keep of it
    const res = p.res;
    p.kids = [];
    p.st = [];
    p.res = [];
    m.handles.fulfil(id, res);
  } else fillWave(m, id, p, undefined, at(m.ix.nodes[p.a]!.span));
  return undefined;
}

/** The task of child `i` (kept for failures after `kids[i]` was cleared). */
function taskNameOf(m: Machine, p: FanHandle, i: number): string {
  const node = m.ix.nodes[p.a];
  const call = node?.kind === 'Await' ? node.argument : node;
  if (call?.kind !== 'Call') return 'task';
  const list = call.args[0]!;
  if (list.kind === 'ArrayLiteral') {
    const el = list.elements[i];
    if (el && el.kind === 'Call' && el.callee.kind === 'Identifier') return el.callee.name;
  }
  if (list.kind === 'Call' && list.args[0]?.kind === 'Identifier') return list.args[0].name;
  return 'task';
}

function reason(task: string, f: TaskFailure): Value {
  return {
    message: outsideText(f.message),
    type: typeof f.type === 'string' ? f.type : f.timedOut === true ? 'Timeout' : 'Error',
    attempts: typeof f.attempts === 'number' ? f.attempts : 1,
    task,
  };
}

/**
 * A task's permanent failure as the rejection of its handle: thrown at the await, the caught value
 * is `{ name, type, message, code: 'CR007', task, attempts, timedOut, line, col }` (`name` = `type`
 * = the task's error type, or `Timeout` / `Error`, as in an allSettled reason; line and col of the
 * await, or of the call for a handle kept as a value); uncaught, the instance fails with CR007.
 */
function taskFailed(m: Machine, task: string, f: TaskFailure, node: number): { value: Value; uncaught: WorkflowError } {
  const span = m.ix.nodes[node]!.span;
  const attempts = typeof f.attempts === 'number' ? f.attempts : 1;
  const how = f.timedOut === true ? 'timed out' : 'failed';
  const r = reason(task, f) as { message: string; type: string };
  const value: Value = {
    name: r.type,
    type: r.type,
    message: r.message,
    code: 'CR007',
    task,
    attempts,
    timedOut: f.timedOut === true,
    line: span.line,
    col: span.col,
  };
  const uncaught: WorkflowError = {
    code: 'CR007',
    message:
      `task ${task} ${how} permanently after ${attempts} attempt${attempts === 1 ? '' : 's'} ` +
      `(line ${span.line}, col ${span.col}): ${outsideText(f.message)}` +
      (typeof f.type === 'string' && f.type !== '' ? ` [${f.type}]` : ''),
    line: span.line,
    col: span.col,
    task,
    attempts,
  };
  return { value, uncaught };
}

// ---------------------------------------------------------------------------------------------
// Cancel
// ---------------------------------------------------------------------------------------------

/**
 * Can a `catch` or `finally` see the await the workflow is blocked on? (A try block with a catch
 * or finally, or a catch block with a finally, on the frame stack.)
 */
export function canCompensate(m: Machine, frames: readonly { k: string; p?: number; n: number }[]): boolean {
  for (const f of frames) {
    if (f.k !== 'T') continue;
    const node = m.ix.nodes[f.n] as { handler?: unknown; finalizer?: unknown };
    if (f.p === 0 && (node.handler || node.finalizer)) return true;
    if (f.p === 1 && node.finalizer) return true;
  }
  return false;
}

/**
 * Starts compensating: every outstanding handle — the blocked one included — is rejected with the
 * CancelledError, whose uncaught form is `CANCELLED` at the blocked await. The caller then throws
 * the blocked handle's rejection at its await.
 */
export function cancelHandles(m: Machine, t: HandleTable, reason: string): void {
  const p = m.state.pending as Pending | null;
  const span = p ? m.ix.nodes[p.a]?.span : undefined;
  const uncaught: WorkflowError = { code: 'CANCELLED', message: reason };
  if (span) {
    uncaught.line = span.line;
    uncaught.col = span.col;
  }
  rejectAll(m, t, cancelledError(reason), uncaught);
}
