/**
 * Calls in expressions: built-ins (arity, the work they touch charged to the budget), `console.*`
 * log lines (MAX_LOG_LINES per activation, each cut to MAX_LOG_MESSAGE), helpers (`invoke`), array
 * methods taking a callback (callbacks.ts), and handle-making calls in a value position (`t(x)`,
 * `sleep(d)`, `xs.map(task)`, `workflows.w(…)`), which only the workflow itself may make (CT051).
 *
 * Takes the machine as a `CallHost` (Machine satisfies it; this file does not import machine.ts);
 * gives the call's value, or SHORT for `o.m?.()` on a missing method.
 *
 *   call(m, e)   // e: `xs.join(",")` → "a,b"
 */
import type { Call, FunctionDecl } from '../ast.ts';
import { writable, type AssignHost } from './assign.ts';
import { makeHandle, makesHandle, startTask } from './awaits.ts';
import { BYTES } from './budget.ts';
import { arityProblem, BUILTINS, lookupMethod, NAMESPACES, type Builtin, type BuiltinContext } from './builtins.ts';
import { callbackMethod } from './callbacks.ts';
import { isChildStart, isDetachedStart, startDetached } from './children.ts';
import { PositionedError } from './errors.ts';
import { chainOf, evaluate, SHORT, type Chained } from './evaluate.ts';
import { refOf } from './handles.ts';
import type { AwaitHost, CallbackHost } from './host.ts';
import { policyOf } from './policy.ts';
import type { LogCommand, Value } from './types.ts';
import { copy, isObject, kindOf, measure, RuntimeError, toText } from './values.ts';

/** What calls need from the machine: evaluation and assignment, awaits' handle makers, `invoke`. */
export interface CallHost extends AssignHost, AwaitHost, CallbackHost {
  readonly ctx: BuiltinContext;
  /** Log lines written in this activation, and the marker line standing for those dropped after. */
  logLines: number;
  droppedLogs: number;
  dropMarker: LogCommand | undefined;
}

const globals = BUILTINS.global;

/** Characters of one log line's text; more is cut with `… [truncated N chars]`. */
export const MAX_LOG_MESSAGE = 1024;

/** Log lines one activation may write; the rest are counted in one `… N more log lines dropped` line. */
export const MAX_LOG_LINES = 100;

/** A log line's text cut to MAX_LOG_MESSAGE characters, with the project's usual marker. */
function cutLog(text: string): string {
  if (text.length <= MAX_LOG_MESSAGE) return text;
  return `${text.slice(0, MAX_LOG_MESSAGE)}… [truncated ${(text.length - MAX_LOG_MESSAGE).toLocaleString('en-US')} chars]`;
}

/** Characters of a string, elements of an array, keys of an object: what a built-in touches at least. */
function shallowSize(v: Value): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  return 0;
}

export function call(m: CallHost, e: Call): Chained {
  const callee = e.callee;
  if (callee.kind === 'Identifier') {
    const name = callee.name;
    if (Object.hasOwn(globals, name)) {
      const b = globals[name]!;
      // `sleep("1h")`, `signal("go")` as values: handles (awaits.ts)
      if (b.handle) return refOf(startHandle(m, e, name));
      return callBuiltin(m, b, name, null, e);
    }
    // `charge(x)` without await: the task starts now; its handle is the value
    if (m.ix.tasks.has(name)) return refOf(startHandle(m, e, `task ${name}`));
    const helper = m.ix.functions.get(name);
    if (helper) return callHelper(m, helper, e);
    throw new PositionedError('CT005', `unknown function '${name}'`, callee.span);
  }
  if (callee.kind === 'Member') {
    const obj = callee.object;
    // `workflows.charge(input)` as a value: the child starts now, its handle is the value (children.ts)
    if (isChildStart(m, e)) return refOf(startHandle(m, e, `workflows.${callee.property}`));
    if (isDetachedStart(m, e)) {
      if (m.depth > 0) throw new PositionedError('CT051', 'a helper or callback cannot start a child workflow: start it in the workflow', e.span);
      return startDetached(m, e);
    }
    if (obj.kind === 'Identifier' && Object.hasOwn(NAMESPACES, obj.name) && !m.isLocal(obj.name)) {
      const ns = NAMESPACES[obj.name]!;
      if (!Object.hasOwn(ns, callee.property)) {
        throw new PositionedError('CT008', `${obj.name}.${callee.property} is not a built-in`, callee.span);
      }
      if (ns[callee.property]!.handle && makesHandle(m, e, false)) return refOf(startHandle(m, e, `${obj.name}.${callee.property}`));
      return callBuiltin(m, ns[callee.property]!, `${obj.name}.${callee.property}`, null, e);
    }
    const self = chainOf(m, obj);
    if (self === SHORT) return SHORT;
    if (self === null) {
      if (callee.optional) return SHORT;
      throw new PositionedError('CR001', `cannot call ${callee.property}() on null`, e.span);
    }
    const method = lookupMethod(self, callee.property);
    if (!method) {
      // `o.m?.()`: a method the receiver does not have gives null (as `undefined?.()` would)
      if (e.optional) return SHORT;
      throw new PositionedError('CR002', `${kindOf(self)} has no method '${callee.property}'`, e.span);
    }
    if (method.mutates) writable(m, callee.object);
    // `items.map(task)` (a task's name, not a helper's): every task starts now, the value is their handles
    const a0 = e.args[0];
    if (callee.property === 'map' && Array.isArray(self) && e.args.length === 1 && a0?.kind === 'Identifier' && m.ix.tasks.has(a0.name) && !m.ix.functions.has(a0.name) && !m.isLocal(a0.name)) {
      return mapTask(m, self, e);
    }
    if (method.callback && (e.args.length > 0 || !method.call)) return withPosition(e, () => callbackMethod(m, method, callee.property, self as Value[], e));
    return callBuiltin(m, method, callee.property, self, e);
  }
  throw new PositionedError('CT005', 'only tasks and built-ins can be called', e.span);
}

