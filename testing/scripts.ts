/**
 * What a task does in a test: an implementation (a function, called like on the engine) or scripted
 * outcomes, one per call.
 *
 *   tasks: {
 *     chargeCard: returns({ success: true, paymentId: 'p-1' }),      // every call
 *     shipOrder: [fails('carrier down'), returns({ success: true })], // call 1 fails, call 2 succeeds
 *     slowTask: timesOut(),                                           // never answers: its timeout decides
 *     quote: returns(7, { after: '3h' }),                             // answers 3 hours (test time) later
 *     refundOrder: async (orderId, paymentId) => null,                // an implementation
 *   }
 *
 * A "call" is one attempt: a retried task is called again and takes the next entry of its list.
 * Calls past the end of a list fail the attempt (not retried) with a message saying so.
 */
import { TaskError, tasksOf, type TaskFn, type TaskModule } from '../sdk/node/core.ts';
import type { Value } from '../runtime/types.ts';
import { parseDuration } from '../dsl/duration.ts';

const SCRIPTED = Symbol('currant.testing.outcome');

/** One scripted outcome; make them with `returns`, `fails`, `timesOut`. */
export interface Outcome {
  readonly [SCRIPTED]:
    | { kind: 'returns'; value: unknown; after?: string | number }
    | { kind: 'fails'; message: string; type?: string; retryable?: boolean; after?: string | number }
    | { kind: 'timesOut' };
}

/** When a scripted answer arrives: `after` ("1h", "3d", or ms) of test time past the call (default at once). */
export interface AnswerTiming {
  after?: string | number;
}

/** One call's behaviour: a scripted outcome or an implementation. */
export type TaskStep = Outcome | TaskFn;

/** A task in a test: an implementation, one outcome for every call, or a list with one entry per call. */
export type TaskBehaviour = TaskStep | readonly TaskStep[];

/**
 * The call returns `value` (as JSON, like a real task's result); with `{ after }`, the answer
 * arrives when the test clock has moved that far past the call (a slow task racing a timer). An
 * answer later than the attempt's `timeout` is too late, as on the engine: the timeout decides.
 */
export function returns(value: unknown, opts: AnswerTiming = {}): Outcome {
  return { [SCRIPTED]: { kind: 'returns', value, ...checkedTiming(opts, 'returns') } };
}

/**
 * The call fails: `TaskError(message, { type, retryable })`, as if the task had thrown it. Retried
 * per the task's policy unless `retryable: false` or the policy stops that `type`.
 */
export function fails(message: string, opts: { type?: string; retryable?: boolean } & AnswerTiming = {}): Outcome {
  return { [SCRIPTED]: { kind: 'fails', message, ...opts, ...checkedTiming(opts, 'fails') } };
}

function checkedTiming(opts: AnswerTiming, what: string): AnswerTiming {
  if (opts.after === undefined) return {};
  const ms = parseDuration(opts.after);
  if (typeof ms !== 'number') throw new TypeError(`${what}(…, { after }): ${ms.error}`);
  return { after: ms };
}

/**
 * The call never answers: the attempt times out when the clock passes its policy's `timeout`
 * (`run.skip` or `run.finish` move it there), then the retry policy decides, as on the engine.
 */
export function timesOut(): Outcome {
  return { [SCRIPTED]: { kind: 'timesOut' } };
}

function isOutcome(x: unknown): x is Outcome {
  return typeof x === 'object' && x !== null && SCRIPTED in x;
}

/**
 * What the harness does for one call: run a function through the task runner (its answer
 * delivered `afterMs` of test time later when set), or never answer.
 */
export type Plan = { run: TaskFn; afterMs?: number } | { hang: true };

/** The tasks of a test, normalised: `plan(task, call)` says what call number `call` (1-based) does. */
export class TaskScripts {
  private readonly behaviours = new Map<string, TaskBehaviour>();

  constructor(tasks: TaskModule | Record<string, TaskBehaviour>) {
    const all = tasks as Record<string, unknown>;
    // A module namespace or an object of functions, as on the engine (a default-exported object's functions too).
    for (const [name, fn] of Object.entries(tasksOf(all))) this.behaviours.set(name, fn);
    // A module's other exports (constants, types) are not tasks; in a plain object, anything else is a mistake.
    const isModule = Object.prototype.toString.call(all) === '[object Module]';
    for (const [name, b] of Object.entries(all)) {
      if (name === 'default' || (isModule && !isOutcome(b) && !Array.isArray(b))) continue;
      if (isOutcome(b) || Array.isArray(b)) this.behaviours.set(name, b as TaskBehaviour);
      else if (typeof b !== 'function') throw new TypeError(`tasks.${name}: expected a function, returns(…), fails(…), timesOut() or a list of them`);
    }
    for (const [name, b] of this.behaviours) {
      if (!Array.isArray(b)) continue;
      b.forEach((step, i) => {
        if (!isOutcome(step) && typeof step !== 'function') throw new TypeError(`tasks.${name}[${i}]: expected a function, returns(…), fails(…) or timesOut()`);
      });
    }
  }

  /** Tasks given scripted outcomes (not only functions): those must be tasks the workflow declares. */
  scripted(): string[] {
    return [...this.behaviours].filter(([, b]) => typeof b !== 'function').map(([name]) => name);
  }

  plan(task: string, call: number): Plan {
    const b = this.behaviours.get(task);
    if (b === undefined) {
      return failing(`no implementation for task '${task}' in this test: add it to the tasks given to testWorkflow`, 'TaskNotFound');
    }
    let step: TaskStep;
    if (Array.isArray(b)) {
      const list = b as readonly TaskStep[];
      if (call > list.length) {
        return failing(`task '${task}' was called ${call} times but its script has ${list.length} ${list.length === 1 ? 'entry' : 'entries'}`, 'ScriptExhausted');
      }
      step = list[call - 1]!;
    } else {
      step = b as TaskStep;
    }
    if (typeof step === 'function') return { run: step };
    const o = step[SCRIPTED];
    switch (o.kind) {
      case 'returns':
        return { run: () => o.value as Value, ...delay(o.after) };
      case 'fails':
        return {
          run: () => {
            throw new TaskError(o.message, { type: o.type, retryable: o.retryable });
          },
          ...delay(o.after),
        };
      case 'timesOut':
        return { hang: true };
    }
  }
}

function delay(after: string | number | undefined): { afterMs?: number } {
  return typeof after === 'number' && after > 0 ? { afterMs: after } : {};
}

function failing(message: string, type: string): Plan {
  return {
    run: () => {
      throw new TaskError(message, { type, retryable: false });
    },
  };
}
