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
import { matchEvent } from './awaits.ts';
import { scopeOf, type Frame, type Pending, type Scope } from './frames.ts';
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
export { MAX_LOG_LINES, MAX_LOG_MESSAGE } from './machine.ts';
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

/** What a state waits for, in public terms (the pending await itself stays opaque). */
export type Waiting =
  | { kind: 'task'; id: string; task: string }
  | { kind: 'all'; id: string; settled: boolean; total: number; done: number; inFlight: number }
  | { kind: 'sleep'; id: string }
  | { kind: 'signal'; id: string; name: string; timeoutMs?: number };

/**
 * The await a state is suspended on, or null when it is not waiting. For status views:
 *
 *   waitingFor(a.state) // => { kind: 'signal', id: 'n9.s2', name: 'approval', timeoutMs: 172800000 }
 */
export function waitingFor(state: ExecState): Waiting | null {
  const p = state.status === 'waiting' ? (state.pending as Pending | null) : null;
  if (!p) return null;
  switch (p.t) {
    case 'task':
      return { kind: 'task', id: p.id, task: p.task };
    case 'all':
      return {
        kind: 'all',
        id: p.id,
        settled: p.settled,
        total: p.st.length,
        done: p.st.filter((x) => x === 2).length,
        inFlight: p.st.filter((x) => x === 1).length,
      };
    case 'sleep':
      return { kind: 'sleep', id: p.id };
    case 'signal':
      return p.timeoutMs === undefined
        ? { kind: 'signal', id: p.id, name: p.name }
        : { kind: 'signal', id: p.id, name: p.name, timeoutMs: p.timeoutMs };
    default:
      return assertNever(p, 'pending await');
  }
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
  const pending = state.pending as Pending | null;
  // Cheap rejection before copying the state: a task/timer event whose id cannot be pending.
  if (event.type !== 'signal' && (!pending || typeof event.id !== 'string' || !event.id.startsWith(pending.id))) {
    return ignored(state, `${event.type} ${event.id} is not awaited${pending ? ` (pending: ${pending.id})` : ''}`);
  }
  // Why measure first: a saved state is ours, but one from an older version may hold a value too
  // deep to clone; it is refused with a clear error rather than a stack overflow.
  if (measure(state, STATE_DEPTH).depth > STATE_DEPTH) throw new Error('state is nested too deeply to resume');
  const copy = structuredClone(state);
  const m = new Machine(ix, copy, options);
  if (pending) m.cur = ix.nodes[pending.s] as typeof m.cur;
  let r: ReturnType<typeof matchEvent>;
  try {
    r = matchEvent(m, event);
  } catch (e) {
    // a task result nested too deeply (CR013, catchable at the await), or a budget exhausted by
    // the event's own work (not catchable)
    copy.pending = null;
    copy.status = 'running';
    if (m.raiseFrom(e)) m.run();
    r = { kind: 'failed' };
  }
  switch (r.kind) {
    case 'ignored':
      return ignored(state, r.why);
    case 'failed':
    case 'waiting':
      if (copy.pending) m.cur = ix.nodes[(copy.pending as Pending).s] as typeof m.cur;
      return finishActivation(m, options);
    case 'value':
      m.deliver(copy.pending as Pending, r.value);
      return finishActivation(m, options);
    case 'throw':
      m.deliverThrow(copy.pending as Pending, r.value, r.uncaught);
      return finishActivation(m, options);
    default: {
      const never: never = r;
      throw new Error(`unexpected match ${JSON.stringify(never)}`);
    }
  }
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
  // Why a depth check here: values are at most MAX_DEPTH deep, but a literal around one
  // (`[[[x]]]`) adds a level or so per statement; the saved state must stay safe to clone.
  const size = measure(m.state, STATE_DEPTH);
  if (size.depth > STATE_DEPTH && m.state.status !== 'failed') {
    // the lines logged before the failure stay (they are not state, and say what happened)
    const logs = m.commands.filter((c) => c.type === 'log');
    m.commands.length = 0;
    m.commands.push(...logs);
    m.state.signals = {};
    m.fail({ code: 'CR013', message: `a value of the state is nested deeper than ${MAX_DEPTH} levels`, line: m.state.at?.line, col: m.state.at?.col });
  }
  let bytes = byteSize(m.state);
  let commands: Command[] = m.commands;
  if (bytes > limit && m.state.status !== 'failed') {
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
