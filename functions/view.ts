/**
 * The JSON the API gives for an instance: everything a status view needs, nothing interpreter-owned.
 *
 * Takes an `Instance`; gives a plain object:
 *
 *   instanceView(i)
 *   // => { id, workflow, status: 'running', at: { line: 9, col: 3 },
 *   //      pending: { tasks: [{ taskId: 'n14.s1', task: 'chargeCard', attempt: 1, of: 3, … }], timers: […], signals: [] },
 *   //      steps: [{ at, kind: 'start', outcome: 'started processOrder' }, …], … }
 *
 * The interpreter's frames and pending await are opaque, so the signal being awaited is read from
 * the step log (the runtime logs `waiting for "name"` when the wait starts), as the CLI does.
 */
import { isFinal, type Instance, type StepLog, type Value, type WorkflowError } from '../runtime/index.ts';

export interface PendingView {
  tasks: { taskId: string; task: string; attempt: number; of: number; line: number; col: number; sentAt: string; retryAt?: string; lastError?: string }[];
  timers: { timerId: string; purpose: string; fireAt: string; taskId?: string }[];
  signals: { name: string; since: string; line?: number; timeout?: string }[];
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
  pending: PendingView;
  steps: StepLog[];
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
    pending: pendingOf(i),
    steps: i.steps,
  };
  if (i.result !== undefined) v.result = i.result;
  if (i.error !== undefined) v.error = i.error;
  return v;
}

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
  const last = i.steps[i.steps.length - 1];
  if (!isFinal(i.status) && last?.kind === 'signal') {
    const m = /^waiting for "(.*)"(?: \(timeout (.*)\))?$/.exec(last.outcome);
    if (m) signals.push({ name: m[1]!, since: last.at, ...(last.line !== undefined ? { line: last.line } : {}), ...(m[2] ? { timeout: m[2] } : {}) });
  }
  return { tasks, timers, signals };
}
