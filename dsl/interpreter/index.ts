/**
 * The interpreter's public face: `start` and `resume`, pure functions from (program, state, event)
 * to a new state and commands.
 *
 *   let a = start(program, { orderId: 'o1' }, { now: () => new Date(), uuid: randomUUID });
 *   // a.commands: [{ type: 'scheduleTask', id: 'n14.s1', task: 'chargeCard', args: ['o1'], ... }]
 *   a = resume(program, JSON.parse(JSON.stringify(a.state)), { type: 'taskCompleted', id: 'n14.s1', result: {...} }, opts);
 *
 * `resume` never changes the state it is given (it works on a copy), so a caller may retry with the
 * old state. An event that does not apply (an id that is not pending, any event after the end) comes
 * back with `ignored` set, the very same state and no commands.
 */
import { assertNever, type Program } from '../ast.ts';
import { outcome } from './awaits.ts';
import { canCompensate, cancelHandles, matchEvent } from './events.ts';
import { scopeOf, type ComboOp, type Frame, type Handle, type Pending, type Scope } from './frames.ts';
import { fanCounts, HandleTable, route, sweep } from './handles.ts';
import { Machine } from './machine.ts';
import { indexProgram } from './program.ts';
import { upgradeState } from './state.ts';
import { STATE_VERSION, type Activation, type Command, type ExecOptions, type ExecState, type Value, type WorkflowEvent } from './types.ts';
import { fromOutside, MAX_DEPTH, measure, RuntimeError, setOwn } from './values.ts';

export const DEFAULT_MAX_STATE_BYTES = 262_144;
/** A state holds values (≤ MAX_DEPTH) under a few levels of its own (frames, scopes, pending). */
const STATE_DEPTH = MAX_DEPTH + 8;

export { BUILTINS, NAMESPACES, PROPERTIES, lookupMethod, arityProblem } from './builtins.ts';
export type { Builtin, BuiltinParam, BuiltinContext } from './builtins.ts';
export {
  DEFAULT_MAX_STEPS,
  DEFAULT_MAX_STRING_LENGTH,
  DEFAULT_MAX_ARRAY_LENGTH,
  DEFAULT_MAX_ACTIVATION_BYTES,
  DEFAULT_MAX_ACTIVATION_MS,
  WORK_PER_STEP,
} from './budget.ts';
export { MAX_DEPTH } from './values.ts';
export { MAX_LOG_LINES, MAX_LOG_MESSAGE } from './calls.ts';
export {
  admitSignal,
  checkSignal,
  signalType,
  type PayloadCheck,
  DEFAULT_MAX_BUFFERED_SIGNALS,
  DEFAULT_MAX_BUFFERED_SIGNAL_BYTES,
  type Admission,
  type SignalLimits,
  type SignalRefusal,
} from './signals.ts';
export { upgradeState } from './state.ts';
export { declaredPolicy } from './awaits.ts';
export { MAX_HANDLES } from './handles.ts';
export { HANDLE_KEY, holdsHandleKey } from './values.ts';

/** What a state waits for, in public terms (the handle table itself stays opaque). */
export type Waiting =
  | { kind: 'task'; id: string; task: string }
  | { kind: 'all'; id: string; settled: boolean; total: number; done: number; inFlight: number }
  | { kind: 'sleep'; id: string }
  | { kind: 'signal'; id: string; name: string; names?: string[]; timeoutMs?: number }
  /** `Promise.all/allSettled/race/any` over handles: what its outstanding members wait for. */
  | { kind: 'combo'; id: string; op: ComboOp; of: Waiting[] }
  /** A child workflow (`workflows.charge(input)`): its name and instance id. */
  | { kind: 'child'; id: string; workflow: string; childId: string };

/**
 * The await a state is suspended on, or null when it is not waiting. For status views:
 *
 *   waitingFor(a.state) // => { kind: 'signal', id: 'n9.s2', name: 'approval', timeoutMs: 172800000 }
 */
export function waitingFor(saved: ExecState): Waiting | null {
  if (saved.status !== 'waiting') return null;
  const state = upgradeState(saved);
  const p = state.pending as Pending | null;
  if (!p) return null;
  return describe(new HandleTable(state), p.id, 0);
}

