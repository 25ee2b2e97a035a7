/**
 * Unwinding the frame stack: `throw` (and catchable runtime errors) to the nearest `try` whose
 * catch or finally can take it, `return` through the finally blocks on its way, `break` /
 * `continue` (with a label or not) to their target, and what a finally block carries on with once
 * it ends (a `T` frame's completion, frames.ts). Also the failure an uncaught throw or a runtime
 * error means (UNCATCHABLE: the budgets a catch never sees).
 *
 * Takes the machine as an `UnwindHost` (Machine satisfies it; this file does not import
 * machine.ts); pops and pushes its frames, and fails or finishes the instance through it.
 *
 *   if (!raise(m, value, uncaught)) return;   // no try took it: the instance failed
 *   jump(m, 'Break', span, 'outer');
 */
import { assertNever, type Span, type Statement, type Try } from '../ast.ts';
import { bind, type AssignHost } from './assign.ts';
import { PositionedError } from './errors.ts';
import type { Completion, Frame, Scope } from './frames.ts';
import type { Value, WorkflowError } from './types.ts';
import { isObject, RuntimeError, toText, type ValueObject } from './values.ts';

/** What unwinding needs from the machine: its frames and the ends of the instance. */
export interface UnwindHost extends AssignHost {
  readonly frames: Frame[];
  /** Frames below this index belong to the caller of the running helper or callback (0: the workflow's own). */
  readonly fnBase: number;
  /** The statement being executed (errors without a finer position point at it). */
  readonly cur: Statement | undefined;
  /** The running block-bodied function's result once it returned, and whether it is its own value. */
  fnResult: Value;
  fnOwned: boolean;
  pushFrame(f: Frame, scope?: Scope): void;
  popFrame(): void;
  /** Pushes a block or statement body (with a scope if it declares something). */
  pushBody(body: Statement): void;
  fail(error: WorkflowError): void;
  finish(result: Value): void;
}

/**
 * Runtime errors a `catch` never sees: the activation's budgets (steps, state size, memory, time).
 * Catching them would let a workflow spin on past the bound that protects the engine.
 */
export const UNCATCHABLE: ReadonlySet<string> = new Set(['CR005', 'CR006', 'CR015', 'CR016']);

/** A `throw` on its way to the nearest `try` (never leaves the machine). */
export class Thrown {
  constructor(
    readonly value: Value,
    readonly uncaught: WorkflowError,
  ) {}
}

/**
 * How an uncaught thrown value fails the instance: its `message` (or its text) at the `throw`;
 * code CR017, or the value's own `CR…` code when it is a caught error thrown again (with its task
 * and attempts).
 */
export function uncaughtError(v: Value, span: Span): WorkflowError {
  const o = isObject(v) ? v : undefined;
  // a caught error thrown again keeps its code (a task failure CR007, a cancellation CANCELLED)
  const code = typeof o?.code === 'string' && (/^CR\d{3}$/.test(o.code) || o.code === 'CANCELLED') ? o.code : 'CR017';
  const message = typeof o?.message === 'string' ? o.message : toText(v);
  const name = typeof o?.name === 'string' && o.name !== '' && o.name !== 'Error' && o.name !== 'RuntimeError' && code !== 'CANCELLED' ? `${o.name}: ` : '';
  const err: WorkflowError = { code, message: name + message, line: span.line, col: span.col };
  if (typeof o?.task === 'string') err.task = o.task;
  if (typeof o?.attempts === 'number') err.attempts = o.attempts;
  return err;
}

/**
 * An exception of the machine as a throw the workflow may catch: a `throw` statement's value, or
 * a catchable runtime error as `{ name: 'RuntimeError', code, message, line, col }`. The
 * activation's budgets (UNCATCHABLE) and anything that is not a runtime error fail the instance.
 * True when a `catch` or `finally` took it and the machine should run on.
 */
export function raiseFrom(m: UnwindHost, e: unknown): boolean {
  if (e instanceof Thrown) return raise(m, e.value, e.uncaught);
  if (e instanceof RuntimeError && e.code.startsWith('CR') && !UNCATCHABLE.has(e.code)) {
    const err = errorOf(m, e);
    const value: ValueObject = { name: 'RuntimeError', code: err.code, message: err.message };
    if (err.line !== undefined) value.line = err.line;
    if (err.col !== undefined) value.col = err.col;
    if (err.task !== undefined) value.task = err.task;
    if (err.attempts !== undefined) value.attempts = err.attempts;
    return raise(m, value, err);
  }
  if (m.fnBase > 0) throw e; // inside a helper: the caller's statement fails
  failFrom(m, e);
  return false;
}

/**
 * Throws `value` from the top of the frame stack: frames are popped up to the nearest `try`
 * whose catch (from its try block) or finally (from its try or catch block) can take it. With
 * none, the instance fails with `uncaught`. True when a handler took it.
 */
