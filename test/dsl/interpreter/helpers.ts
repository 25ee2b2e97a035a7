/**
 * Test helpers for the interpreter: parse a source (no checker, so runtime checks are reachable),
 * fixed clock and ids, and a small driver that answers commands from a script.
 */
import { parse } from '../../../dsl/parser.ts';
import { resume, start } from '../../../dsl/interpreter/index.ts';
import type { Program } from '../../../dsl/ast.ts';
import type { Activation, Command, ExecOptions, ExecState, Value, WorkflowEvent } from '../../../dsl/interpreter/types.ts';

export function program(source: string): Program {
  const r = parse(source, 'test.workflow');
  if (!r.program) throw new Error(`parse failed: ${JSON.stringify(r.diagnostics)}`);
  return r.program;
}

export function options(extra: Partial<ExecOptions> = {}): ExecOptions {
  let n = 0;
  return {
    now: () => new Date(Date.UTC(2026, 0, 1)),
    uuid: () => `id-${++n}`,
    ...extra,
  };
}

/** Runs a workflow without awaits to its end; returns the activation. */
export function runSync(source: string, input: Record<string, Value> = {}, extra: Partial<ExecOptions> = {}): Activation {
  return start(program(source), input, options(extra));
}

/** The result of a workflow without awaits (throws if it did not complete). */
export function result(source: string, input: Record<string, Value> = {}): Value {
  const a = runSync(source, input);
  const c = a.commands.at(-1);
  if (c?.type !== 'complete') throw new Error(`did not complete: ${JSON.stringify(a.commands)}`);
  return c.result;
}

/** `CODE line:col` of a failing workflow without awaits. */
export function failure(source: string, input: Record<string, Value> = {}, extra: Partial<ExecOptions> = {}): string {
  const a = runSync(source, input, extra);
  const c = a.commands.at(-1);
  if (c?.type !== 'fail') throw new Error(`did not fail: ${JSON.stringify(a.commands)}`);
  return `${c.error.code} ${c.error.line}:${c.error.col}`;
}

export type TaskAnswer = { ok: Value } | { fail: string; attempts?: number };

export interface DriveResult {
  commands: Command[];
  ignored: WorkflowEvent[];
  delivered: WorkflowEvent[];
  final: Activation;
  states: ExecState[];
}

/**
 * Drives a program to its end: each scheduled task is answered by `answer` (in schedule order,
 * FIFO), timers fire in order, signals come from `signals` when waited for. With `roundTrip`, the
 * state is serialised and parsed before every resume, and options are re-created.
 */
export function drive(
  prog: Program,
  input: Record<string, Value>,
  answer: (task: string, args: Value[], id: string) => TaskAnswer,
  opts: {
    roundTrip?: boolean;
    signals?: Record<string, Value>;
    makeOptions?: () => ExecOptions;
    duplicates?: boolean;
    /** Events delivered first (e.g. a signal before anybody waits for it). */
    early?: WorkflowEvent[];
    /** Deliver a cancel after this many events. */
    cancelAfter?: number;
  } = {},
): DriveResult {
  // Re-created options share one id counter: ids come from the host, not from the interpreter.
  let ids = 0;
  const makeOptions =
    opts.makeOptions ?? (() => ({ now: () => new Date(Date.UTC(2026, 0, 1)), uuid: () => `id-${++ids}` }));
  let o = makeOptions();
  let a = start(prog, input, o);
  const commands: Command[] = [];
  const states: ExecState[] = [];
  const ignored: WorkflowEvent[] = [];
  const delivered: WorkflowEvent[] = [];
  const queue: WorkflowEvent[] = [...(opts.early ?? [])];
  const answered = new Set<string>();
  for (let guard = 0; guard < 10_000; guard++) {
    commands.push(...a.commands);
    for (const c of a.commands) {
      if (c.type === 'scheduleTask') {
        const r = answer(c.task, c.args, c.id);
        const ev: WorkflowEvent =
          'ok' in r
            ? { type: 'taskCompleted', id: c.id, result: r.ok }
            : { type: 'taskFailed', id: c.id, failure: { message: r.fail, attempts: r.attempts ?? 3 } };
        queue.push(ev);
        // a duplicate delivery (at-least-once transports) must be ignored
        if (opts.duplicates) queue.push(ev);
      } else if (c.type === 'startChild' && !c.detached) {
        // a child workflow answers like a task named `workflows.<name>` with its input as argument
        const r = answer(`workflows.${c.workflow}`, [c.input], c.id);
        const ev: WorkflowEvent =
          'ok' in r ? { type: 'childCompleted', id: c.id, result: r.ok } : { type: 'childFailed', id: c.id, failure: { status: 'failed', code: 'CR007', message: r.fail } };
        queue.push(ev);
        if (opts.duplicates) queue.push(ev);
      } else if (c.type === 'waitForSignal') {
        const name = (c.names ?? [c.name]).find((n) => opts.signals && Object.hasOwn(opts.signals, n));
        if (name !== undefined) {
          answered.add(c.id);
          queue.unshift({ type: 'signal', name, payload: opts.signals![name]! });
        }
      } else if (c.type === 'startTimer') {
        if (!(c.purpose === 'signalTimeout' && answered.has(c.id.replace(/:timeout$/, '')))) {
          queue.push({ type: 'timerFired', id: c.id });
        }
      }
    }
    if (a.state.status === 'completed' || a.state.status === 'failed' || a.state.status === 'cancelled') return { commands, final: a, states, ignored, delivered };
    const ev = opts.cancelAfter !== undefined && delivered.length + ignored.length === opts.cancelAfter ? { type: 'cancel' as const, reason: 'property' } : queue.shift();
    if (!ev) throw new Error('stuck: nothing to deliver');
    let state = a.state;
    if (opts.roundTrip) {
      state = JSON.parse(JSON.stringify(state));
      o = makeOptions();
    }
    states.push(JSON.parse(JSON.stringify(a.state)));
    const next = resume(prog, state, ev, o);
    if (next.ignored) ignored.push(ev);
    else delivered.push(ev);
    a = next.ignored ? { ...a, commands: [] } : next;
  }
  throw new Error('did not finish');
}
