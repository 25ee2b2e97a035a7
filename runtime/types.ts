/**
 * The runtime's data: definitions, instances, outstanding work, events in and dispatch commands out.
 *
 * Takes nothing, gives types only (plus two small constants). Everything here is plain JSON so a
 * store can keep an `Instance` as one document and a queue can carry events and commands as-is.
 *
 *   const e: RuntimeEvent = { type: 'taskResult', id: 'n12.s3#1', taskId: 'n12.s3', attempt: 1,
 *                             ok: true, result: { success: true } };
 *
 * Change additively: stored instances written by earlier versions must keep loading.
 */
import type { ChildFailure, ExecState, SourcePoint, TaskPolicy, Value, WorkflowError } from '../dsl/index.ts';

export type { ChildFailure, ExecState, SourcePoint, TaskPolicy, Value, WorkflowError };

/** A workflow's source text, stored once by content hash and never changed. */
export interface Definition {
  /** `programHash(source)` — `sha256:` + 64 hex digits. */
  hash: string;
  /** The workflow's name (`workflow processOrder(...)` → `processOrder`). */
  workflow: string;
  /** The file name it was started from (for diagnostics and status views only). */
  file: string;
  source: string;
  createdAt: string;
}

/**
 * `running`: at least one task attempt is outstanding (in flight or waiting to be retried).
 * `waiting`: only a sleep or a signal is awaited (no task work outstanding).
 * The other three are final.
 */
export type InstanceStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';

export const FINAL_STATUSES: readonly InstanceStatus[] = ['completed', 'failed', 'cancelled'];