function describe(t: HandleTable, id: string, depth: number): Waiting | null {
  const h = t.get(id);
  if (!h || depth > 32) return null;
  switch (h.k) {
    case 'task':
      return { kind: 'task', id, task: h.task };
    case 'all':
      return { kind: 'all', id, settled: h.settled, ...fanCounts(h) };
    case 'sleep':
      return { kind: 'sleep', id };
    case 'signal': {
      const w: Waiting = { kind: 'signal', id, name: h.name };
      if (h.names) w.names = h.names;
      if (h.timeoutMs !== undefined) w.timeoutMs = h.timeoutMs;
      return w;
    }
    case 'child':
      return { kind: 'child', id, workflow: h.workflow, childId: h.cid };
    case 'combo': {
      const of: Waiting[] = [];
      for (const x of h.m) {
        if (!('h' in x) || t.get(x.h)?.r !== undefined) continue;
        const w = describe(t, x.h, depth + 1);
        if (w) of.push(w);
      }
      return { kind: 'combo', id, op: h.op, of };
    }
    default:
      return assertNever(h, 'handle');
  }
}

/**
 * Every signal wait a state holds open — awaited now or kept in a variable — oldest first (a signal
 * of one of these names is taken by the first of them, not buffered). For status views.
 */
export function signalWaits(saved: ExecState): { id: string; name: string; names?: string[]; timeoutMs?: number }[] {
  if (saved.status !== 'waiting' && saved.status !== 'running') return [];
  const state = upgradeState(saved);
  const out: { id: string; name: string; names?: string[]; timeoutMs?: number }[] = [];
  for (const [id, h] of Object.entries((state.h ?? {}) as Record<string, Handle>)) {
    if (h.k !== 'signal' || h.r !== undefined) continue;
    const w: (typeof out)[number] = { id, name: h.name };
    if (h.names) w.names = h.names;
    if (h.timeoutMs !== undefined) w.timeoutMs = h.timeoutMs;
    out.push(w);
  }
  return out;
}

/**
 * The workflow's variables as they are now, innermost declaration winning (a loop variable shadows
 * an outer one of the same name), parameters included: for status views ("query the state"
 * without extra code). Empty for a finished state (it keeps no frames).
 *
 *   variablesOf(a.state) // => { orderId: 'o1', amount: 25, payment: { success: true, … } }
 */
export function variablesOf(state: ExecState): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const f of (state.frames ?? []) as Frame[]) {
    const v = scopeOf(f);
    if (v) for (const [k, x] of Object.entries(v)) setOwn(out, k, x);
  }
  return out;
}

/** Starts a workflow with `input` keyed by parameter name (a missing parameter is null). */
export function start(program: Program, input: Record<string, Value>, options: ExecOptions): Activation {
  const ix = indexProgram(program);
  const scope: Scope = {};
  let bad: RuntimeError | undefined;
  for (const p of program.workflow.params) {
    try {
      setOwn(scope, p.name, Object.hasOwn(input ?? {}, p.name) ? fromOutside(input[p.name]) : null);
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      bad ??= new RuntimeError(e.code, `input ${p.name}: ${e.message}`);
      setOwn(scope, p.name, null);
    }
  }
  const root: Frame = { k: 'L', n: program.workflow.body.id, i: 0, v: scope };
  const state: ExecState = {
    v: STATE_VERSION,
    programHash: ix.hash,
    status: 'running',
    frames: [root],
    pending: null,
    seq: 0,
    signals: {},
  };
  // `instance.startedAt` of a state started without `options.instance`: kept, so it never changes
  if (!options.instance) state.i = { id: null, at: options.now().toISOString() };
  const m = new Machine(ix, state, options);
  if (bad) m.failFrom(bad);
  else m.run();
  return finishActivation(m, options);
}

/** Applies one event to a waiting state and runs on to the next await or the end. */
export function resume(program: Program, saved: ExecState, event: WorkflowEvent, options: ExecOptions): Activation {
  const ix = indexProgram(program);
  const state = upgradeState(saved);
  if (state.programHash !== ix.hash) {
    throw new Error(`state belongs to program ${state.programHash}, not ${ix.hash}: resume it with the definition it started with`);
  }
  if (state.status !== 'waiting') return ignored(state, `the instance is ${state.status}`);
  // Cheap rejection before copying the state: a task/timer event for no handle of the table.
  if (event.type !== 'signal' && event.type !== 'cancel' && (typeof event.id !== 'string' || !route(new HandleTable(state), event.id))) {
    return ignored(state, `${event.type} ${String(event.id)} is not awaited`);
  }
  // Why measure first: a saved state is ours, but one from an older version may hold a value too
  // deep to clone; it is refused with a clear error rather than a stack overflow.
  if (measure(state, STATE_DEPTH).depth > STATE_DEPTH) throw new Error('state is nested too deeply to resume');
  const copy = structuredClone(state);
  const m = new Machine(ix, copy, options);
  const pending = copy.pending as Pending | null;
  if (pending) m.cur = ix.nodes[pending.s] as typeof m.cur;
  if (event.type === 'cancel') {
    cancel(m, event.reason);
    return finishActivation(m, options);
  }
  try {
    const r = matchEvent(m, event);
    if (r.kind === 'ignored') return ignored(state, r.why);
  } catch (e) {
    // a budget exhausted by the event's own work: the instance fails at the await
    m.failFrom(e);
    return finishActivation(m, options);
  }
  deliverSettled(m);
  return finishActivation(m, options);
}

