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
 *
 * This file keeps the statement loop, the frames and helpers' calls; expressions (evaluate.ts),
 * calls in expressions (calls.ts), patterns and assignment (assign.ts) and unwinding for
 * throw/return/break (unwind.ts) are modules of functions that see the machine through a host
 * interface it satisfies (EvalHost, CallHost, AssignHost, UnwindHost), so none imports this file.
 */
import {
  assertNever,
  type ArrowFunction,
  type Assign,
  type Await,
  type Call,
  type Expression,
  type FunctionDecl,
  type Labeled,
  type Return,
  type Statement,
  type Switch,
  type Try,
  type VarDecl,
} from '../ast.ts';
import type { BuiltinContext } from './builtins.ts';
import { beginAwait } from './awaits.ts';
import { MAX_CALL_DEPTH, Meter } from './budget.ts';
import { assign, bind, KEEP, store, update } from './assign.ts';
import { call } from './calls.ts';
import { PositionedError } from './errors.ts';
import { equal, evaluate, instanceValue, own, type Chained, type EvalHost } from './evaluate.ts';
import { scopeOf, type Frame, type Pending, type Scope } from './frames.ts';
import { HandleTable } from './handles.ts';
import type { AwaitHost, AwaitStatement, CallbackHost } from './host.ts';
import { bindsAny, labelChain, writtenNames, type ProgramIndex } from './program.ts';
import type { Command, ExecOptions, ExecState, LogCommand, Value, WorkflowError } from './types.ts';
import { doReturn, failFrom, jump, carryOn, raise, raiseFrom, Thrown, uncaughtError, type UnwindHost } from './unwind.ts';
import { copy, kindOf, RuntimeError, truthy } from './values.ts';
import type { CallHost } from './calls.ts';

export { PositionedError };
export { UNCATCHABLE } from './unwind.ts';