export function raise(m: UnwindHost, value: Value, uncaught: WorkflowError): boolean {
  const frames = m.frames;
  for (;;) {
    if (frames.length <= m.fnBase) {
      // a throw no try of the running helper or callback takes goes on in its caller
      if (m.fnBase > 0) throw new Thrown(value, uncaught);
      m.fail(uncaught);
      return false;
    }
    const f = frames[frames.length - 1]!;
    if (f.k === 'T') {
      const node = m.ix.nodes[f.n] as Try;
      if (f.p === 0 && node.handler) {
        f.p = 1;
        m.state.status = 'running';
        const v: Scope = {};
        m.pushFrame({ k: 'L', n: node.handler.id, i: 0, v }, v);
        if (!node.param) return true;
        try {
          bind(m, node.param, value, v);
          return true;
        } catch (e) {
          // `catch ({ a: [x] })` that does not fit the value: a throw from inside the catch block
          return raiseFrom(m, e);
        }
      }
      if (f.p < 2 && node.finalizer) {
        f.p = 2;
        f.c = { t: 'throw', v: value, u: uncaught };
        m.state.status = 'running';
        m.pushBody(node.finalizer);
        return true;
      }
    }
    m.popFrame();
  }
}

/** The failure a runtime error means, at its node or the current statement. */
export function errorOf(m: UnwindHost, e: RuntimeError): WorkflowError {
  const span = e instanceof PositionedError ? e.span : undefined;
  const where = span ?? m.cur?.span;
  const err: WorkflowError = { code: e.code, message: e.message };
  if (where) {
    err.line = where.line;
    err.col = where.col;
  }
  if (e instanceof PositionedError) Object.assign(err, e.extra);
  return err;
}

export function failFrom(m: UnwindHost, e: unknown): void {
  if (e instanceof RuntimeError) {
    m.fail(errorOf(m, e));
    return;
  }
  if (e instanceof Thrown) {
    m.fail(e.uncaught);
    return;
  }
  // Why: a string or array grown past what the engine can hold, or expressions nested too deeply,
  // must fail the instance with a clear error rather than crash the host again at every retry.
  // The budgets (budget.ts) catch these first; m is the last line.
  if (e instanceof RangeError) {
    const where = m.cur?.span;
    m.fail({ code: 'CR006', message: `value or expression too large: ${e.message}`, line: where?.line, col: where?.col });
    return;
  }
  throw e;
}

/** A finally block ended normally: what it interrupted goes on (a throw, return, break or continue). */
export function carryOn(m: UnwindHost, c: Completion, node: Try): void {
  switch (c.t) {
    case 'throw':
      raise(m, c.v, c.u);
      return;
    case 'return':
      doReturn(m, c.v, false);
      return;
    case 'break':
    case 'continue':
      jump(m, c.t === 'break' ? 'Break' : 'Continue', node.span, c.l);
      return;
    default:
      assertNever(c, 'completion');
  }
}

/**
 * `return value`: through the finally blocks of the enclosing `try`s, then the workflow ends (or
 * the running helper or callback gives `value`; `owned`: a value of its own, not one it read).
 */
export function doReturn(m: UnwindHost, value: Value, owned = true): void {
  const frames = m.frames;
  const base = m.fnBase;
  for (let i = frames.length - 1; i >= base; i--) {
    const f = frames[i]!;
    if (f.k === 'T' && f.p < 2) {
      const fin = (m.ix.nodes[f.n] as Try).finalizer;
      if (!fin) continue;
      while (frames.length - 1 > i) m.popFrame();
      f.p = 2;
      f.c = { t: 'return', v: value };
      m.pushBody(fin);
      return;
    }
  }
  if (base === 0) {
    m.finish(value);
    return;
  }
  while (frames.length > base) m.popFrame();
  m.fnResult = value;
  m.fnOwned = owned;
}

/**
 * `break` / `continue` (with a label or not): pops frames to what it leaves or continues, running
 * the finally blocks on the way. A plain `break` leaves the innermost loop or switch, a plain
 * `continue` goes on with the innermost loop; `break label` leaves the statement with that label
 * (a loop, a switch or a labeled block), `continue label` goes on with the loop with that label.
 */
export function jump(m: UnwindHost, kind: 'Break' | 'Continue', span: Span, label?: string): void {
  for (;;) {
    if (m.frames.length <= m.fnBase) throw new PositionedError('CT016', `${kind.toLowerCase()}${label ? ` ${label}` : ''} has no target`, span);
    const f = m.frames[m.frames.length - 1]!;
    if (f.k === 'L') {
      m.popFrame();
      continue;
    }
    if (f.k === 'T') {
      const fin = (m.ix.nodes[f.n] as Try).finalizer;
      if (f.p < 2 && fin) {
        f.p = 2;
        f.c = label === undefined ? { t: kind === 'Break' ? 'break' : 'continue' } : { t: kind === 'Break' ? 'break' : 'continue', l: label };
        m.pushBody(fin);
        return;
      }
      m.popFrame();
      continue;
    }
    const isLoop = f.k === 'W' || f.k === 'F' || f.k === 'O';
    const labeled = label !== undefined && (m.ix.labels.get(f.n)?.includes(label) ?? false);
    if (label === undefined ? isLoop || (kind === 'Break' && f.k === 'S') : labeled) {
      if (kind === 'Break') m.popFrame();
      // a continue goes on with the loop frame (its next test, update or item)
      return;
    }
    m.popFrame();
  }
}
