/**
 * The public view of an instance: everything a status display needs (CLI `status`, the API's
 * `GET /instances/{id}`), nothing interpreter-owned.
 *
 *   instanceView(i)
 *   // => { id, workflow, status: 'waiting', at: { line: 9, col: 3 }, variables: { orderId: 'o1', payment: {…} },
 *   //      pending: { tasks: [], timers: [{ timerId: 'n9.s2:timeout', … }], signals: [{ name: 'approval', … }] },
 *   //      steps: [{ at, kind: 'start', outcome: 'started processOrder' }, …], … }
 *
 * The signal waits come from the interpreter's `signalWaits(state)` (awaited now or kept as handles), not from the step log text.
 */
import { formatDuration, signalWaits, variablesOf } from '../dsl/index.ts';
import { redriveRefusal } from './core.ts';
import { isFinal } from './types.ts';
import type { Instance, StepLog, Value, WorkflowError } from './types.ts';

export interface PendingView {
  tasks: { taskId: string; task: string; attempt: number; of: number; line: number; col: number; sentAt: string; retryAt?: string; lastError?: string }[];
  timers: { timerId: string; purpose: string; fireAt: string; taskId?: string }[];
  /** Every signal wait held open (awaited now or kept as a handle), oldest first; `names` for `signal([...])`. */
  signals: { name: string; names?: string[]; since: string; line?: number; timeout?: string }[];
}

export interface InstanceView {
  id: string;
  workflow: string;
  definitionHash: string;
  status: Instance['status'];
  input: Record<string, Value>;
  result?: Value;
  error?: WorkflowError;
  createdAt: string;
  updatedAt: string;
  version: number;
  /** The statement the workflow is at (null when unknown). */
  at: { line: number; col: number } | null;
  /** The workflow's variables as they are now (parameters included); null once it has ended. */
  variables: Record<string, Value> | null;
  /** Present while the workflow compensates after a cancel (Instance.cancelling). */
  cancelling?: { at: string; reason: string; until: string };
  pending: PendingView;
  steps: StepLog[];
  /**
   * Failed instances only: whether `redrive` can resume it (the task that failed, its line) or why
   * not (a runtime error in the workflow text is not redriven).
   */
  redrive?: { possible: true; task: string; taskId: string; line: number } | { possible: false; code: string; reason: string };
  /** A child workflow's parent: its id, and whether the parent awaits it (false: started detached). */
  parent?: { id: string; awaited: boolean };
  /** Child workflows it started, oldest first: `running` until their end came back (bounded, CHILDREN_KEPT). */
  children?: ChildView[];
}

export interface ChildView {
  id: string;
  workflow: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled' | 'detached';
  line: number;
  startedAt: string;
}

/** The children of an instance for views, oldest first. */
export function childrenOf(i: Instance): ChildView[] {
  return Object.values(i.children ?? {})
    .map((c) => ({ id: c.id, workflow: c.workflow, status: c.status ?? (c.detached ? ('detached' as const) : ('running' as const)), line: c.at.line, startedAt: c.startedAt }))
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
}

export function instanceView(i: Instance): InstanceView {
  const v: InstanceView = {
    id: i.id,
    workflow: i.workflow,
    definitionHash: i.definitionHash,
    status: i.status,
    input: i.input,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
    version: i.version,
    at: i.state.at ? { line: i.state.at.line, col: i.state.at.col } : null,
    variables: isFinal(i.status) ? null : variablesOf(i.state),
    pending: pendingOf(i),
    steps: i.steps,
  };
  if (i.result !== undefined) v.result = i.result;
  if (i.error !== undefined) v.error = i.error;
  if (i.cancelling !== undefined) v.cancelling = i.cancelling;
  if (i.parent) v.parent = { id: i.parent.id, awaited: i.parent.handle !== undefined };
  if (i.children && Object.keys(i.children).length > 0) v.children = childrenOf(i);
  if (i.status === 'failed') {
    const no = redriveRefusal(i);
    v.redrive = no
      ? { possible: false, code: no.code, reason: no.reason }
      : { possible: true, task: i.redrive!.task.task, taskId: i.redrive!.taskId, line: i.redrive!.task.at.line };
  }
  return v;
}

/** Outstanding task attempts, timers and the awaited signal of an instance. */
export function pendingOf(i: Instance): PendingView {
  const tasks = Object.entries(i.tasks).map(([taskId, t]) => ({
    taskId,
    task: t.task,
    attempt: t.attempt,
    of: t.policy.retries + 1,
    line: t.at.line,
    col: t.at.col,
    sentAt: t.sentAt,
    ...(t.retryAt ? { retryAt: t.retryAt } : {}),
    ...(t.lastError ? { lastError: t.lastError.message } : {}),
  }));
  const timers = Object.entries(i.timers).map(([timerId, t]) => ({
    timerId,
    purpose: t.purpose,
    fireAt: t.fireAt,
    ...(t.taskId ? { taskId: t.taskId } : {}),
  }));
  const signals: PendingView['signals'] = [];
  for (const w of isFinal(i.status) ? [] : signalWaits(i.state)) {
    // the wait began at the newest step that logged it; the log may be trimmed, so fall back
    const began = [...i.steps].reverse().find((s) => s.kind === 'signal' && s.outcome.includes(`"${w.name}"`));
    signals.push({
      name: w.name,
      ...(w.names ? { names: w.names } : {}),
      since: began?.at ?? i.updatedAt,
      ...(i.state.at ? { line: i.state.at.line } : {}),
      ...(w.timeoutMs !== undefined ? { timeout: formatDuration(w.timeoutMs) } : {}),
    });
  }
  return { tasks, timers, signals };
}
