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
import type { Frame, Pending, Scope } from './frames.ts';
import { Machine } from './machine.ts';
import { indexProgram } from './program.ts';
import { upgradeState } from './state.ts';
import { STATE_VERSION, type Activation, type Command, type ExecOptions, type ExecState, type Value, type WorkflowEvent } from './types.ts';
import { fromOutside, setOwn } from './values.ts';

export const DEFAULT_MAX_STATE_BYTES = 262_144;

export { BUILTINS, NAMESPACES, PROPERTIES, lookupMethod, arityProblem } from './builtins.ts';
export type { Builtin, BuiltinParam, BuiltinContext } from './builtins.ts';
export { DEFAULT_MAX_STEPS } from './machine.ts';
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

/** Starts a workflow with `input` keyed by parameter name (a missing parameter is null). */
export function start(program: Program, input: Record<string, Value>, options: ExecOptions): Activation {
  const ix = indexProgram(program);
  const scope: Scope = {};
  for (const p of program.workflow.params) {
    setOwn(scope, p.name, Object.hasOwn(input ?? {}, p.name) ? fromOutside(input[p.name]) : null);
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
  m.run();
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
  if (event.type !== 'signal' && (!pending || !event.id.startsWith(pending.id))) {
    return ignored(state, `${event.type} ${event.id} is not awaited${pending ? ` (pending: ${pending.id})` : ''}`);
  }
  const copy = structuredClone(state);
  const m = new Machine(ix, copy, options);
  const r = matchEvent(m, event);
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
  return Buffer.byteLength(JSON.stringify(state), 'utf8');
}

/** Measures the state; a state over the limit fails the instance with CR006 (its commands dropped). */
function finishActivation(m: Machine, options: ExecOptions): Activation {
  const limit = options.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES;
  if (m.cur) m.state.at = { line: m.cur.span.line, col: m.cur.span.col };
  let bytes = byteSize(m.state);
  let commands: Command[] = m.commands;
  if (bytes > limit && m.state.status !== 'failed') {
    // Why drop the other commands: the instance is failing, so its new tasks and timers must not run.
    commands = commands.filter((c) => c.type === 'cancelTimer');
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
