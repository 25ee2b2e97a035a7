/**
 * What the await points and events (awaits.ts, events.ts, handles.ts) need from the machine that
 * runs them, as an interface, so that they do not import machine.ts (machine.ts imports awaits.ts).
 *
 *   function awaitSleep(m: AwaitHost, …) { const ms = m.ev(call.args[0]); m.commands.push(…) }
 */
import type { Statement, VarDecl, Assign, Return, Expression } from '../ast.ts';
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
}
