/**
 * What the await points and events (awaits.ts, events.ts, handles.ts) need from the machine that
 * runs them, as an interface, so that they do not import machine.ts (machine.ts imports awaits.ts).
 *
 *   function awaitSleep(m: AwaitHost, …) { const ms = m.ev(call.args[0]); m.commands.push(…) }
 */
import type { ArrowFunction, Statement, VarDecl, Assign, Return, Expression, FunctionDecl } from '../ast.ts';
import type { Meter } from './budget.ts';
import type { HandleTable } from './handles.ts';
import type { ProgramIndex } from './program.ts';
import type { Command, ExecOptions, ExecState, Value, WorkflowError } from './types.ts';

type ExprStmt = Extract<Statement, { kind: 'ExprStmt' }>;

/** A statement that may hold an await: `const x = await …`, `x = await …`, `await …`, `return await …`. */
export type AwaitStatement = VarDecl | Assign | ExprStmt | Return;

export interface AwaitHost {
  readonly ix: ProgramIndex;
  readonly state: ExecState;
  readonly options: ExecOptions;
  readonly commands: Command[];
  readonly meter: Meter;
  /** The handle table of `state` (handles.ts). */
  readonly handles: HandleTable;
  /** The statement being executed (errors without a finer position point at it). */
  cur: Statement | undefined;
  ev(e: Expression): Value;
  isLocal(name: string): boolean;
  fail(error: WorkflowError): void;
  /** The instance's id (`instance.id`): child workflow ids are made from it. */
  instanceId(): string;
}

/** What the array methods taking a callback (callbacks.ts) need from the machine. */
export interface CallbackHost {
  readonly ix: ProgramIndex;
  readonly meter: Meter;
  ev(e: Expression): Value;
  /** `e`'s value `v` made safe to keep (copied unless `e` made it fresh). */
  own(e: Expression, v: Value): Value;
  isLocal(name: string): boolean;
  /**
   * Runs a helper or an arrow function with `args` to completion and gives its result, which may be
   * a value it read (not a copy). Bit i of `owned` says argument i is the caller's to give away, so
   * it is not copied even where the body changes that parameter.
   */
  invoke(fn: FunctionDecl | ArrowFunction, args: Value[], owned?: number): Value;
  /** Whether the last `invoke`'s result was the function's own (made or copied inside it). */
  readonly lastOwned: boolean;
}
