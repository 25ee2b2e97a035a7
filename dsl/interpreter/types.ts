/**
 * The interpreter's contract with the outside: values, state, events in, commands out.
 *
 * The interpreter is a pure function pair:
 *
 *   start(program, input, options)        -> Activation
 *   resume(program, state, event, options) -> Activation
 *
 * It never does I/O: clock and ids come in through `ExecOptions`. `ExecState` is plain JSON, so
 * `resume(program, JSON.parse(JSON.stringify(state)), event)` behaves exactly like resuming the
 * in-memory object. Runtimes (embedded, AWS) store the state and carry out the commands.
 */

/** Workflow values are JSON values. There is no `undefined`: a missing property reads as `null`. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

/** Retry/timeout policy of a task, resolved from the declaration's `with { … }` and a call's override. */
export interface TaskPolicy {
  /** Retries after the first attempt; attempts = retries + 1. Default 2. */
  retries: number;
  /** Delay before the first retry, ms. Default 1000. */
  backoffMs: number;
  /** Multiplier applied to the delay after each retry. Default 2. */
  backoffRate: number;
  /** Upper bound on one retry delay, ms. Default 300000 (5 minutes). */
  maxBackoffMs: number;
  /** Time limit for one attempt, ms. Default 300000 (5 minutes). */
  timeoutMs: number;
  /**
   * Error types that are not retried: a failed attempt whose `type` is listed fails the task at
   * once, as `retryable: false` does. Absent (the default, and in states saved before it existed)
   * means every type is retried. At most one of `nonRetryable` and `retryOn` is set.
   */
  nonRetryable?: string[];
  /** The allow-list form: only these error types are retried; any other fails the task at once. */
  retryOn?: string[];
}

/** Bounds on a `nonRetryable` / `retryOn` list (CT014 beyond them). */
export const POLICY_TYPE_LIMITS = { entries: 50, chars: 100 } as const;

export const DEFAULT_POLICY: TaskPolicy = {
  retries: 2,
  backoffMs: 1000,
  backoffRate: 2,
  maxBackoffMs: 300_000,
  timeoutMs: 300_000,
};

/** Where a runtime error or a step happened. */
export interface SourcePoint {
  line: number;
  col: number;
}

/** A failure as data: code, message and where. */
export interface WorkflowError {
  /** A diagnostic code (`CR…`) or `CANCELLED` (the instance was cancelled; see `CancelledCommand`). */
  code: string;
  message: string;
  line?: number;
  col?: number;
  /** For CR007 (task failed permanently). */
  task?: string;
  attempts?: number;
}

