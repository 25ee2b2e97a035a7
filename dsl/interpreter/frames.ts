/**
 * The interpreter's own part of `ExecState`: frames and the pending await, as plain JSON.
 *
 *   [{ k: 'L', n: 3, i: 2, v: { orderId: 'o1', payment: {...} } },   // the workflow body, 2 statements done
 *    { k: 'F', n: 20, p: 2, v: { i: 4 } },                            // a for loop, body running
 *    { k: 'L', n: 31, i: 0 }]                                          // the loop body (declares nothing)
 *
 * A `try` adds `{ k: 'T', n, p }` below the block it runs (and its pending return or throw while
 * its `finally` runs); a `switch` adds `{ k: 'S', n, c }` below the case body it runs (`c`: the
 * next case to fall through to), a labeled block `{ k: 'B', n }` below its body (the target of
 * `break label`). Frames name AST nodes by id (`n`) and hold locals (`v`, one object per block scope that declares
 * something). Nothing here is a closure or an object pointer, so `JSON.parse(JSON.stringify(frames))`
 * resumes identically. Frame kinds are only ever added (older states keep resuming).
 */
import type { TaskPolicy, Value, WorkflowError } from './types.ts';

export type Scope = { [name: string]: Value };

/** Runs the statement list of node `n` (a Block's body or one lone statement); `i` = next index. */
export interface ListFrame {
  k: 'L';
  n: number;
  i: number;
  v?: Scope;
}
/** A `while` loop: each step tests and pushes the body. */
export interface WhileFrame {
  k: 'W';
  n: number;
}
/** A `for (init; test; update)` loop. `p`: 0 = init next, 1 = test next, 2 = body ran (update next). */
export interface ForFrame {
  k: 'F';
  n: number;
  p: 0 | 1 | 2;
  v?: Scope;
}
/** A `for (const x of xs)` loop over the snapshot `xs`; `i` = next index. */
export interface ForOfFrame {
  k: 'O';
  n: number;
  i: number;
  xs: Value[];
  v: Scope;
}

/**
 * A `try` statement. `p`: 0 = the try block runs, 1 = the catch block runs, 2 = the finally block
 * runs. `c` is what the finally block interrupted and carries on with when it ends normally: a
 * throw, a return, a break or a continue (absent: it was entered by falling off the try or catch).
 */
export interface TryFrame {
  k: 'T';
  n: number;
  p: 0 | 1 | 2;
  c?: Completion;
}
/** `l`: the label of `break label` / `continue label`. */
export type Completion = { t: 'throw'; v: Value; u: WorkflowError } | { t: 'return'; v: Value } | { t: 'break'; l?: string } | { t: 'continue'; l?: string };

/**
 * A `switch` whose matching case runs: `c` is the index of the next case body to run (the body of
 * case `c - 1` runs above this frame; when it ends without `break`, case `c` follows: fall-through).
 * `v` holds the variables its cases declare (they share one scope, as in TypeScript).
 */
export interface SwitchFrame {
  k: 'S';
  n: number;
  c: number;
  v?: Scope;
}
/** A labeled statement that is not a loop (`done: { … break done … }`): `break label` ends here. */
export interface LabelFrame {
  k: 'B';
  n: number;
}

export type Frame = ListFrame | WhileFrame | ForFrame | ForOfFrame | TryFrame | SwitchFrame | LabelFrame;

/** Frame kinds whose `v` holds a scope. */
export function scopeOf(f: Frame): Scope | undefined {
  return (f.k === 'L' || f.k === 'F' || f.k === 'O' || f.k === 'S') && f.v ? f.v : undefined;
}

/** One child of a fan-out, as it will be scheduled. */
export interface ChildCall {
  task: string;
  args: Value[];
  policy: TaskPolicy;
}

interface PendingBase {
  /** Await id (`n<node>.s<seq>`). */
  id: string;
  /** The Await node. */
  a: number;
  /** The statement that receives the result (VarDecl, Assign, Return or ExprStmt). */
  s: number;
}
export interface PendingTask extends PendingBase {
  t: 'task';
  task: string;
}
export interface PendingAll extends PendingBase {
  t: 'all';
  settled: boolean;
  /** Children not scheduled yet (null once scheduled, to keep the state small). */
  kids: (ChildCall | null)[];
  /** Per child: 0 queued, 1 in flight, 2 done. */
  st: (0 | 1 | 2)[];
  res: Value[];
  /** Most children in flight at once. */
  lim: number;
  /** Next child index to schedule. */
  next: number;
}
export interface PendingSleep extends PendingBase {
  t: 'sleep';
}
export interface PendingSignal extends PendingBase {
  t: 'signal';
  name: string;
  /** Present for `signal(name, { timeout })`: the result is then `{ timedOut, payload }`. */
  timeoutMs?: number;
}
export type Pending = PendingTask | PendingAll | PendingSleep | PendingSignal;
