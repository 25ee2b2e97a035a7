/**
 * The tree-walking machine: runs statements from an explicit frame stack until the workflow awaits,
 * returns, fails or exhausts its statement budget.
 *
 * Takes a program index, an `ExecState` it may change in place (the caller passes its own copy) and
 * the options; gives commands. Expressions are evaluated recursively (an await never sits inside an
 * expression, so an expression never suspends); statements and loops live in `state.frames`, which is
 * plain JSON naming nodes by id.
 *
 *   const m = new Machine(ix, state, options);
 *   m.run();            // state.status is now 'waiting' | 'completed' | 'failed'
 *   m.commands          // [{ type: 'scheduleTask', id: 'n14.s1', ... }]
 *
 * Value semantics (dsl/README.md): a read gives the stored value itself (so mutating methods change
 * the variable or property they are called on); storing a value that may live elsewhere copies it
 * (`own`), so no two places ever share an array or object.
 *
 * Helpers and callbacks (`invoke`) run to completion where they are called, with an ordinary
 * JavaScript call stack: a block body runs on the same frame stack above a base (`fnBase`) that
 * `return`, `throw`, `break` and `continue` never cross, and every frame of it is popped before
 * `invoke` returns, so the saved state never holds one. A helper sees only its own scopes
 * (`readFloor`); a callback reads the scopes around it but writes only its own (`writeFloor`,
 * CT052); neither awaits (CT051). MAX_CALL_DEPTH bounds how many run inside each other (CR035).
 */
import {
  assertNever,
  type ArrowFunction,
  type Assign,
  type AssignTarget,
  type Await,
  type Call,
  type Expression,
  type FunctionDecl,
  type Labeled,
  type Pattern,
  type Return,
  type Span,
  type Statement,
  type Switch,
  type Try,
  type Update,
  type VarDecl,
} from '../ast.ts';
import { arityProblem, BUILTINS, lookupMethod, NAMESPACES, type Builtin, type BuiltinContext } from './builtins.ts';
import { beginAwait, makeHandle, makesHandle, startTask } from './awaits.ts';
import { isChildStart, isDetachedStart, startDetached } from './children.ts';
import { policyOf } from './policy.ts';
import { BYTES, MAX_CALL_DEPTH, Meter } from './budget.ts';
import { callbackMethod } from './callbacks.ts';
import { PositionedError } from './errors.ts';
import { scopeOf, type Completion, type Frame, type Pending, type Scope } from './frames.ts';
import { HandleTable, refOf } from './handles.ts';
import type { AwaitHost, AwaitStatement, CallbackHost } from './host.ts';
import { bindsAny, labelChain, writtenNames, type ProgramIndex } from './program.ts';
import type { Command, ExecOptions, ExecState, LogCommand, Value, WorkflowError } from './types.ts';
import { copy, equals, getOwn, HANDLE_KEY, isObject, kindOf, MAX_DEPTH, measure, RuntimeError, setOwn, toText, truthy, typeOf, type ValueObject } from './values.ts';

export { PositionedError };

/** Returned by an optional chain (`a?.b.c`) that met null: the whole chain is null. */
const SHORT: unique symbol = Symbol('short');
type Chained = Value | typeof SHORT;

/** What `store`'s update gives to leave the target as it is (a logical assignment that does not assign). */
const KEEP: unique symbol = Symbol('keep');

/** `x!`, `x as T`, `x satisfies T` are `x` (type-level only). */
function bare(e: Expression): Expression {
  while (e.kind === 'NonNull' || e.kind === 'As' || e.kind === 'Satisfies') e = e.expression;
  return e;
}

const globals = BUILTINS.global;

/** Characters of one log line's text; more is cut with `… [truncated N chars]`. */
export const MAX_LOG_MESSAGE = 1024;
/** Log lines one activation may write; the rest are counted in one `… N more log lines dropped` line. */
export const MAX_LOG_LINES = 100;

/**
 * Runtime errors a `catch` never sees: the activation's budgets (steps, state size, memory, time).
 * Catching them would let a workflow spin on past the bound that protects the engine.
 */
export const UNCATCHABLE: ReadonlySet<string> = new Set(['CR005', 'CR006', 'CR015', 'CR016']);