export class Machine implements AwaitHost, CallbackHost, EvalHost, CallHost, UnwindHost {
  readonly frames: Frame[];
  /** In-memory view of the scopes in `frames`, innermost last (rebuilt on resume, never stored). */
  readonly scopes: Scope[] = [];
  readonly commands: Command[] = [];
  /** Steps, memory, string/array lengths and time of this activation (budget.ts). */
  readonly meter: Meter;
  /** The statement being executed (for `state.at` and errors without a finer position). */
  cur: Statement | undefined;
  readonly ctx: BuiltinContext;
  /** The handle table of the state (handles.ts). */
  readonly handles: HandleTable;
  /** Log lines written in this activation, and the marker line standing for those dropped after. */
  logLines = 0;
  droppedLogs = 0;
  dropMarker: LogCommand | undefined;
  /** Frames below this index belong to the caller of the running helper or callback (0: the workflow's own). */
  fnBase = 0;
  /** Scopes below this index are out of sight (a helper sees only its own). */
  readFloor = 0;
  /** Scopes below this index are read-only here (a callback's surroundings). */
  writeFloor = 0;
  /** Helpers and callbacks running inside each other right now. */
  depth = 0;
  /** The running block-bodied function's result once it returned, and whether it is its own value. */
  fnResult: Value = null;
  fnOwned = true;
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
        if (!raiseFrom(this, e)) break;
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
      if (!raiseFrom(this, e)) return;
    }
    this.run();
  }

  /** Throws `value` at the pending await (a task's permanent failure) and continues in its catch or finally. */
  deliverThrow(pending: Pending, value: Value, uncaught: WorkflowError): void {
    this.state.pending = null;
    this.state.status = 'running';
    this.cur = this.ix.nodes[pending.s] as Statement;
    if (raise(this, value, uncaught)) this.run();
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

  finish(result: Value): void {
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
          if (truthy(evaluate(this, node.test))) this.pushBody(node.body);
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
          if (node.test === undefined || truthy(evaluate(this, node.test))) {
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
          bind(this, node.target, copy(item, this.meter), f.v);
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
          if (c) carryOn(this, c, node);
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

  /**
   * Steps count statements. Why an empty loop body counts its iterations: otherwise `while (true) {}`
   * would never exhaust the budget; a non-empty body counts at least its first statement.
   */
  private emptyBody(body: Statement): boolean {
    return body.kind === 'Block' && body.body.length === 0;
  }

  pushFrame(f: Frame, scope?: Scope): void {
    this.frames.push(f);
    if (scope) this.scopes.push(scope);
  }

  popFrame(): void {
    const f = this.frames.pop()!;
    if (scopeOf(f)) this.scopes.pop();
  }

  /** Pushes a loop or branch body: a Block gets a scope if it declares something. */
  pushBody(body: Statement): void {
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
        if (init === undefined) bind(this, s.target, null, this.top());
        else if (init.kind === 'Await') this.await(init, s);
        else bind(this, s.target, own(this, init, evaluate(this, init)), this.top());
        return;
      }
      case 'Assign':
        if (s.op === '??=' || s.op === '||=' || s.op === '&&=') {
          this.logicalAssign(s);
          return;
        }
        if (s.value.kind === 'Await') this.await(s.value, s);
        else assign(this, s, own(this, s.value, evaluate(this, s.value)));
        return;
      case 'Update':
        update(this, s);
        return;
      case 'ExprStmt':
        if (s.expression.kind === 'Await') this.await(s.expression, s);
        else evaluate(this, s.expression);
        return;
      case 'Return':
        if (s.argument === undefined) doReturn(this, null);
        else if (s.argument.kind === 'Await') this.await(s.argument, s);
        else if (this.fnBase > 0) {
          // a function's result is handed over as it is: its caller stores it only through `own`
          const v = evaluate(this, s.argument);
          doReturn(this, v, this.isOwnValue(s.argument, v));
        } else doReturn(this, own(this, s.argument, evaluate(this, s.argument)));
        return;
      case 'Try':
        this.frames.push({ k: 'T', n: s.id, p: 0 });
        this.pushBody(s.block);
        return;
      case 'Throw': {
        const v = own(this, s.argument, evaluate(this, s.argument));
        throw new Thrown(v, uncaughtError(v, s.span));
      }
      case 'If':
        if (truthy(evaluate(this, s.test))) this.pushBody(s.consequent);
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
        const list = evaluate(this, s.iterable);
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
        jump(this, s.kind, s.span, s.label);
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
    const d = evaluate(this, s.discriminant);
    let at = -1;
    for (let i = 0; i < s.cases.length && at < 0; i++) {
      const test = s.cases[i]!.test;
      if (test === undefined) continue;
      const v = evaluate(this, test);
      if (d === v || equal(this, d, v)) at = i;
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
      if (assigns(evaluate(this, target))) this.await(s.value, s);
      return;
    }
    const value = s.value;
    store(this, target, (old) => (assigns(old) ? own(this, value, evaluate(this, value)) : KEEP));
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
        bind(this, s.target, value, this.top());
        return;
      case 'Assign':
        assign(this, s, value);
        return;
      case 'Return':
        doReturn(this, value);
        return;
      case 'ExprStmt':
        return;
      default:
        throw new PositionedError('CT009', `await is not allowed in a ${s.kind} statement`, s.span);
    }
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
      bind(this, p.target, v, scope);
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
        result = evaluate(this, body);
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
        raiseFrom(this, e); // a try inside took it (true), or it is thrown on to the caller
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // For the modules that see the machine through a host interface (evaluate.ts, calls.ts,
  // assign.ts, unwind.ts, awaits.ts, callbacks.ts)
  // -------------------------------------------------------------------------------------------

  /** The value of `e` (evaluate.ts). */
  ev(e: Expression): Value {
    return evaluate(this, e);
  }

  /**
   * The value of `e` ready to be stored: a copy unless `e` certainly made a fresh value (evaluate.ts).
   * Why: reads return the stored array/object itself; storing it twice would share it.
   */
  own(e: Expression, v: Value): Value {
    return own(this, e, v);
  }

  /** A call in an expression (calls.ts); SHORT when an optional link met null. */
  call(e: Call): Chained {
    return call(this, e);
  }

  /** Throws `value` from the top of the frame stack (unwind.ts). True when a handler took it. */
  raise(value: Value, uncaught: WorkflowError): boolean {
    return raise(this, value, uncaught);
  }

  /** An exception of the machine as a throw the workflow may catch (unwind.ts). True when one took it. */
  raiseFrom(e: unknown): boolean {
    return raiseFrom(this, e);
  }

  /** Fails the instance with what `e` means (unwind.ts). */
  failFrom(e: unknown): void {
    failFrom(this, e);
  }

  /** True when `name` is a local variable (so `Promise`/`Math` are not the built-ins). */
  isLocal(name: string): boolean {
    return this.hasVar(name);
  }

  instanceId(): string {
    return (instanceValue(this) as { id: string }).id;
  }
}

type ExprStmt = Extract<Statement, { kind: 'ExprStmt' }>;

export type { AwaitStatement };