/** A task's permanent failure as reported by the runtime after its retries ran out. */
export interface TaskFailure {
  message: string;
  /** Free-form error type/name from the task (e.g. `CardDeclined`). */
  type?: string;
  attempts: number;
  /** True when the last attempt timed out rather than failed. */
  timedOut?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Commands: what the runtime must do after an activation
// ---------------------------------------------------------------------------------------------

export type Command =
  | ScheduleTaskCommand
  | StartTimerCommand
  | CancelTimerCommand
  | WaitForSignalCommand
  | CompleteCommand
  | FailCommand
  | LogCommand
  | CancelledCommand
  | StartChildCommand;

/** Run `task(args)`; report back with `taskCompleted`/`taskFailed` carrying the same `id`. */
export interface ScheduleTaskCommand {
  type: 'scheduleTask';
  /** Deterministic await id, e.g. `n12.s3` or, inside a fan-out, `n12.s3.4`. The idempotency key. */
  id: string;
  task: string;
  args: Value[];
  policy: TaskPolicy;
  at: SourcePoint;
}

/** Fire `timerFired` with this `id` at `fireAt` (a durable sleep or `sleepUntil`, or a signal's timeout). */
export interface StartTimerCommand {
  type: 'startTimer';
  id: string;
  /** ISO 8601 time computed from the injected clock (`sleepUntil`: the time given, normalised). */
  fireAt: string;
  durationMs: number;
  purpose: 'sleep' | 'signalTimeout';
  at: SourcePoint;
}

/**
 * A timer that is no longer needed: its signal arrived first, or nothing can await its sleep any
 * more (a race's losing `sleep`, a handle dropped), or the instance is being cancelled. Runtimes
 * may ignore it (a `timerFired` for it is then ignored by the interpreter).
 */
export interface CancelTimerCommand {
  type: 'cancelTimer';
  id: string;
}

/**
 * The instance now waits for a signal of this name (informational: signals are delivered by name).
 * For `signal(["a", "b"])`, `name` is the first name and `names` all of them.
 */
export interface WaitForSignalCommand {
  type: 'waitForSignal';
  id: string;
  name: string;
  names?: string[];
  /** Present when the wait has a timeout; a `startTimer` with `${id}:timeout` accompanies it. */
  timeoutMs?: number;
  at: SourcePoint;
}

/**
 * A line the workflow logged (`console.log/info/warn/error`): for the instance's step log only. It
 * never suspends and is not in the state. `message` is at most MAX_LOG_MESSAGE characters plus a
 * `… [truncated N chars]` marker; at most MAX_LOG_LINES per activation, then one `warn` line
 * `… N more log lines dropped` stands for the rest.
 */
export interface LogCommand {
  type: 'log';
  /** `console.log` and `console.info` are `info`. */
  level: 'info' | 'warn' | 'error';
  message: string;
  at: SourcePoint;
}

/**
 * Start another workflow of the deployment as its own instance `childId` (children.ts): awaited
 * through the handle `id` (`workflows.charge(input)`; its end comes back as `childCompleted` /
 * `childFailed` with that id), or `detached` (`workflows.charge.startDetached(input)`: nothing comes
 * back). `childId` is `<parent id>:<id>` unless the workflow chose one (`{ id }`). The runtime starts
 * it idempotently: a repeated command finds the instance it started.
 */
export interface StartChildCommand {
  type: 'startChild';
  id: string;
  workflow: string;
  /** The child's input: an object keyed by its parameters (what `currant run --input` takes). */
  input: Value;
  childId: string;
  detached?: true;
  at: SourcePoint;
}

/** How a child workflow ended when it did not complete: its status and its own error. */
export interface ChildFailure {
  status: 'failed' | 'cancelled';
  /** The child's error code (`CR007`, `CANCELLED`, …), or the runtime's when it could not start (`CR041`, `CR042`). */
  code: string;
  message: string;
}

export interface CompleteCommand {
  type: 'complete';
  result: Value;
}

export interface FailCommand {
  type: 'fail';
  error: WorkflowError;
}

/**
 * The instance is cancelled (a `cancel` event): at once when no `catch`/`finally` could see the
 * await it was blocked on, or when its code ended after the cancellation error was raised there
 * (it returned: `result` holds the value; or an error escaped: `error.message` says which).
 * `error.code` is always `CANCELLED`.
 */
export interface CancelledCommand {
  type: 'cancelled';
  error: WorkflowError;
  result?: Value;
}

// ---------------------------------------------------------------------------------------------
// Events: what happened outside since the last activation
// ---------------------------------------------------------------------------------------------

export type WorkflowEvent =
  | { type: 'taskCompleted'; id: string; result: Value }
  | { type: 'taskFailed'; id: string; failure: TaskFailure }
  | { type: 'timerFired'; id: string }
  | { type: 'signal'; name: string; payload: Value }
  /** The child workflow started by handle `id` completed with `result`. */
  | { type: 'childCompleted'; id: string; result: Value }
  /** The child workflow started by handle `id` failed, was cancelled, or could not be started. */
  | { type: 'childFailed'; id: string; failure: ChildFailure }
  /**
   * Cancel the instance. With a `try` whose `catch` or `finally` can see the await the workflow is
   * blocked on, a `CancelledError` is thrown there (outstanding handles are rejected with it) and
   * the workflow runs on to compensate; otherwise it ends at once. Either way it ends with a
   * `cancelled` command. A second cancel while compensating ends it at once.
   */
  | { type: 'cancel'; reason?: string };

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

/** Bumped when the shape of ExecState changes; older states keep resuming (see state.ts). */
export const STATE_VERSION = 2;

/**
 * The whole execution state. JSON-serialisable. The fields below are the public part; frames and
 * the pending await are the interpreter's own and must be treated as opaque by runtimes.
 */
export interface ExecState {
  /** State format version (STATE_VERSION when written). */
  v: number;
  /** Hash of the program text the state belongs to. */
  programHash: string;
  status: 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
  /** Interpreter-owned: explicit frame stack naming AST nodes by id, with locals. */
  frames: unknown[];
  /** Interpreter-owned: what the workflow is blocked on (a handle of `h`), or null. */
  pending: unknown | null;
  /**
   * Interpreter-owned (v2): the handle table — tasks, timers, signal waits and combinators the
   * workflow started, by await id, with their status (frames.ts `Handle`). Absent or empty when
   * nothing is outstanding.
   */
  h?: Record<string, unknown>;
  /** Interpreter-owned (v2): set while the workflow compensates after a `cancel` event. */
  x?: { reason: string };
  /** Interpreter-owned (v2): the instance's id and start time, for `instance.*` (id null until first read when not injected). */
  i?: { id: string | null; at: string };
  /** Monotonic counter used to build await ids. */
  seq: number;
  /** Signals that arrived before the workflow waited for them, by name, oldest first. */
  signals: Record<string, Value[]>;
  /** Line and column of the statement the workflow is at (for status views). */
  at?: SourcePoint;
  result?: Value;
  error?: WorkflowError;
}

export interface ExecOptions {
  /** The clock: returns the current time. Required for `now()` and timers. */
  now: () => Date;
  /** Id source for `uuid()`. */
  uuid: () => string;
  /**
   * Steps allowed in one activation before CR005: each statement is one, and built-ins, copies and
   * comparisons add one per 100 characters or elements they touch. Default 100_000.
   */
  maxSteps?: number;
  /** Largest allowed size of the state after an activation, in UTF-8 bytes of `JSON.stringify(state)`, before CR006. Default 262_144. */
  maxStateBytes?: number;
  /** Longest string a workflow may create, in characters, before CR014. Default 10_000_000. */
  maxStringLength?: number;
  /** Longest array a workflow may create, in elements, before CR014. Default 1_000_000. */
  maxArrayLength?: number;
  /** Estimated bytes of the values one activation may create before CR015. Default 67_108_864 (64 MiB). */
  maxActivationBytes?: number;
  /** Wall-clock time one activation may take (measured with `now`) before CR016. Default 10_000 ms. */
  maxActivationMs?: number;
  /** Signals buffered for names nobody awaits, per instance; more are refused. Default 100. */
  maxBufferedSignals?: number;
  /** UTF-8 bytes of the JSON payloads of all buffered signals, per instance; more are refused. Default 65_536. */
  maxBufferedSignalBytes?: number;
  /**
   * The instance this state belongs to, for `instance.id` / `instance.startedAt`; read by `start`
   * and kept in the state (a state started without it gets its start time from `now` and its id
   * from `uuid` when first read).
   */
  instance?: { id: string; startedAt: string };
}

/** What `start` and `resume` give. */
export interface Activation {
  state: ExecState;
  commands: Command[];
  /** Statements executed in this activation. */
  steps: number;
  /** Size of the serialised state in bytes (UTF-8). */
  stateBytes: number;
  /**
   * Set when the event did not apply (a completion for an id that is not pending, a timer that
   * is not awaited, any event for a finished instance). State and commands are then unchanged/empty.
   */
  ignored?: string;
}