/** A `throw` on its way to the nearest `try` (never leaves the machine). */
class Thrown {
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
function uncaughtError(v: Value, span: Span): WorkflowError {
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

export class Machine implements AwaitHost, CallbackHost {
  readonly frames: Frame[];
  /** In-memory view of the scopes in `frames`, innermost last (rebuilt on resume, never stored). */
  private readonly scopes: Scope[] = [];
  readonly commands: Command[] = [];
  /** Steps, memory, string/array lengths and time of this activation (budget.ts). */
  readonly meter: Meter;
  /** The statement being executed (for `state.at` and errors without a finer position). */
  cur: Statement | undefined;
  readonly ctx: BuiltinContext;
  /** The handle table of the state (handles.ts). */
  readonly handles: HandleTable;
  /** Log lines written in this activation, and the marker line standing for those dropped after. */
  private logLines = 0;
  private droppedLogs = 0;
  private dropMarker: LogCommand | undefined;
  /** Frames below this index belong to the caller of the running helper or callback (0: the workflow's own). */
  private fnBase = 0;
  /** Scopes below this index are out of sight (a helper sees only its own). */
  private readFloor = 0;
  /** Scopes below this index are read-only here (a callback's surroundings). */
  private writeFloor = 0;
  /** Helpers and callbacks running inside each other right now. */
  private depth = 0;
  /** The running block-bodied function's result once it returned, and whether it is its own value. */
  private fnResult: Value = null;
  private fnOwned = true;
  /** Parameters of the running function bound to their arguments themselves (not copies). */
  private borrowed: Set<string> | undefined;
  /** Whether the last `invoke`'s result was the function's own value (reduce hands it on uncopied). */
  lastOwned = false;

  constructor(
    readonly ix: ProgramIndex,
    readonly state: ExecState,
    readonly options: ExecOptions,
  ) {
    this.frames = state.frames as Frame[];
    for (const f of this.frames) {
      const v = scopeOf(f);
      if (v) this.scopes.push(v);
    }
    this.meter = new Meter(options);
    this.ctx = { now: options.now, uuid: options.uuid, meter: this.meter };
    this.handles = new HandleTable(state);
  }

  /** Steps used in this activation (statements plus charged work). */
  get steps(): number {
    return this.meter.steps;
  }

  // -------------------------------------------------------------------------------------------
  // Driving
  // -------------------------------------------------------------------------------------------

  /**
   * Runs until the state is no longer 'running'. A `throw` or a runtime error goes to the nearest
   * enclosing `try` (`raise`); with none, or for an uncatchable error, it becomes a `fail` command.
   */
  run(): void {
    for (;;) {
      try {
        this.loop();
        break;
      } catch (e) {
        if (!this.raiseFrom(e)) break;
      }
    }
    if (this.cur) this.state.at = { line: this.cur.span.line, col: this.cur.span.col };
  }

  /** Gives the pending await its result and continues (the caller has matched the event). */
  deliver(pending: Pending, value: Value): void {
    this.state.pending = null;
    this.state.status = 'running';
    const stmt = this.ix.nodes[pending.s] as Statement;
    this.cur = stmt;
    try {
      this.completeStatement(stmt, value);
    } catch (e) {
      if (!this.raiseFrom(e)) return;
    }
    this.run();
  }

  /** Throws `value` at the pending await (a task's permanent failure) and continues in its catch or finally. */
  deliverThrow(pending: Pending, value: Value, uncaught: WorkflowError): void {
    this.state.pending = null;
    this.state.status = 'running';
    this.cur = this.ix.nodes[pending.s] as Statement;
    if (this.raise(value, uncaught)) this.run();
  }

  /**
   * An exception of the machine as a throw the workflow may catch: a `throw` statement's value, or
   * a catchable runtime error as `{ name: 'RuntimeError', code, message, line, col }`. The
   * activation's budgets (UNCATCHABLE) and anything that is not a runtime error fail the instance.
   * True when a `catch` or `finally` took it and the machine should run on.
   */
  raiseFrom(e: unknown): boolean {
    if (e instanceof Thrown) return this.raise(e.value, e.uncaught);
    if (e instanceof RuntimeError && e.code.startsWith('CR') && !UNCATCHABLE.has(e.code)) {
      const err = this.errorOf(e);
      const value: ValueObject = { name: 'RuntimeError', code: err.code, message: err.message };
      if (err.line !== undefined) value.line = err.line;
      if (err.col !== undefined) value.col = err.col;
      if (err.task !== undefined) value.task = err.task;
      if (err.attempts !== undefined) value.attempts = err.attempts;
      return this.raise(value, err);
    }
    if (this.fnBase > 0) throw e; // inside a helper: the caller's statement fails
    this.failFrom(e);
    return false;
  }

  /**
   * Throws `value` from the top of the frame stack: frames are popped up to the nearest `try`
   * whose catch (from its try block) or finally (from its try or catch block) can take it. With
   * none, the instance fails with `uncaught`. True when a handler took it.
   */
  raise(value: Value, uncaught: WorkflowError): boolean {
    const frames = this.frames;
    for (;;) {
      if (frames.length <= this.fnBase) {
        // a throw no try of the running helper or callback takes goes on in its caller
        if (this.fnBase > 0) throw new Thrown(value, uncaught);
        this.fail(uncaught);
        return false;
      }
      const f = frames[frames.length - 1]!;
      if (f.k === 'T') {
        const node = this.ix.nodes[f.n] as Try;
        if (f.p === 0 && node.handler) {
          f.p = 1;
          this.state.status = 'running';
          const v: Scope = {};
          this.pushFrame({ k: 'L', n: node.handler.id, i: 0, v }, v);
          if (!node.param) return true;
          try {
            this.bind(node.param, value, v);
            return true;
          } catch (e) {
            // `catch ({ a: [x] })` that does not fit the value: a throw from inside the catch block
            return this.raiseFrom(e);
          }
        }
        if (f.p < 2 && node.finalizer) {
          f.p = 2;
          f.c = { t: 'throw', v: value, u: uncaught };
          this.state.status = 'running';
          this.pushBody(node.finalizer);
          return true;
        }
      }
      this.popFrame();
    }
  }

  /** The failure a runtime error means, at its node or the current statement. */
  private errorOf(e: RuntimeError): WorkflowError {
    const span = e instanceof PositionedError ? e.span : undefined;
    const where = span ?? this.cur?.span;
    const err: WorkflowError = { code: e.code, message: e.message };
    if (where) {
      err.line = where.line;
      err.col = where.col;
    }
    if (e instanceof PositionedError) Object.assign(err, e.extra);
    return err;
  }

  failFrom(e: unknown): void {
    if (e instanceof RuntimeError) {
      this.fail(this.errorOf(e));
      return;
    }
    if (e instanceof Thrown) {
      this.fail(e.uncaught);
      return;
    }
    // Why: a string or array grown past what the engine can hold, or expressions nested too deeply,
    // must fail the instance with a clear error rather than crash the host again at every retry.
    // The budgets (budget.ts) catch these first; this is the last line.
    if (e instanceof RangeError) {
      const where = this.cur?.span;
      this.fail({ code: 'CR006', message: `value or expression too large: ${e.message}`, line: where?.line, col: where?.col });
      return;
    }
    throw e;
  }

  fail(error: WorkflowError): void {
    if (error.line === undefined) delete error.line;
    if (error.col === undefined) delete error.col;
    if (this.state.x) {
      // compensating after a cancel: whatever ends the code, the instance ends cancelled
      const why = this.state.x.reason;
      const e: WorkflowError = { code: 'CANCELLED', message: error.code === 'CANCELLED' ? why : `${why}; then the compensation failed: ${error.code} ${error.message}` };
      if (error.line !== undefined) e.line = error.line;
      if (error.col !== undefined) e.col = error.col;
      this.endCancelled(e);
      return;
    }
    this.state.status = 'failed';
    this.state.error = error;
    this.end();
    this.commands.push({ type: 'fail', error });
  }

  private finish(result: Value): void {
    if (this.state.x) {
      this.endCancelled({ code: 'CANCELLED', message: this.state.x.reason }, result);
      return;
    }
    this.state.status = 'completed';
    this.state.result = result;
    this.end();
    this.commands.push({ type: 'complete', result });
  }

  /**
   * A cancel with no `catch`/`finally` that can see the blocked await: the instance ends now.
   * (With one, awaits.ts `cancelHandles` rejects the handles and the machine throws at the await.)
   */
  cancelNow(reason: string): void {
    this.endCancelled({ code: 'CANCELLED', message: reason });
  }

  /** The end of a cancelled instance: a `cancelled` command, with the value its code returned, if any. */
  private endCancelled(error: WorkflowError, result?: Value): void {
    this.state.status = 'cancelled';
    this.state.error = error;
    if (result !== undefined) this.state.result = result;
    this.end();
    const c: Command = { type: 'cancelled', error };
    if (result !== undefined) c.result = result;
    this.commands.push(c);
  }

  /** A finished state keeps no frames, handles or pending await (outstanding work is abandoned). */
  private end(): void {
    this.state.frames = [];
    this.frames.length = 0;
    this.state.pending = null;
    this.handles.clear();
  }

  private tick(): void {
    this.meter.step();
  }

  private loop(): void {
    const frames = this.frames;
    const ix = this.ix;
    const state = this.state;
    const base = this.fnBase;
    while (state.status === 'running') {
      if (frames.length === base) {
        // fell off the end of the workflow body: like a function, the result is null (a helper's
        // or callback's result is already set: null, or its return value)
        if (base === 0) this.finish(null);
        return;
      }
      const f = frames[frames.length - 1]!;
      switch (f.k) {
        case 'L': {
          const list = ix.lists[f.n]!;
          if (f.i >= list.length) {
            this.popFrame();
            break;
          }
          this.exec(list[f.i++]!);
          break;
        }
        case 'W': {
          const node = ix.nodes[f.n] as Extract<Statement, { kind: 'While' }>;
          this.cur = node;
          if (this.emptyBody(node.body)) this.tick();
          if (truthy(this.ev(node.test))) this.pushBody(node.body);
          else this.popFrame();
          break;
        }
        case 'F': {
          const node = ix.nodes[f.n] as Extract<Statement, { kind: 'For' }>;
          if (f.p === 2) {
            f.p = 1;
            if (node.update) {
              this.cur = node.update;
              this.exec(node.update, false);
            }
            break;
          }
          if (f.p === 0) {
            f.p = 1;
            if (node.init) this.exec(node.init, false);
            break;
          }
          this.cur = node;
          if (this.emptyBody(node.body)) this.tick();
          if (node.test === undefined || truthy(this.ev(node.test))) {
            f.p = 2;
            this.pushBody(node.body);
          } else this.popFrame();
          break;
        }
        case 'O': {
          const node = ix.nodes[f.n] as Extract<Statement, { kind: 'ForOf' }>;
          this.cur = node;
          if (this.emptyBody(node.body)) this.tick();
          if (f.i >= f.xs.length) {
            this.popFrame();
            break;
          }
          const item = f.xs[f.i++]!;
          this.bind(node.target, copy(item, this.meter), f.v);
          this.pushBody(node.body);
          break;
        }
        case 'T': {
          const node = ix.nodes[f.n] as Try;
          if (f.p < 2 && node.finalizer) {
            // the try or catch block ended normally: run the finally block
            f.p = 2;
            this.pushBody(node.finalizer);
            break;
          }
          const c = f.c;
          this.popFrame();
          if (c) this.carryOn(c, node);
          break;
        }
        case 'S': {
          // the body of case c - 1 ended without break: fall through to case c
          const cases = (ix.nodes[f.n] as Switch).cases;
          if (f.c >= cases.length) {
            this.popFrame();
            break;
          }
          this.frames.push({ k: 'L', n: cases[f.c++]!.id, i: 0 });
          break;
        }
        case 'B':
          // the labeled block ended normally
          this.popFrame();
          break;
        default:
          assertNever(f, 'frame');
      }
    }
  }

  /** A finally block ended normally: what it interrupted goes on (a throw, return, break or continue). */
  private carryOn(c: Completion, node: Try): void {
    switch (c.t) {
      case 'throw':
        this.raise(c.v, c.u);
        return;
      case 'return':
        this.doReturn(c.v, false);
        return;
      case 'break':
      case 'continue':
        this.jump(c.t === 'break' ? 'Break' : 'Continue', node.span, c.l);
        return;
      default:
        assertNever(c, 'completion');
    }
  }

  /**
   * `return value`: through the finally blocks of the enclosing `try`s, then the workflow ends (or
   * the running helper or callback gives `value`; `owned`: a value of its own, not one it read).
   */
  private doReturn(value: Value, owned = true): void {
    const frames = this.frames;
    const base = this.fnBase;
    for (let i = frames.length - 1; i >= base; i--) {
      const f = frames[i]!;
      if (f.k === 'T' && f.p < 2) {
        const fin = (this.ix.nodes[f.n] as Try).finalizer;
        if (!fin) continue;
        while (frames.length - 1 > i) this.popFrame();
        f.p = 2;
        f.c = { t: 'return', v: value };
        this.pushBody(fin);
        return;
      }
    }
    if (base === 0) {
      this.finish(value);
      return;
    }
    while (frames.length > base) this.popFrame();
    this.fnResult = value;
    this.fnOwned = owned;
  }

  /**
   * `break` / `continue` (with a label or not): pops frames to what it leaves or continues, running
   * the finally blocks on the way. A plain `break` leaves the innermost loop or switch, a plain
   * `continue` goes on with the innermost loop; `break label` leaves the statement with that label
   * (a loop, a switch or a labeled block), `continue label` goes on with the loop with that label.
   */
  private jump(kind: 'Break' | 'Continue', span: Span, label?: string): void {
    for (;;) {
      if (this.frames.length <= this.fnBase) throw new PositionedError('CT016', `${kind.toLowerCase()}${label ? ` ${label}` : ''} has no target`, span);
      const f = this.frames[this.frames.length - 1]!;
      if (f.k === 'L') {
        this.popFrame();
        continue;
      }
      if (f.k === 'T') {
        const fin = (this.ix.nodes[f.n] as Try).finalizer;
        if (f.p < 2 && fin) {
          f.p = 2;
          f.c = label === undefined ? { t: kind === 'Break' ? 'break' : 'continue' } : { t: kind === 'Break' ? 'break' : 'continue', l: label };
          this.pushBody(fin);
          return;
        }
        this.popFrame();
        continue;
      }
      const isLoop = f.k === 'W' || f.k === 'F' || f.k === 'O';
      const labeled = label !== undefined && (this.ix.labels.get(f.n)?.includes(label) ?? false);
      if (label === undefined ? isLoop || (kind === 'Break' && f.k === 'S') : labeled) {
        if (kind === 'Break') this.popFrame();
        // a continue goes on with the loop frame (its next test, update or item)
        return;
      }
      this.popFrame();
    }
  }

  /**
   * Steps count statements. Why an empty loop body counts its iterations: otherwise `while (true) {}`
   * would never exhaust the budget; a non-empty body counts at least its first statement.
   */
  private emptyBody(body: Statement): boolean {
    return body.kind === 'Block' && body.body.length === 0;
  }

  private pushFrame(f: Frame, scope?: Scope): void {
    this.frames.push(f);
    if (scope) this.scopes.push(scope);
  }

  private popFrame(): void {
    const f = this.frames.pop()!;
    if (scopeOf(f)) this.scopes.pop();
  }

  /** Pushes a loop or branch body: a Block gets a scope if it declares something. */
  private pushBody(body: Statement): void {
    if (body.kind === 'Block' && this.ix.scoped.has(body.id)) {
      const v: Scope = {};
      this.pushFrame({ k: 'L', n: body.id, i: 0, v }, v);
    } else {
      // a Block that declares nothing, or a lone statement (`if (x) return 1`): no scope object
      this.frames.push({ k: 'L', n: body.id, i: 0 });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Statements
  // -------------------------------------------------------------------------------------------

  private exec(s: Statement, count = true): void {
    this.cur = s;
    if (count) this.tick();
    switch (s.kind) {
      case 'VarDecl': {
        const init = s.init;
        if (init === undefined) this.bind(s.target, null, this.top());
        else if (init.kind === 'Await') this.await(init, s);
        else this.bind(s.target, this.own(init, this.ev(init)), this.top());
        return;
      }
      case 'Assign':
        if (s.op === '??=' || s.op === '||=' || s.op === '&&=') {
          this.logicalAssign(s);
          return;
        }
        if (s.value.kind === 'Await') this.await(s.value, s);
        else this.assign(s, this.own(s.value, this.ev(s.value)));
        return;
      case 'Update':
        this.update(s);
        return;
      case 'ExprStmt':
        if (s.expression.kind === 'Await') this.await(s.expression, s);
        else this.ev(s.expression);
        return;
      case 'Return':
        if (s.argument === undefined) this.doReturn(null);
        else if (s.argument.kind === 'Await') this.await(s.argument, s);
        else if (this.fnBase > 0) {
          // a function's result is handed over as it is: its caller stores it only through `own`
          const v = this.ev(s.argument);
          this.doReturn(v, this.isOwnValue(s.argument, v));
        } else this.doReturn(this.own(s.argument, this.ev(s.argument)));
        return;
      case 'Try':
        this.frames.push({ k: 'T', n: s.id, p: 0 });
        this.pushBody(s.block);
        return;
      case 'Throw': {
        const v = this.own(s.argument, this.ev(s.argument));
        throw new Thrown(v, uncaughtError(v, s.span));
      }
      case 'If':
        if (truthy(this.ev(s.test))) this.pushBody(s.consequent);
        else if (s.alternate) this.pushBody(s.alternate);
        return;
      case 'Block':
        this.pushBody(s);
        return;
      case 'While':
        this.frames.push({ k: 'W', n: s.id });
        return;
      case 'For': {
        if (s.init?.kind === 'VarDecl') {
          const v: Scope = {};
          this.pushFrame({ k: 'F', n: s.id, p: 0, v }, v);
        } else this.frames.push({ k: 'F', n: s.id, p: 0 });
        return;
      }
      case 'ForOf': {
        const list = this.ev(s.iterable);
        let xs: Value[];
        if (Array.isArray(list)) xs = copy(list, this.meter);
        else if (typeof list === 'string') {
          this.meter.work(list.length);
          this.meter.array(list.length);
          xs = Array.from(list);
        }
        else throw new PositionedError('CR002', `for...of needs an array or a string, got ${kindOf(list)}`, s.iterable.span);
        const v: Scope = {};
        this.pushFrame({ k: 'O', n: s.id, i: 0, xs, v }, v);
        return;
      }
      case 'Break':
      case 'Continue':
        this.jump(s.kind, s.span, s.label);
        return;
      case 'Switch':
        this.switch(s);
        return;
      case 'Labeled':
        this.labeled(s);
        return;
      case 'Invalid':
        // only in a partial program, which is never run (a program with a syntax error has none)
        throw new PositionedError('CS001', 'this part of the program did not parse', s.span);
      default:
        assertNever(s, 'statement');
    }
  }

  /**
   * `switch`: the case tests are compared with `===` (structural) in order until one matches (then
   * `default` if none does); that case's body runs, then the following ones (fall-through) until a
   * `break`. The cases share one scope, held by the switch frame.
   */
  private switch(s: Switch): void {
    const d = this.ev(s.discriminant);
    let at = -1;
    for (let i = 0; i < s.cases.length && at < 0; i++) {
      const test = s.cases[i]!.test;
      if (test === undefined) continue;
      const v = this.ev(test);
      if (d === v || this.equal(d, v)) at = i;
    }
    if (at < 0) at = s.cases.findIndex((c) => c.test === undefined);
    if (at < 0) return;
    if (this.ix.scoped.has(s.id)) {
      const v: Scope = {};
      this.pushFrame({ k: 'S', n: s.id, c: at, v }, v);
    } else this.frames.push({ k: 'S', n: s.id, c: at });
  }

  /**
   * `label: stmt`: a loop or switch carries its labels itself (program.ts `labels`); anything else
   * runs above a `B` frame, which `break label` leaves.
   */
  private labeled(s: Labeled): void {
    const { body } = labelChain(s);
    if (body.kind === 'While' || body.kind === 'For' || body.kind === 'ForOf' || body.kind === 'Switch') {
      this.exec(body, false);
      return;
    }
    this.frames.push({ k: 'B', n: s.id });
    this.pushBody(body);
  }

  /**
   * `t ??= v`, `t ||= v`, `t &&= v`: the target is read first; only when it is null / falsy /
   * truthy is the value evaluated (or awaited) and stored.
   */
  private logicalAssign(s: Assign): void {
    const target = s.target as Expression;
    const assigns = (old: Value) => (s.op === '??=' ? old === null : s.op === '||=' ? !truthy(old) : truthy(old));
    if (s.value.kind === 'Await') {
      if (assigns(this.ev(target))) this.await(s.value, s);
      return;
    }
    const value = s.value;
    this.store(target, (old) => (assigns(old) ? this.own(value, this.ev(value)) : KEEP));
  }

  /** The innermost scope (where a declaration binds). */
  private top(): Scope {
    return this.scopes[this.scopes.length - 1]!;
  }

  private await(node: Await, stmt: VarDecl | Assign | ExprStmt | Return): void {
    if (this.depth > 0) throw new PositionedError('CT051', 'a helper or callback cannot await: await in the workflow itself', node.span);
    const r = beginAwait(this, node, stmt);
    if (r.immediate === 'throw') throw new Thrown(r.value, r.uncaught);
    if (r.immediate) this.completeStatement(stmt, r.value);
  }

  /** Finishes a statement whose await gave `value` (now or on resume). */
  completeStatement(s: Statement, value: Value): void {
    switch (s.kind) {
      case 'VarDecl':
        this.bind(s.target, value, this.top());
        return;
      case 'Assign':
        this.assign(s, value);
        return;
      case 'Return':
        this.doReturn(value);
        return;
      case 'ExprStmt':
        return;
      default:
        throw new PositionedError('CT009', `await is not allowed in a ${s.kind} statement`, s.span);
    }
  }

  /** `{ a, b, ...rest }`: the fields of `value` the pattern does not name, as a new object. */
  private restOf(value: ValueObject, named: readonly { key: string }[]): ValueObject {
    const taken = new Set(named.map((x) => x.key));
    const keys = Object.keys(value);
    this.meter.alloc(BYTES.object(keys.length));
    const rest: ValueObject = {};
    for (const k of keys) if (!taken.has(k)) setOwn(rest, k, value[k]!);
    return rest;
  }

  /** Binds a pattern in `scope`; `value` is already owned (a copy nobody else holds). */
  private bind(p: Pattern, value: Value, scope: Scope): void {
    switch (p.kind) {
      case 'IdentifierPattern':
        setOwn(scope, p.name, value);
        return;
      case 'ArrayPattern': {
        if (!Array.isArray(value)) throw new PositionedError('CR011', `cannot destructure ${kindOf(value)} as an array`, p.span);
        const els = p.elements;
        for (let i = 0; i < els.length; i++) {
          const e = els[i];
          if (e) this.bind(e, i < value.length ? value[i]! : null, scope);
        }
        if (p.rest) {
          this.meter.array(Math.max(0, value.length - els.length));
          setOwn(scope, p.rest.name, value.slice(els.length));
        }
        return;
      }
      case 'ObjectPattern': {
        if (!isObject(value)) throw new PositionedError('CR011', `cannot destructure ${kindOf(value)} as an object`, p.span);
        for (const prop of p.properties) this.bind(prop.value, getOwn(value, prop.key), scope);
        if (p.rest) setOwn(scope, p.rest.name, this.restOf(value, p.properties));
        return;
      }
      default:
        assertNever(p, 'pattern');
    }
  }

  /**
   * The scope holding `name`, to assign it; CT001 when there is none and CT052 when it is a
   * callback's surroundings (both only reachable for unchecked programs).
   */
  private scopeOf(name: string, node: { span: Span }): Scope {
    const scopes = this.scopes;
    for (let i = scopes.length - 1; i >= this.readFloor; i--) {
      const s = scopes[i]!;
      if (Object.hasOwn(s, name)) {
        if (i < this.writeFloor) throw new PositionedError('CT052', `a callback cannot change '${name}': it is declared outside it`, node.span);
        return s;
      }
    }
    throw new PositionedError('CT001', `undeclared variable '${name}'`, node.span);
  }

  /** In a callback, that the root variable of `target` (`o` of `o.a[i]`) is its own to change. */
  private writable(target: Expression): void {
    if (this.depth === 0) return;
    let e = bare(target);
    while (e.kind === 'Member' || e.kind === 'Index') e = bare(e.object);
    if (e.kind === 'Identifier') this.scopeOf(e.name, e);
  }

  private hasVar(name: string): boolean {
    for (let i = this.scopes.length - 1; i >= this.readFloor; i--) if (Object.hasOwn(this.scopes[i]!, name)) return true;
    return false;
  }

  /** Is `v`, the value of `e` returned by the running function, its own (made or copied inside it)? */
  private isOwnValue(e: Expression, v: Value): boolean {
    if (typeof v !== 'object' || v === null) return true;
    if (e.kind === 'ArrayLiteral' || e.kind === 'ObjectLiteral') return true;
    if (e.kind !== 'Identifier' || this.borrowed?.has(e.name)) return false;
    for (let i = this.scopes.length - 1; i >= this.readFloor; i--) if (Object.hasOwn(this.scopes[i]!, e.name)) return i >= this.writeFloor;
    return false;
  }

  // -------------------------------------------------------------------------------------------
  // Helpers and callbacks
  // -------------------------------------------------------------------------------------------

  /**
   * Runs a helper or an arrow function with `args` and gives its result (CallbackHost). A
   * parameter its body changes is bound to a copy of its argument (unless bit i of `owned` hands
   * the argument over); the others are bound to the arguments themselves, as reads are.
   */
  invoke(fn: FunctionDecl | ArrowFunction, args: Value[], owned = 0): Value {
    if (this.depth >= MAX_CALL_DEPTH) {
      throw new PositionedError('CR035', `helpers and callbacks nested more than ${MAX_CALL_DEPTH} deep (a helper calling itself?)`, fn.span);
    }
    const scope: Scope = {};
    const written = writtenNames(this.ix, fn);
    let borrowed: Set<string> | undefined;
    const ps = fn.params;
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i]!;
      let v = i < args.length ? args[i]! : null;
      if (typeof v === 'object' && v !== null && !(owned & (1 << i))) {
        if (written.size > 0 && bindsAny(p.target, written)) v = copy(v, this.meter);
        else if (p.target.kind === 'IdentifierPattern') (borrowed ??= new Set()).add(p.target.name);
        else borrowed = new Set(['*']); // destructured reads: treat every result as borrowed
      }
      this.bind(p.target, v, scope);
    }
    const saved = {
      fnBase: this.fnBase, readFloor: this.readFloor, writeFloor: this.writeFloor, cur: this.cur,
      frames: this.frames.length, scopes: this.scopes.length, fnResult: this.fnResult, fnOwned: this.fnOwned, borrowed: this.borrowed,
    };
    if (fn.kind === 'FunctionDecl') this.readFloor = this.scopes.length;
    this.writeFloor = this.scopes.length;
    this.borrowed = borrowed?.has('*') ? undefined : borrowed;
    this.depth++;
    let result: Value;
    let resultOwned: boolean;
    try {
      this.meter.step(); // the call itself (an expression body is its one statement)
      const body = fn.body;
      if (body.kind !== 'Block') {
        this.scopes.push(scope);
        result = this.ev(body);
        resultOwned = !borrowed?.has('*') && this.isOwnValue(body, result);
      } else {
        this.fnBase = this.frames.length;
        this.fnResult = null;
        this.fnOwned = true;
        this.pushFrame({ k: 'L', n: body.id, i: 0, v: scope }, scope);
        this.runFunction();
        result = this.fnResult;
        resultOwned = this.fnOwned && !borrowed?.has('*');
      }
    } catch (e) {
      // a budget met inside the function points at the statement it was running (or the arrow
      // function's body); one met by a helper's call itself, at the calling statement
      if (e instanceof RuntimeError && !(e instanceof PositionedError)) {
        const at = this.cur !== saved.cur ? this.cur?.span : fn.kind === 'ArrowFunction' ? (fn.body.kind === 'Block' ? fn.span : fn.body.span) : undefined;
        if (at) throw new PositionedError(e.code, e.message, at);
      }
      throw e;
    } finally {
      this.frames.length = saved.frames;
      this.scopes.length = saved.scopes;
      this.fnBase = saved.fnBase;
      this.readFloor = saved.readFloor;
      this.writeFloor = saved.writeFloor;
      this.cur = saved.cur;
      this.fnResult = saved.fnResult;
      this.fnOwned = saved.fnOwned;
      this.borrowed = saved.borrowed;
      this.depth--;
    }
    this.lastOwned = resultOwned;
    return result;
  }

  /** Runs the frames of a block-bodied function until it returns; a throw it does not catch leaves as an exception. */
  private runFunction(): void {
    for (;;) {
      try {
        this.loop();
        return;
      } catch (e) {
        this.raiseFrom(e); // a try inside took it (true), or it is thrown on to the caller
      }
    }
  }

  /** Runs `f`; a runtime error without a position (a budget met by a built-in) gets the call's. */
  private withPosition(e: Call, f: () => Value): Value {
    try {
      return f();
    } catch (err) {
      if (err instanceof RuntimeError && !(err instanceof PositionedError)) throw new PositionedError(err.code, err.message, e.span);
      throw err;
    }
  }

  /** `f(a, b)` of a top-level helper: arguments are evaluated left to right; missing ones are null. */
  private callHelper(fn: FunctionDecl, e: Call): Value {
    const args: Value[] = new Array(e.args.length);
    for (let i = 0; i < args.length; i++) args[i] = this.ev(e.args[i]!);
    return this.invoke(fn, args);
  }

  private assign(s: Assign, value: Value): void {
    const t = s.target;
    if (t.kind === 'ArrayAssignPattern' || t.kind === 'ObjectAssignPattern') {
      this.destructure(t, value);
      return;
    }
    const plain = s.op === '=' || s.op === '??=' || s.op === '||=' || s.op === '&&=';
    if (t.kind === 'Identifier') {
      // the hot path (`s += i`): no closure
      const scope = this.scopeOf(t.name, t);
      setOwn(scope, t.name, plain ? value : this.arith(compoundOp(s.op), scope[t.name]!, value, s));
      return;
    }
    if (plain) {
      this.store(t, () => value);
      return;
    }
    const op = compoundOp(s.op);
    this.store(t, (old) => this.arith(op, old, value, s));
  }

  /**
   * `[a, b] = v`, `({ a, b: o.c } = v)`: each target gets its element or field (null when missing)
   * and is stored like `target = …`; `value` is already owned, so its parts are stored as they are.
   */
  private destructure(p: AssignTarget, value: Value): void {
    switch (p.kind) {
      case 'ArrayAssignPattern': {
        if (!Array.isArray(value)) throw new PositionedError('CR011', `cannot destructure ${kindOf(value)} as an array`, p.span);
        const els = p.elements;
        for (let i = 0; i < els.length; i++) {
          const e = els[i];
          if (e) this.destructure(e, i < value.length ? value[i]! : null);
        }
        if (p.rest) {
          this.meter.array(Math.max(0, value.length - els.length));
          this.destructure(p.rest, value.slice(els.length));
        }
        return;
      }
      case 'ObjectAssignPattern': {
        if (!isObject(value)) throw new PositionedError('CR011', `cannot destructure ${kindOf(value)} as an object`, p.span);
        for (const prop of p.properties) this.destructure(prop.value, getOwn(value, prop.key));
        if (p.rest) this.destructure(p.rest, this.restOf(value, p.properties));
        return;
      }
      default:
        this.store(p, () => value);
    }
  }

  private update(s: Update): void {
    const t = bare(s.target);
    if (t.kind === 'Identifier') {
      const scope = this.scopeOf(t.name, t);
      const old = scope[t.name]!;
      if (typeof old !== 'number') throw new PositionedError('CR002', `${s.op} needs a number, got ${kindOf(old)}`, s.span);
      setOwn(scope, t.name, s.op === '++' ? old + 1 : old - 1);
      return;
    }
    this.store(t, (old) => {
      if (typeof old !== 'number') throw new PositionedError('CR002', `${s.op} needs a number, got ${kindOf(old)}`, s.span);
      const n = s.op === '++' ? old + 1 : old - 1;
      return n;
    });
  }

  /**
   * Writes `f(old)` to an assignable target: a variable, `o.p` or `xs[i]` / `o[k]` (the target's
   * object and key are evaluated once). `f` may give KEEP to write nothing.
   */
  private store(written: Expression, f: (old: Value) => Value | typeof KEEP): void {
    const t = bare(written);
    if (t.kind !== 'Identifier') this.writable(t);
    switch (t.kind) {
      case 'Identifier': {
        const scope = this.scopeOf(t.name, t);
        const v = f(scope[t.name]!);
        if (v !== KEEP) setOwn(scope, t.name, v);
        return;
      }
      case 'Member': {
        const o = this.ev(t.object);
        if (o === null) throw new PositionedError('CR001', `cannot set property '${t.property}' of null`, t.span);
        if (!isObject(o)) throw new PositionedError('CR002', `cannot set property '${t.property}' of ${kindOf(o)}`, t.span);
        if (t.property === HANDLE_KEY) throw reservedKey(t.span);
        const v = f(getOwn(o, t.property));
        if (v !== KEEP) setOwn(o, t.property, v);
        return;
      }
      case 'Index': {
        const o = this.ev(t.object);
        const k = this.ev(t.index);
        if (o === null) throw new PositionedError('CR001', `cannot set an element of null`, t.span);
        if (Array.isArray(o)) {
          const inRange = typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < o.length;
          const v = f(inRange ? o[k as number]! : null);
          if (v === KEEP) return;
          if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k > o.length) {
            throw new PositionedError(
              'CR004',
              `cannot write index ${toText(k)} of an array of length ${o.length} (integers 0..length only)`,
              t.span,
            );
          }
          if (k === o.length) this.meter.array(k + 1, false);
          o[k] = v;
          return;
        }
        if (isObject(o)) {
          if (typeof k !== 'string' && typeof k !== 'number') {
            throw new PositionedError('CR002', `an object key must be a string or number, got ${kindOf(k)}`, t.index.span);
          }
          const key = String(k);
          if (key === HANDLE_KEY) throw reservedKey(t.span);
          const v = f(getOwn(o, key));
          if (v !== KEEP) setOwn(o, key, v);
          return;
        }
        throw new PositionedError('CR002', `cannot set an element of ${kindOf(o)}`, t.span);
      }
      default:
        throw new PositionedError('CT017', `cannot assign to a ${t.kind} expression`, t.span);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Expressions
  // -------------------------------------------------------------------------------------------

  /**
   * The value of `e` ready to be stored: a copy unless `e` certainly made a fresh value.
   * Why: reads return the stored array/object itself; storing it twice would share it.
   */
  own(e: Expression, v: Value): Value {
    if (typeof v !== 'object' || v === null) return v;
    switch (e.kind) {
      case 'ArrayLiteral':
      case 'ObjectLiteral':
        return v;
      default:
        return copy(v, this.meter);
    }
  }

  ev(e: Expression): Value {
    switch (e.kind) {
      case 'NumberLiteral':
      case 'StringLiteral':
      case 'BooleanLiteral':
        return e.value;
      case 'NullLiteral':
        return null;
      case 'Identifier': {
        const scopes = this.scopes;
        const name = e.name;
        for (let i = scopes.length - 1; i >= this.readFloor; i--) {
          const s = scopes[i]!;
          if (Object.hasOwn(s, name)) return s[name]!;
        }
        if (this.ix.functions.has(name)) throw new PositionedError('CT050', `'${name}' is a function: call it, or pass it to an array method`, e.span);
        if (name === 'instance') return this.instanceValue();
        throw new PositionedError('CT001', `undeclared variable '${name}'`, e.span);
      }
      case 'Binary': {
        const l = this.ev(e.left);
        const r = this.ev(e.right);
        switch (e.op) {
          case '+':
          case '-':
          case '*':
          case '/':
          case '%':
          case '**':
            return this.arith(e.op, l, r, e);
          case '===':
          case '==':
            return l === r || this.equal(l, r);
          case '!==':
          case '!=':
            return !(l === r || this.equal(l, r));
          case '<':
          case '<=':
          case '>':
          case '>=':
            return this.compare(e.op, l, r, e);
          case 'in':
            return this.hasKey(l, r, e);
          default:
            return assertNever(e as never, 'operator');
        }
      }
      case 'Logical': {
        const l = this.ev(e.left);
        switch (e.op) {
          case '&&':
            return truthy(l) ? this.ev(e.right) : l;
          case '||':
            return truthy(l) ? l : this.ev(e.right);
          case '??':
            return l === null ? this.ev(e.right) : l;
          default:
            return assertNever(e as never, 'operator');
        }
      }
      case 'Unary': {
        const v = this.ev(e.argument);
        switch (e.op) {
          case '!':
            return !truthy(v);
          case 'typeof':
            return typeOf(v);
          case '-':
          case '+':
            if (typeof v !== 'number') throw new PositionedError('CR002', `unary ${e.op} needs a number, got ${kindOf(v)}`, e.span);
            return e.op === '-' ? 0 - v : v; // 0 - v, not -v: no -0
          default:
            return assertNever(e as never, 'operator');
        }
      }
      case 'Conditional':
        return truthy(this.ev(e.test)) ? this.ev(e.consequent) : this.ev(e.alternate);
      case 'TemplateLiteral': {
        let out = e.quasis[0]!;
        for (let i = 0; i < e.expressions.length; i++) {
          const part = this.text(this.ev(e.expressions[i]!));
          const q = e.quasis[i + 1]!;
          this.meter.string(out.length + part.length + q.length);
          out += part + q;
        }
        return out;
      }
      case 'ArrayLiteral': {
        const out: Value[] = [];
        this.meter.array(e.elements.length);
        for (const el of e.elements) {
          if (el.kind === 'Spread') {
            const v = this.ev(el.argument);
            if (!Array.isArray(v)) throw new PositionedError('CR002', `only an array can be spread into an array, got ${kindOf(v)}`, el.span);
            this.meter.array(out.length + v.length);
            for (const x of v) out.push(copy(x, this.meter));
          } else out.push(this.own(el, this.ev(el)));
        }
        return out;
      }
      case 'ObjectLiteral': {
        const out: ValueObject = {};
        this.meter.alloc(BYTES.object(e.properties.length));
        for (const p of e.properties) {
          if (p.kind === 'Spread') {
            const v = this.ev(p.argument);
            if (v === null) continue;
            if (!isObject(v)) throw new PositionedError('CR002', `only an object can be spread into an object, got ${kindOf(v)}`, p.span);
            const keys = Object.keys(v);
            this.meter.alloc(BYTES.object(keys.length));
            for (const k of keys) setOwn(out, k, copy(v[k]!, this.meter));
          } else {
            if (p.key === HANDLE_KEY) throw reservedKey(p.span);
            setOwn(out, p.key, this.own(p.value, this.ev(p.value)));
          }
        }
        return out;
      }
      case 'Member':
      case 'Index':
      case 'Call': {
        const v = this.chain(e);
        return v === SHORT ? null : v;
      }
      case 'Await':
        throw new PositionedError('CT009', 'await is only allowed as a whole statement, initializer, assigned value or return value', e.span);
      case 'As':
      case 'Satisfies':
      case 'NonNull':
        // type-level only: the value is the expression's (null included, for `x!`)
        return this.ev(e.expression);
      case 'Invalid':
        throw new PositionedError('CS001', 'this part of the program did not parse', e.span);
      case 'ArrowFunction':
        throw new PositionedError('CT050', 'an arrow function can only be passed straight to an array method (map, filter, …)', e.span);
      default:
        return assertNever(e, 'expression');
    }
  }

  /** Evaluates a chain part; an optional link that met null gives SHORT for the whole chain. */
  private chain(e: Expression): Chained {
    switch (e.kind) {
      case 'Member': {
        const o = this.chainOf(e.object);
        if (o === SHORT) return SHORT;
        if (o === null) {
          if (e.optional) return SHORT;
          throw new PositionedError('CR001', `cannot read property '${e.property}' of null`, e.span);
        }
        return this.prop(o, e.property);
      }
      case 'Index': {
        const o = this.chainOf(e.object);
        if (o === SHORT) return SHORT;
        if (o === null) {
          if (e.optional) return SHORT;
          throw new PositionedError('CR001', `cannot read an element of null`, e.span);
        }
        return this.element(o, this.ev(e.index), e);
      }
      case 'Call':
        return this.call(e);
      default:
        return this.ev(e);
    }
  }

  private chainOf(e: Expression): Chained {
    return e.kind === 'Member' || e.kind === 'Index' || e.kind === 'Call' ? this.chain(e) : this.ev(e);
  }

  /** Reading a property: objects' own keys, `length` of strings and arrays; anything else is missing (null). */
  private prop(o: Value, name: string): Value {
    if (isObject(o)) return getOwn(o, name);
    if ((typeof o === 'string' || Array.isArray(o)) && name === 'length') return o.length;
    return null;
  }

  private element(o: Value, k: Value, e: { span: Span; index: Expression }): Value {
    if (Array.isArray(o) || typeof o === 'string') {
      if (typeof k !== 'number' || !Number.isInteger(k)) {
        throw new PositionedError('CR004', `an index must be an integer, got ${typeof k === 'number' ? k : kindOf(k)}`, e.span);
      }
      return k >= 0 && k < o.length ? o[k]! : null;
    }
    if (isObject(o)) {
      if (typeof k === 'string') return getOwn(o, k);
      if (typeof k === 'number') return getOwn(o, String(k));
      throw new PositionedError('CR002', `an object key must be a string or number, got ${kindOf(k)}`, e.index.span);
    }
    throw new PositionedError('CR002', `cannot index ${kindOf(o)}`, e.span);
  }

  private call(e: Call): Chained {
    const callee = e.callee;
    if (callee.kind === 'Identifier') {
      const name = callee.name;
      if (Object.hasOwn(globals, name)) {
        const b = globals[name]!;
        // `sleep("1h")`, `signal("go")` as values: handles (awaits.ts)
        if (b.handle) return refOf(this.startHandle(e, name));
        return this.callBuiltin(b, name, null, e);
      }
      // `charge(x)` without await: the task starts now; its handle is the value
      if (this.ix.tasks.has(name)) return refOf(this.startHandle(e, `task ${name}`));
      const helper = this.ix.functions.get(name);
      if (helper) return this.callHelper(helper, e);
      throw new PositionedError('CT005', `unknown function '${name}'`, callee.span);
    }
    if (callee.kind === 'Member') {
      const obj = callee.object;
      // `workflows.charge(input)` as a value: the child starts now, its handle is the value (children.ts)
      if (isChildStart(this, e)) return refOf(this.startHandle(e, `workflows.${callee.property}`));
      if (isDetachedStart(this, e)) {
        if (this.depth > 0) throw new PositionedError('CT051', 'a helper or callback cannot start a child workflow: start it in the workflow', e.span);
        return startDetached(this, e);
      }
      if (obj.kind === 'Identifier' && Object.hasOwn(NAMESPACES, obj.name) && !this.hasVar(obj.name)) {
        const ns = NAMESPACES[obj.name]!;
        if (!Object.hasOwn(ns, callee.property)) {
          throw new PositionedError('CT008', `${obj.name}.${callee.property} is not a built-in`, callee.span);
        }
        if (ns[callee.property]!.handle && makesHandle(this, e, false)) return refOf(this.startHandle(e, `${obj.name}.${callee.property}`));
        return this.callBuiltin(ns[callee.property]!, `${obj.name}.${callee.property}`, null, e);
      }
      const self = this.chainOf(obj);
      if (self === SHORT) return SHORT;
      if (self === null) {
        if (callee.optional) return SHORT;
        throw new PositionedError('CR001', `cannot call ${callee.property}() on null`, e.span);
      }
      const m = lookupMethod(self, callee.property);
      if (!m) {
        // `o.m?.()`: a method the receiver does not have gives null (as `undefined?.()` would)
        if (e.optional) return SHORT;
        throw new PositionedError('CR002', `${kindOf(self)} has no method '${callee.property}'`, e.span);
      }
      if (m.mutates) this.writable(callee.object);
      // `items.map(task)` (a task's name, not a helper's): every task starts now, the value is their handles
      const a0 = e.args[0];
      if (callee.property === 'map' && Array.isArray(self) && e.args.length === 1 && a0?.kind === 'Identifier' && this.ix.tasks.has(a0.name) && !this.ix.functions.has(a0.name) && !this.hasVar(a0.name)) {
        return this.mapTask(self, e);
      }
      if (m.callback && (e.args.length > 0 || !m.call)) return this.withPosition(e, () => callbackMethod(this, m, callee.property, self as Value[], e));
      return this.callBuiltin(m, callee.property, self, e);
    }
    throw new PositionedError('CT005', 'only tasks and built-ins can be called', e.span);
  }

  private callBuiltin(b: Builtin, name: string, self: Value, e: Call): Value {
    if (b.log) return this.log(b.log, e);
    if (b.handle) throw new PositionedError('CT015', `${name}(…) makes a handle: await it, or keep it in a variable`, e.span);
    const problem = arityProblem(b, e.args.length, name);
    if (problem) throw new PositionedError('CT006', problem, e.span);
    const args: Value[] = new Array(e.args.length);
    for (let i = 0; i < args.length; i++) args[i] = this.ev(e.args[i]!);
    try {
      // Why charge before the call: the work a built-in does is proportional to what it touches
      // (replaceAll over 10M characters), so it counts against the step budget (budget.ts).
      let touched = 1 + (b.light ? 0 : shallowSize(self));
      for (const a of args) touched += shallowSize(a);
      this.meter.work(touched);
      const out = b.call!(self, args, this.ctx);
      if (typeof out === 'string') {
        this.meter.string(out.length);
        this.meter.work(out.length);
      } else if (Array.isArray(out) && out !== self) {
        this.meter.array(out.length);
        this.meter.work(out.length);
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
  private log(level: LogCommand['level'], e: Call): null {
    const values: Value[] = new Array(e.args.length);
    for (let i = 0; i < values.length; i++) values[i] = this.ev(e.args[i]!);
    const at = { line: e.span.line, col: e.span.col };
    if (this.logLines >= MAX_LOG_LINES) {
      const n = ++this.droppedLogs;
      if (!this.dropMarker) {
        this.dropMarker = { type: 'log', level: 'warn', message: '', at };
        this.commands.push(this.dropMarker);
      }
      this.dropMarker.message = `… ${n} more log line${n === 1 ? '' : 's'} dropped (over ${MAX_LOG_LINES} in one activation)`;
      return null;
    }
    this.logLines++;
    const parts: string[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (typeof v === 'object' && v !== null) {
        // Why not `text`: a big value is measured and charged, but logging it must not fail the
        // workflow for the length of a string that is cut to 1,024 characters right after.
        const size = measure(v);
        this.meter.work(size.nodes);
        this.meter.alloc(BYTES.string(size.bytes));
        parts[i] = JSON.stringify(v);
      } else parts[i] = toText(v);
    }
    const text = parts.join(' ');
    this.meter.work(1 + text.length);
    this.commands.push({ type: 'log', level, message: cutLog(text), at });
    return null;
  }

  /** `+ - * / % **` per dsl/README.md: numbers, or `+` with a string side concatenates. */
  arith(op: '+' | '-' | '*' | '/' | '%' | '**', l: Value, r: Value, node: { span: Span }): Value {
    if (typeof l === 'number' && typeof r === 'number') {
      const n = op === '+' ? l + r : op === '-' ? l - r : op === '*' ? l * r : op === '/' ? l / r : op === '%' ? l % r : l ** r;
      if (n - n !== 0) {
        throw new PositionedError('CR003', `${l} ${op} ${r} is not a finite number`, node.span);
      }
      // Why: -0 would turn into 0 at the next JSON round trip, so it never exists (`0 * -1` is 0)
      return n === 0 ? 0 : n;
    }
    if (op === '+' && (typeof l === 'string' || typeof r === 'string')) {
      const a = this.text(l);
      const b = this.text(r);
      // a concatenation is a rope in V8: only its length and a small cell are new
      this.meter.string(a.length + b.length);
      return a + b;
    }
    throw new PositionedError('CR002', `cannot apply ${op} to ${kindOf(l)} and ${kindOf(r)}`, node.span);
  }

  /** `key in obj`: an own key of an object (values are plain data: no prototype keys). */
  private hasKey(k: Value, o: Value, node: { span: Span }): boolean {
    if (!isObject(o)) throw new PositionedError('CR002', `'in' needs an object on its right, got ${kindOf(o)}`, node.span);
    if (typeof k !== 'string' && typeof k !== 'number') throw new PositionedError('CR002', `the key of 'in' must be a string or number, got ${kindOf(k)}`, node.span);
    return Object.hasOwn(o, String(k));
  }

  private compare(op: '<' | '<=' | '>' | '>=', l: Value, r: Value, node: { span: Span }): boolean {
    if ((typeof l === 'number' && typeof r === 'number') || (typeof l === 'string' && typeof r === 'string')) {
      return op === '<' ? l < r : op === '<=' ? l <= r : op === '>' ? l > r : l >= r;
    }
    throw new PositionedError('CR002', `cannot compare ${kindOf(l)} ${op} ${kindOf(r)} (two numbers or two strings)`, node.span);
  }

  /**
   * `xs.map(task)` outside `Promise.all(…)`: starts `task(x)` for every item at once (no
   * concurrency limit: use `Promise.all(xs.map(task), { concurrency })` for that) and gives the
   * array of their handles.
   */
  private mapTask(items: Value[], e: Call): Value {
    const task = (e.args[0] as { name: string }).name;
    if (this.depth > 0) throw new PositionedError('CT051', `a helper or callback cannot start task ${task}(…): start it in the workflow`, e.span);
    this.meter.array(items.length);
    const policy = policyOf(this, task, undefined);
    const out: Value[] = [];
    for (const item of copy(items, this.meter)) out.push(refOf(startTask(this, task, [item], policy, e.id, e.span, false)));
    return out;
  }

  /**
   * A handle-making call in a value position (`t(x)`, `sleep(d)`, `Promise.race(…)`): the handle's
   * id. Only in the workflow itself: a helper or callback runs to completion within one activation
   * and must not start work (CT051).
   */
  private startHandle(e: Call, what: string): string {
    if (this.depth > 0) throw new PositionedError('CT051', `a helper or callback cannot start ${what}(…): start it in the workflow`, e.span);
    return makeHandle(this, e, e.id, false);
  }

  /** `instance`: `{ id, workflow, startedAt }` of the instance this state belongs to (state.ts `i`). */
  private instanceValue(): Value {
    const injected = this.options.instance;
    let i = this.state.i;
    if (!i && !injected) i = this.state.i = { id: null, at: this.options.now().toISOString() };
    let id = i ? i.id : injected!.id;
    if (id === null || id === undefined) id = injected?.id ?? (this.state.i!.id = this.options.uuid());
    return { id, workflow: this.ix.program.workflow.name, startedAt: i?.at ?? injected!.startedAt };
  }

  // -------------------------------------------------------------------------------------------
  // For awaits.ts
  // -------------------------------------------------------------------------------------------

  /** `toText` with a budget: an array or object is measured (and charged) before it is printed. */
  private text(v: Value): string {
    if (typeof v !== 'object' || v === null) return toText(v);
    const size = measure(v);
    if (size.depth > MAX_DEPTH) throw new RuntimeError('CR013', `value nested deeper than ${MAX_DEPTH} levels`);
    this.meter.work(size.nodes);
    this.meter.string(size.bytes);
    return JSON.stringify(v);
  }

  /** Structural equality, charged by the nodes it compares. */
  private equal(l: Value, r: Value): boolean {
    const work = { units: 0 };
    try {
      return equals(l, r, work);
    } finally {
      this.meter.work(work.units);
    }
  }

  /** True when `name` is a local variable (so `Promise`/`Math` are not the built-ins). */
  isLocal(name: string): boolean {
    return this.hasVar(name);
  }

  instanceId(): string {
    return (this.instanceValue() as { id: string }).id;
  }
}

type ExprStmt = Extract<Statement, { kind: 'ExprStmt' }>;

function reservedKey(span: Span): PositionedError {
  return new PositionedError('CR020', `the key "${HANDLE_KEY}" is reserved for handles`, span);
}

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

function compoundOp(op: Assign['op']): '+' | '-' | '*' | '/' | '%' | '**' {
  return op === '+=' ? '+' : op === '-=' ? '-' : op === '*=' ? '*' : op === '%=' ? '%' : op === '**=' ? '**' : '/';
}
export type { AwaitStatement };