export function callBuiltin(m: CallHost, b: Builtin, name: string, self: Value, e: Call): Value {
  if (b.log) return log(m, b.log, e);
  if (b.handle) throw new PositionedError('CT015', `${name}(…) makes a handle: await it, or keep it in a variable`, e.span);
  const problem = arityProblem(b, e.args.length, name);
  if (problem) throw new PositionedError('CT006', problem, e.span);
  const args: Value[] = new Array(e.args.length);
  for (let i = 0; i < args.length; i++) args[i] = evaluate(m, e.args[i]!);
  try {
    // Why charge before the call: the work a built-in does is proportional to what it touches
    // (replaceAll over 10M characters), so it counts against the step budget (budget.ts).
    let touched = 1 + (b.light ? 0 : shallowSize(self));
    for (const a of args) touched += shallowSize(a);
    m.meter.work(touched);
    const out = b.call!(self, args, m.ctx);
    if (typeof out === 'string') {
      m.meter.string(out.length);
      m.meter.work(out.length);
    } else if (Array.isArray(out) && out !== self) {
      m.meter.array(out.length);
      m.meter.work(out.length);
    }
    return out;
  } catch (err) {
    if (err instanceof RuntimeError && !(err instanceof PositionedError)) {
      throw new PositionedError(err.code, err.message, e.span);
    }
    throw err;
  }
}

/**
 * `console.log(a, b)` and friends: a `log` command with the arguments printed as templates do
 * (strings as-is, arrays and objects as JSON), joined by spaces, cut to MAX_LOG_MESSAGE. The
 * arguments are always evaluated; past MAX_LOG_LINES a line is only counted (not formatted).
 */
export function log(m: CallHost, level: LogCommand['level'], e: Call): null {
  const values: Value[] = new Array(e.args.length);
  for (let i = 0; i < values.length; i++) values[i] = evaluate(m, e.args[i]!);
  const at = { line: e.span.line, col: e.span.col };
  if (m.logLines >= MAX_LOG_LINES) {
    const n = ++m.droppedLogs;
    if (!m.dropMarker) {
      m.dropMarker = { type: 'log', level: 'warn', message: '', at };
      m.commands.push(m.dropMarker);
    }
    m.dropMarker.message = `… ${n} more log line${n === 1 ? '' : 's'} dropped (over ${MAX_LOG_LINES} in one activation)`;
    return null;
  }
  m.logLines++;
  const parts: string[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v === 'object' && v !== null) {
      // Why not `text`: a big value is measured and charged, but logging it must not fail the
      // workflow for the length of a string that is cut to 1,024 characters right after.
      const size = measure(v);
      m.meter.work(size.nodes);
      m.meter.alloc(BYTES.string(size.bytes));
      parts[i] = JSON.stringify(v);
    } else parts[i] = toText(v);
  }
  const text = parts.join(' ');
  m.meter.work(1 + text.length);
  m.commands.push({ type: 'log', level, message: cutLog(text), at });
  return null;
}

/**
 * `xs.map(task)` outside `Promise.all(…)`: starts `task(x)` for every item at once (no
 * concurrency limit: use `Promise.all(xs.map(task), { concurrency })` for that) and gives the
 * array of their handles.
 */
export function mapTask(m: CallHost, items: Value[], e: Call): Value {
  const task = (e.args[0] as { name: string }).name;
  if (m.depth > 0) throw new PositionedError('CT051', `a helper or callback cannot start task ${task}(…): start it in the workflow`, e.span);
  m.meter.array(items.length);
  const policy = policyOf(m, task, undefined);
  const out: Value[] = [];
  for (const item of copy(items, m.meter)) out.push(refOf(startTask(m, task, [item], policy, e.id, e.span, false)));
  return out;
}

/**
 * A handle-making call in a value position (`t(x)`, `sleep(d)`, `Promise.race(…)`): the handle's
 * id. Only in the workflow itself: a helper or callback runs to completion within one activation
 * and must not start work (CT051).
 */
export function startHandle(m: CallHost, e: Call, what: string): string {
  if (m.depth > 0) throw new PositionedError('CT051', `a helper or callback cannot start ${what}(…): start it in the workflow`, e.span);
  return makeHandle(m, e, e.id, false);
}

/** Runs `f`; a runtime error without a position (a budget met by a built-in) gets the call's. */
function withPosition(e: Call, f: () => Value): Value {
  try {
    return f();
  } catch (err) {
    if (err instanceof RuntimeError && !(err instanceof PositionedError)) throw new PositionedError(err.code, err.message, e.span);
    throw err;
  }
}

/** `f(a, b)` of a top-level helper: arguments are evaluated left to right; missing ones are null. */
export function callHelper(m: CallHost, fn: FunctionDecl, e: Call): Value {
  const args: Value[] = new Array(e.args.length);
  for (let i = 0; i < args.length; i++) args[i] = evaluate(m, e.args[i]!);
  return m.invoke(fn, args);
}
