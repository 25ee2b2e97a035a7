/**
 * The interpreter's own part of `ExecState`: frames, the handle table and what the workflow is
 * blocked on, as plain JSON.
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

// ---------------------------------------------------------------------------------------------
// Handles (state v2): `state.h` maps an await id to what it stands for, and `state.pending` says
// which of them the workflow is blocked on.
//
//   h: { "n14.s1": { k: "task", a: 14, task: "chargeCard", o: 1 },           // t(x) kept in a variable
//        "n20.s2": { k: "sleep", a: 20, o: 1, r: 1, v: null },                // a sleep that is over
//        "n25.s3": { k: "combo", a: 25, op: "race", m: [{ h: "n14.s1" }, { h: "n20.s2" }] } }
//   pending: { t: "wait", id: "n25.s3", a: 25, s: 24 }
//
// A handle is outstanding until it has `r`: 1 = fulfilled with `v`, 2 = rejected with `v` (the
// thrown value) and `u` (how it fails the instance when nobody catches it). A workflow value that
// stands for a handle is `{ "$handle": id }` (HANDLE_KEY); it is a handle only while `h` has that id.
// ---------------------------------------------------------------------------------------------

/** The key of a handle value `{ "$handle": "n14.s1" }`; refused in any value from outside (values.ts `fromOutside`). */
export { HANDLE_KEY } from './values.ts';

interface HandleBase {
  /** The node that made it: the Await of `await t(x)`, or the Call of `t(x)` used as a value. */
  a: number;
  /** 1: made as a value (may be held in variables: the sweep at the end of an activation looks for it); absent: made by an await and dropped once delivered. */
  o?: 1;
  /** Settled: 1 fulfilled with `v`, 2 rejected with `v` (absent while outstanding). */
  r?: 1 | 2;
  v?: Value;
  /** For a rejection: the failure of the instance if nobody catches it. */
  u?: WorkflowError;
}
export interface TaskHandle extends HandleBase {
  k: 'task';
  task: string;
}
export interface SleepHandle extends HandleBase {
  k: 'sleep';
}
export interface SignalHandle extends HandleBase {
  k: 'signal';
  /** The name waited for (`signal("approve")`). */
  name: string;
  /** `signal(["approve", "reject"])`: every name; the result is then `{ name, payload }`. */
  names?: string[];
  /** Present for `signal(name, { timeout })`: the result then carries `timedOut`. */
  timeoutMs?: number;
}
/** `Promise.all` / `allSettled` of task calls or of `xs.map(task)`: children `id.<index>`, a concurrency limit. */
export interface FanHandle extends HandleBase {
  k: 'all';
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
export type ComboOp = 'all' | 'allSettled' | 'race' | 'any';
/** A member of a combinator: another handle, or a plain value (which counts as fulfilled). */
export type Member = { h: string } | { v: Value };
/** `Promise.all/allSettled/race/any` over handles and values. */
export interface ComboHandle extends HandleBase {
  k: 'combo';
  op: ComboOp;
  m: Member[];
  /** `{ index: true }` (race, any): the result is `{ index, value }`. */
  ix?: 1;
}
/** A child workflow awaited through this handle (`workflows.charge(input)`; children.ts). */
export interface ChildHandle extends HandleBase {
  k: 'child';
  workflow: string;
  /** The child's instance id. */
  cid: string;
}
export type Handle = TaskHandle | SleepHandle | SignalHandle | FanHandle | ComboHandle | ChildHandle;
export type HandleKind = Handle['k'];

/** What the workflow is blocked on: the handle `id` of `state.h`, awaited by node `a` in statement `s`. */
export interface Pending {
  t: 'wait';
  id: string;
  /** The Await node. */
  a: number;
  /** The statement that receives the result (VarDecl, Assign, Return or ExprStmt). */
  s: number;
}

// ---------------------------------------------------------------------------------------------
// Pending awaits as state v1 kept them (state.ts turns them into a handle and a `wait`).
// ---------------------------------------------------------------------------------------------

interface PendingV1Base {
  id: string;
  a: number;
  s: number;
}
export type PendingV1 =
  | (PendingV1Base & { t: 'task'; task: string })
  | (PendingV1Base & Omit<FanHandle, 'k' | 'a' | 'o' | 'r' | 'v' | 'u'> & { t: 'all' })
  | (PendingV1Base & { t: 'sleep' })
  | (PendingV1Base & { t: 'signal'; name: string; timeoutMs?: number });