/** When the handle the workflow is blocked on has settled: its value (or its throw) goes to the await. */
function deliverSettled(m: Machine): void {
  const p = m.state.pending as Pending | null;
  if (!p) return;
  const h = m.handles.get(p.id);
  if (!h || h.r === undefined) return;
  const out = outcome(m, p.id, h);
  if (out.ok) m.deliver(p, out.value);
  else m.deliverThrow(p, out.value, out.uncaught);
}

/**
 * A `cancel` event: with a `catch`/`finally` that sees the blocked await, every outstanding handle
 * is rejected with a CancelledError, which is thrown at that await, and the workflow runs on to
 * compensate (`state.x` says so; whatever ends its code then ends the instance `cancelled`). With
 * none — or when already compensating — it ends `cancelled` now.
 */
function cancel(m: Machine, why: unknown): void {
  const reason = typeof why === 'string' && why !== '' ? (why.length > MAX_REASON ? `${why.slice(0, MAX_REASON)}…` : why) : 'cancelled';
  const x = m.state.x;
  if (x) return m.cancelNow(`${x.reason} (cancelled again while compensating)`);
  if (!canCompensate(m, m.frames)) return m.cancelNow(reason);
  m.state.x = { reason };
  cancelHandles(m, m.handles, reason);
  deliverSettled(m);
}

/** Characters of a cancel reason kept in the state (the runtime's door allows 4,096). */
const MAX_REASON = 1024;

/** Failed or cancelled: a state that cannot fail again. */
function ended(state: ExecState): boolean {
  return state.status === 'failed' || state.status === 'cancelled';
}

function ignored(state: ExecState, why: string): Activation {
  return { state, commands: [], steps: 0, stateBytes: byteSize(state), ignored: why };
}

function byteSize(state: ExecState): number {
  return measure(state, Infinity).bytes;
}

/** Measures the state; a state over the limit fails the instance with CR006 (its commands dropped). */
function finishActivation(m: Machine, options: ExecOptions): Activation {
  const limit = options.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES;
  if (m.cur) m.state.at = { line: m.cur.span.line, col: m.cur.span.col };
  // handles no saved value can reach any more are dropped (their timers cancelled)
  if (m.state.status === 'waiting') sweep(m, m.handles);
  // Why a depth check here: values are at most MAX_DEPTH deep, but a literal around one
  // (`[[[x]]]`) adds a level or so per statement; the saved state must stay safe to clone.
  const size = measure(m.state, STATE_DEPTH);
  if (size.depth > STATE_DEPTH && !ended(m.state)) {
    // the lines logged before the failure stay (they are not state, and say what happened)
    const logs = m.commands.filter((c) => c.type === 'log');
    m.commands.length = 0;
    m.commands.push(...logs);
    m.state.signals = {};
    m.fail({ code: 'CR013', message: `a value of the state is nested deeper than ${MAX_DEPTH} levels`, line: m.state.at?.line, col: m.state.at?.col });
  }
  let bytes = byteSize(m.state);
  let commands: Command[] = m.commands;
  if (bytes > limit && !ended(m.state)) {
    // Why drop the other commands: the instance is failing, so its new tasks and timers must not run.
    commands = commands.filter((c) => c.type === 'cancelTimer' || c.type === 'log');
    m.commands.length = 0;
    m.state.signals = {};
    m.fail({
      code: 'CR006',
      message: `execution state is ${bytes} bytes, over the limit of ${limit} (keep large data out of variables)`,
      line: m.state.at?.line,
      col: m.state.at?.col,
    });
    commands.push(...m.commands);
    bytes = byteSize(m.state);
  }
  return { state: m.state, commands, steps: m.steps, stateBytes: bytes };
}