export function isFinal(status: InstanceStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

export interface Instance {
  id: string;
  workflow: string;
  definitionHash: string;
  status: InstanceStatus;
  input: Record<string, Value>;
  result?: Value;
  /** `CR…` code for runtime errors (CR007: a task failed permanently), `CANCELLED` for cancel. */
  error?: WorkflowError;
  createdAt: string;
  updatedAt: string;
  /** Conditional saves: a save succeeds only if the stored version equals the version loaded. */
  version: number;
  /** The interpreter's state (opaque to the runtime apart from its public fields). */
  state: ExecState;
  /** Outstanding task attempts by task id (the interpreter's await id). */
  tasks: Record<string, TaskAttempt>;
  /** Outstanding timers by timer id. */
  timers: Record<string, PendingTimer>;
  /** The last STEP_LOG_LIMIT steps, newest last. */
  steps: StepLog[];
  /** Ids of recent signal/cancel events (bounded), so a redelivered signal is not buffered twice. */
  seenEvents?: string[];
  /** Id of the event whose transition finished the instance (to resend `finished` on redelivery). */
  finishedBy?: string;
  /**
   * The key of the instance's attempt tokens (tokens.ts): random, made at start, never shown in a
   * view. Task results must carry their attempt's token. Absent on instances started before tokens
   * existed: their results are accepted without one.
   */
  secret?: string;
  /**
   * Set while the workflow compensates after a cancel (its `catch`/`finally` runs, with awaits):
   * when it was asked, why, and when the grace period ends (the `cancelGrace` timer then ends the
   * instance `cancelled` whatever the code is doing). A second cancel ends it at once.
   */
  cancelling?: { at: string; reason: string; until: string };
  /**
   * Set when the instance failed because a task failed permanently at an await (CR007, not caught):
   * the state as it was at that await before the failure was fed in, so `redrive` can resume from
   * there (core.ts `redriveTransition`). Bounded like the state itself; never shown in a view.
   */
  redrive?: RedrivePoint;
  /**
   * Set on a child workflow's instance: the instance that started it, and the parent's handle that
   * awaits it (absent for a detached child, whose end is reported to nobody).
   */
  parent?: { id: string; handle?: string };
  /**
   * The child workflows this instance started, by the handle id that started them (core.ts
   * "Children"): outstanding ones (no `status`) are awaited; `status` once their end came back (or
   * they were cancelled with this instance); detached ones are recorded for views. Bounded:
   * settled and detached entries beyond CHILDREN_KEPT are dropped, oldest first.
   */
  children?: Record<string, ChildRef>;
}

/** A child workflow as its parent records it. */
export interface ChildRef {
  /** The child's instance id. */
  id: string;
  workflow: string;
  at: SourcePoint;
  startedAt: string;
  /** The event whose transition started it (a duplicate of that event resends the start). */
  producedBy: string;
  detached?: true;
  /** How it ended, as far as the parent knows (`cancelled` also when the parent cancelled it). */
  status?: 'completed' | 'failed' | 'cancelled';
  /** The child's input, kept while the start may be resent (outstanding), so the resend is the same start. */
  input?: Value;
}

/** Settled and detached children an instance keeps for its view (outstanding ones are always kept). */
export const CHILDREN_KEPT = 50;

/**
 * Bytes of JSON of a child's input, and of the result it hands its parent: they travel inline in
 * one queue message on AWS (SQS's 256 KiB), so larger ones are refused (CR042 for an input; the
 * parent's await fails with RESULT_TOO_LARGE for a result) on every engine alike.
 */
export const MAX_CHILD_VALUE_BYTES = 200 * 1024;

/**
 * What a redrive restores: the interpreter state at the failed await, the failed task (re-sent as
 * attempt 1 with a fresh budget) and the work that was outstanding beside it (a `Promise.all`'s
 * other tasks, their retry timers, sleeps), which the failure had dropped.
 */
export interface RedrivePoint {
  taskId: string;
  /** The failed task (its last error too, which views show until the new attempt answers). */
  task: Pick<TaskAttempt, 'task' | 'args' | 'policy' | 'at' | 'lastError'>;
  state: ExecState;
  tasks: Record<string, TaskAttempt>;
  timers: Record<string, PendingTimer>;
  /** When the failure happened. */
  failedAt: string;
}

/** One task attempt that is in flight (`retryAt` absent) or waiting for its retry timer. */
export interface TaskAttempt {
  task: string;
  args: Value[];
  /** 1-based attempt number of the attempt in flight, or of the last failed one while backing off. */
  attempt: number;
  policy: TaskPolicy;
  at: SourcePoint;
  /** When the current attempt was sent. */
  sentAt: string;
  /**
   * When the current attempt began running, if that was later than `sentAt` (an adapter that holds
   * attempts in a local queue reports it with a `taskStarted` event): its timeout counts from here.
   */
  startedAt?: string;
  /** Id of the event whose transition sent the current attempt (or scheduled its retry). */
  producedBy: string;
  /** Set while backing off after a failed attempt: when the next attempt is due. */
  retryAt?: string;
  /** The last failed attempt's error, for status views. */
  lastError?: TaskError;
}

export interface PendingTimer {
  fireAt: string;
  purpose: 'sleep' | 'signalTimeout' | 'retry' | 'taskTimeout' | 'cancelGrace';
  /** For `retry` and `taskTimeout`: the task and attempt the timer belongs to. */
  taskId?: string;
  attempt?: number;
  producedBy: string;
}

export type StepKind = 'start' | 'task' | 'retry' | 'sleep' | 'signal' | 'timer' | 'complete' | 'fail' | 'cancel' | 'log' | 'redrive' | 'child';

/** One line of an instance's history for status views. Bounded: only the last STEP_LOG_LIMIT are kept. */
export interface StepLog {
  at: string;
  kind: StepKind;
  line?: number;
  col?: number;
  task?: string;
  taskId?: string;
  attempt?: number;
  /** For `log` steps (`console.log/info/warn/error` in the workflow): the level. */
  level?: 'info' | 'warn' | 'error';
  /** For `log` steps: the line's number among the log lines of its transition (1, 2, …), so equal lines stay distinct. */
  seq?: number;
  /** Short human text: `ok`, `failed: card declined (retry in 2s)`, `timed out after 30s`, …; for `log` steps the logged text. */
  outcome: string;
  durationMs?: number;
  /**
   * For a task attempt's outcome: from the attempt being sent to its outcome applied, queueing
   * included (what the workflow waited at the await; `durationMs` is the run alone when known).
   */
  latencyMs?: number;
}

export const STEP_LOG_LIMIT = 200;
/** The step log is also cut to this many bytes of JSON (oldest entries dropped, with a marker). */
export const STEP_LOG_MAX_BYTES = 64 * 1024;
/** Characters of one step's `outcome` (longer text is cut with "… [truncated N chars]"). */
export const MAX_STEP_OUTCOME = 1024;
/** Characters of a `log` step's text: the interpreter's MAX_LOG_MESSAGE (1,024) plus room for its truncation marker. */
export const MAX_LOG_OUTCOME = MAX_STEP_OUTCOME + 64;
/** How many recent signal/cancel event ids an instance remembers for de-duplication. */
export const SEEN_EVENTS_LIMIT = 100;

/** What `Store.list` returns per instance (no state, no step log). */
export interface InstanceSummary {
  id: string;
  workflow: string;
  definitionHash: string;
  status: InstanceStatus;
  createdAt: string;
  updatedAt: string;
  result?: Value;
  error?: WorkflowError;
  at?: SourcePoint;
  /** A child workflow's parent instance id. */
  parent?: string;
}

export interface ListFilter {
  workflow?: string;
  status?: InstanceStatus;
  limit?: number;
  /** Opaque, from a previous page's `cursor`. */
  cursor?: string;
}

/** How a task reports a failed attempt. `retryable` defaults to true. */
export interface TaskError {
  message: string;
  type?: string;
  retryable?: boolean;
  /** Set by the runtime when the attempt timed out. */
  timedOut?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Events in, commands out
// ---------------------------------------------------------------------------------------------

/**
 * Something that happened to an instance. `id` identifies the event for de-duplication and for
 * `producedBy`: task results use `${taskId}#${attempt}`, timers `timer:${timerId}`, signals the
 * caller's signal id (or a fresh uuid), cancel `cancel` (or a caller id).
 */
export type RuntimeEvent =
  // `durationMs`: how long the attempt ran where it ran, as its worker reported it (informational:
  // the step log shows it instead of the time since dispatch, which counts queueing too).
  | { type: 'taskResult'; id: string; taskId: string; attempt: number; token?: string; durationMs?: number; ok: true; result: Value }
  | { type: 'taskResult'; id: string; taskId: string; attempt: number; token?: string; durationMs?: number; ok: false; error: TaskError }
  | { type: 'timerFired'; id: string; timerId: string }
  /**
   * An attempt that waited for a free slot in the adapter (the embedded engine's concurrency cap)
   * began running: its timeout timer restarts from now. Id: `${taskId}#${attempt}:started`.
   */
  | { type: 'taskStarted'; id: string; taskId: string; attempt: number; token?: string }
  | {
      type: 'signal';
      id: string;
      name: string;
      payload: Value;
      /**
       * When the party that accepted the signal received it (the API, the CLI, the embedded engine:
       * `signalInstance` stamps it). Timers due by then fire before the signal is applied, so a
       * signal later than its timeout loses even if the timeout was not fired in time. Absent: now.
       */
      receivedAt?: string;
    }
  | { type: 'cancel'; id: string; reason?: string }
  /**
   * A child workflow ended (or could not be started): sent to its parent, id `child:<child id>`.
   * `handle` is the parent's handle that started it.
   */
  | { type: 'childResult'; id: string; handle: string; childId: string; ok: true; result: Value }
  | { type: 'childResult'; id: string; handle: string; childId: string; ok: false; failure: ChildFailure };

export type ChildResultEvent = Extract<RuntimeEvent, { type: 'childResult' }>;

export type TaskResultEvent = Extract<RuntimeEvent, { type: 'taskResult' }>;

export type DispatchCommand =
  | { type: 'sendTask'; instanceId: string; taskId: string; task: string; args: Value[]; attempt: number; timeoutMs: number; token?: string }
  | { type: 'scheduleTimer'; instanceId: string; timerId: string; fireAt: string }
  | { type: 'cancelTimer'; instanceId: string; timerId: string }
  | { type: 'finished'; instanceId: string; status: 'completed' | 'failed' | 'cancelled' }
  /**
   * Start the deployment's workflow `workflow` as instance `childId` with parent `instanceId`
   * (runtime/children.ts `startChild` does it, idempotently: a repeat finds the instance it started).
   */
  | { type: 'startChild'; instanceId: string; handle: string; childId: string; workflow: string; input: Value; detached?: true }
  /** Cancel child `childId` of `instanceId` (its parent ended or was cancelled while awaiting it). Best effort: a finished child stays as it is. */
  | { type: 'cancelChild'; instanceId: string; childId: string; reason: string }
  /** Child `instanceId` ended: deliver `event` (a `childResult`) to its parent `parentId`. */
  | { type: 'notifyParent'; instanceId: string; parentId: string; event: ChildResultEvent };

/**
 * The result of a transition: the new instance (version + 1) and what to dispatch, or a duplicate.
 * A duplicate with `rejected` set was refused rather than repeated (a task result without the
 * attempt's token): it resends nothing, and adapters count and log it.
 */
export type Transition =
  | {
      duplicate?: false;
      instance: Instance;
      commands: DispatchCommand[];
      steps: StepLog[];
      /** Set when a signal was not delivered although the transition applied (a timer due before it ended the instance): why. */
      undelivered?: string;
    }
  | { duplicate: true; reason: string; resend: DispatchCommand[]; rejected?: 'token' };

/** Injected clock and id source. */
export interface Clock {
  now: () => Date;
  uuid: () => string;
}

/** Interpreter limits passed through to `start`/`resume` (defaults and codes: docs/language.md, "Limits"). */
export interface Limits {
  maxSteps?: number;
  maxStateBytes?: number;
  maxStringLength?: number;
  maxArrayLength?: number;
  maxActivationBytes?: number;
  maxActivationMs?: number;
  /** Signals buffered per instance for names nobody awaits (default 100); more are refused. */
  maxBufferedSignals?: number;
  /** Bytes of buffered signal payloads per instance (default 65,536); more are refused. */
  maxBufferedSignalBytes?: number;
  /**
   * How long a cancelled workflow may compensate (its `catch`/`finally` after the cancellation
   * error) before it is cancelled regardless: default 300,000 ms (5 minutes).
   */
  cancelGraceMs?: number;
}

/** Default of `Limits.cancelGraceMs`. */
export const DEFAULT_CANCEL_GRACE_MS = 300_000;

/** Helpers for the event ids the runtime uses. */
export const eventIds = {
  taskResult: (taskId: string, attempt: number) => `${taskId}#${attempt}`,
  taskStarted: (taskId: string, attempt: number) => `${taskId}#${attempt}:started`,
  timer: (timerId: string) => `timer:${timerId}`,
  /** The `producedBy` of the first activation. */
  start: 'start',
  /** A redrive: the caller's key (an `Idempotency-Key`), else the failed version it was asked for. */
  redrive: (key: string) => `redrive:${key}`,
  /** A child's end (or failure to start), as its parent receives it. */
  child: (childId: string) => `child:${childId}`,
};

/** Ids of the runtime's own timers (interpreter timer ids never contain `#`). */
export const timerIds = {
  retry: (taskId: string, attempt: number) => `${taskId}#${attempt}:retry`,
  taskTimeout: (taskId: string, attempt: number) => `${taskId}#${attempt}:timeout`,
  /** The end of a cancelled instance's compensation. */
  cancelGrace: 'cancel#grace',
};

/** The idempotency key a task implementation sees: stable across attempts. */
export function idempotencyKey(instanceId: string, taskId: string): string {
  return `${instanceId}/${taskId}`;
}
