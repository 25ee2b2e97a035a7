/**
 * The runtime core: pure transitions from (instance, event) to (new instance, dispatch commands).
 *
 * Takes a compiled program, an instance and an event (plus an injected clock and id source); gives a
 * `Transition`. No I/O: the driver (`driver.ts`) loads, saves and dispatches. Both the embedded and
 * the AWS adapters run exactly this code, so retry, timeout, duplicate and cancel rules live here once.
 *
 *   let t = startInstance(program, hash, { orderId: 'o1' }, { id: 'i-1', now, uuid });
 *   // t.commands: [sendTask n3.s1 attempt 1, scheduleTimer 'n3.s1#1:timeout']
 *   t = applyEvent(program, t.instance, { type: 'taskResult', id: 'n3.s1#1', taskId: 'n3.s1',
 *                                         attempt: 1, ok: true, result: 5 }, { now, uuid });
 *
 * Rules (see README.md):
 * - A task attempt is outstanding from `sendTask` until its first result or its timeout timer; any
 *   other result for it is a duplicate. A failed retryable attempt with attempts left schedules a
 *   `retry` timer (backoff · rate^(attempt-1), capped); when it fires the next attempt is sent.
 *   Out of attempts (or `retryable: false`, or a type the policy's `nonRetryable` lists / its
 *   `retryOn` does not) the interpreter gets `taskFailed` at once.
 * - Every new outstanding task/timer records `producedBy` = the event id whose transition made it; a
 *   redelivered (duplicate) event gets `resend` = the commands for what it produced that is still
 *   outstanding, so a crash between save and dispatch loses nothing.
 * - Per-step work is O(state size): the step log is bounded and no history is kept in the state.
 */
import {
  admitSignal,
  checkInput,
  checkSignal,
  formatDuration,
  HANDLE_KEY,
  holdsHandleKey,
  humanDuration,
  resume,
  start,
  type Activation,
  type ExecOptions,
  type LogCommand,
  type Program,
  type StartChildCommand,
  type WorkflowEvent,
} from '../dsl/index.ts';
import { assertNever } from '../dsl/ast.ts';
import { InputError, InstanceConflictError, RedriveRefusedError } from './errors.ts';
import { checkValue, LIMITS, MAX_STATE_BYTES, truncateText } from './limits.ts';
import { backoffDelay, notRetriedBecause } from './retry.ts';
import { attemptToken, tokenMatches } from './tokens.ts';
import {
  eventIds,
  isFinal,
  SEEN_EVENTS_LIMIT,
  STEP_LOG_LIMIT,
  STEP_LOG_MAX_BYTES,
  MAX_LOG_OUTCOME,
  MAX_STEP_OUTCOME,
  timerIds,
  DEFAULT_CANCEL_GRACE_MS,
  CHILDREN_KEPT,
  MAX_CHILD_VALUE_BYTES,
  type ChildFailure,
  type ChildRef,
  type ChildResultEvent,
  type Clock,
  type DispatchCommand,
  type Instance,
  type Limits,
  type RedrivePoint,
  type RuntimeEvent,
  type StepLog,
  type TaskAttempt,
  type TaskError,
  type Transition,
  type Value,
  type WorkflowError,
} from './types.ts';

export { backoffDelay };

export interface CoreOptions extends Clock {
  limits?: Limits;
  /**
   * The instance passed in is the caller's own, made by an earlier transition of the same batch
   * (`advanceBatch`): change its task and timer maps in place instead of copying them. Copying two
   * maps of a thousand entries per result made a 1,000-way fan-in quadratic.
   */
  inPlace?: boolean;
}

type Applied = Extract<Transition, { instance: Instance }>;

// ---------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------

/**
 * The first activation of a new instance (version 1). Throws `InputError` when the input does not
 * match the workflow's parameters.
 */
export function startInstance(
  program: Program,
  definitionHash: string,
  input: unknown,
  opts: CoreOptions & { id: string; parent?: Instance['parent'] },
): Applied {
  const args = validateInput(program, input);
  const at = opts.now();
  const now = at.toISOString();
  const activation = start(program, args, execOptions(opts, { id: opts.id, createdAt: now }));
  const instance: Instance = {
    id: opts.id,
    workflow: program.workflow.name,
    definitionHash,
    status: 'running',
    input: args,
    createdAt: now,
    updatedAt: now,
    version: 0, // the transaction makes it 1
    state: activation.state,
    tasks: {},
    timers: {},
    steps: [],
    secret: opts.uuid(),
  };
  if (opts.parent) instance.parent = opts.parent;
  const tx = new Tx(instance, eventIds.start, at, program, opts);
  tx.step({ kind: 'start', outcome: `started ${program.workflow.name}` });
  tx.activation(activation);
  return tx.done();
}

/**
 * A start for an id that already exists: the same workflow and input give a duplicate whose
 * `resend` re-sends what the first activation produced and is still outstanding; anything else
 * is an `InstanceConflictError`.
 */
export function restartExisting(existing: Instance, workflow: string, input: unknown): Transition {
  if (existing.workflow !== workflow) {
    throw new InstanceConflictError(existing.id, `it runs workflow '${existing.workflow}', not '${workflow}'`);
  }
  if (!jsonEqual(existing.input as Value, input as Value)) {
    throw new InstanceConflictError(existing.id, 'it was started with a different input');
  }
  return {
    duplicate: true,
    reason: 'instance already started with this input',
    resend: isFinal(existing.status) ? [] : pendingCommands(existing, eventIds.start),
  };
}

/** Checks the input against the workflow's parameters (the checker's `checkInput`). */
export function validateInput(program: Program, input: unknown): Record<string, Value> {
  const fits = checkValue(input, LIMITS.input, 'the input');
  if (!fits.ok) throw new InputError([`${fits.code}: ${fits.message}`], [{ path: '$', message: `${fits.code}: ${fits.message}` }]);
  const r = checkInput(program, input);
  if (!r.ok) throw new InputError(r.errors.map((e) => `${e.path}: ${e.message}`), r.errors);
  if (holdsHandleKey(input)) {
    const message = `the key "${HANDLE_KEY}" is reserved for handles and cannot be part of an input`;
    throw new InputError([`$: ${message}`], [{ path: '$', message }]);
  }
  return input as Record<string, Value>;
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/**
 * Applies one event. Never throws for duplicates: they come back as `{ duplicate: true, resend }`.
 *
 * Event order follows time: a signal stamped `receivedAt` comes after every timer due by then, so
 * those timers fire first, in the same transition (`applyAfterDueTimers`) — what a live engine would
 * have done had it been running. A signal that arrives after its wait's timeout has passed thus
 * loses to the timeout even when nothing fired that timeout in time (the engine was down).
 */
export function applyEvent(program: Program, instance: Instance, event: RuntimeEvent, opts: CoreOptions): Transition {
  if (event.type === 'signal') {
    const due = timersDueBefore(instance, event, opts.now().getTime());
    if (due.length > 0) return applyAfterDueTimers(program, instance, event, due, opts);
  }
  return applyOne(program, instance, event, opts);
}

/**
 * Pending timers due at or before the signal's arrival (its `receivedAt`, never later than now),
 * earliest first. None for a finished instance or a signal id already seen (a redelivery changes
 * nothing).
 */
function timersDueBefore(instance: Instance, event: Extract<RuntimeEvent, { type: 'signal' }>, nowMs: number): string[] {
  if (isFinal(instance.status) || (instance.seenEvents ?? []).includes(event.id)) return [];
  const stamped = event.receivedAt === undefined ? NaN : Date.parse(event.receivedAt);
  const atMs = Number.isNaN(stamped) ? nowMs : Math.min(stamped, nowMs);
  return Object.entries(instance.timers)
    .filter(([, t]) => Date.parse(t.fireAt) <= atMs)
    .sort(([ia, a], [ib, b]) => Date.parse(a.fireAt) - Date.parse(b.fireAt) || (ia < ib ? -1 : ia > ib ? 1 : 0))
    .map(([id]) => id);
}

/**
 * Fires `due` (timers that came due before the signal arrived) one after the other, then applies
 * the signal, as one transition. When a timer ended the instance the signal is not delivered: the
 * transition says so in `undelivered` and in a step, and the timers' work is kept.
 */
function applyAfterDueTimers(
  program: Program,
  instance: Instance,
  event: Extract<RuntimeEvent, { type: 'signal' }>,
  due: string[],
  opts: CoreOptions,
): Transition {
  let current = instance;
  const commands: DispatchCommand[] = [];
  const steps: StepLog[] = [];
  for (const timerId of due) {
    if (isFinal(current.status)) break;
    const t = applyOne(program, current, { type: 'timerFired', id: eventIds.timer(timerId), timerId }, opts);
    if (t.duplicate) continue; // an earlier timer's transition cancelled it
    current = t.instance;
    commands.push(...t.commands);
    steps.push(...t.steps);
  }
  if (isFinal(current.status)) {
    const late: StepLog = {
      at: opts.now().toISOString(),
      kind: 'signal',
      outcome: truncateText(`"${event.name}" not delivered: it arrived at ${event.receivedAt ?? 'now'}, after the instance ${current.status}`, MAX_STEP_OUTCOME),
    };
    steps.push(late);
    const instanceAfter: Instance = { ...current, steps: boundSteps([...current.steps, late]) };
    return { instance: instanceAfter, commands, steps, undelivered: `the instance ${current.status} before the signal arrived (a timer due earlier fired first)` };
  }
  const s = applyOne(program, current, event, opts);
  if (s.duplicate) return { instance: current, commands, steps };
  return { instance: s.instance, commands: [...commands, ...s.commands], steps: [...steps, ...s.steps] };
}

function applyOne(program: Program, instance: Instance, event: RuntimeEvent, opts: CoreOptions): Transition {
  if (isFinal(instance.status)) {
    const resend: DispatchCommand[] = instance.finishedBy === event.id ? finishedCommands(instance) : [];
    return { duplicate: true, reason: `instance is ${instance.status}`, resend };
  }
  const tx = new Tx(instance, event.id, opts.now(), program, opts);
  const next = tx.next;
  switch (event.type) {
    case 'taskResult': {
      // Checked first, outstanding or not: a forged replay of a finished attempt's result must not
      // make the engine resend what that result produced.
      if (instance.secret !== undefined && !tokenMatches(instance.secret, event.taskId, event.attempt, event.token)) return rejected(event);
      const t = own(next.tasks, event.taskId);
      if (!t || t.attempt !== event.attempt || t.retryAt !== undefined) {
        return duplicate(instance, event.id, `task ${event.taskId} attempt ${event.attempt} is not outstanding`);
      }
      tx.cancelTimer(timerIds.taskTimeout(event.taskId, t.attempt));
      const durationMs = attemptDuration(event.durationMs, tx.nowMs - Date.parse(t.startedAt ?? t.sentAt));
      // A result nested too deeply or too large for the instance is a failed attempt (the task's
      // retry policy applies), not a poison message: RESULT_TOO_DEEP / RESULT_TOO_LARGE.
      const fits = event.ok ? checkValue(event.result, LIMITS.taskResult, `the result of ${t.task}`) : undefined;
      if (fits && !fits.ok) {
        tx.failAttempt(event.taskId, t, { message: fits.message, type: fits.code === 'VALUE_TOO_DEEP' ? 'RESULT_TOO_DEEP' : 'RESULT_TOO_LARGE' }, durationMs);
      } else if (event.ok) {
        delete next.tasks[event.taskId];
        tx.step({ kind: 'task', ...taskFields(event.taskId, t), outcome: 'ok', durationMs, latencyMs: tx.sinceSent(t) });
        tx.feed({ type: 'taskCompleted', id: event.taskId, result: event.result });
      } else {
        tx.failAttempt(event.taskId, t, event.error, durationMs);
      }
      break;
    }
    case 'taskStarted': {
      if (instance.secret !== undefined && !tokenMatches(instance.secret, event.taskId, event.attempt, event.token)) return rejected(event);
      const t = own(next.tasks, event.taskId);
      if (!t || t.attempt !== event.attempt || t.retryAt !== undefined || t.startedAt !== undefined) {
        return duplicate(instance, event.id, `task ${event.taskId} attempt ${event.attempt} is not waiting to start`);
      }
      // The attempt's clock starts now: its timeout timer moves (same id) to now + timeout.
      next.tasks[event.taskId] = { ...t, startedAt: tx.nowIso };
      const timerId = timerIds.taskTimeout(event.taskId, t.attempt);
      const timer = own(next.timers, timerId);
      const fireAt = new Date(tx.nowMs + t.policy.timeoutMs).toISOString();
      if (timer && Date.parse(timer.fireAt) < Date.parse(fireAt)) {
        next.timers[timerId] = { ...timer, fireAt, producedBy: event.id };
        tx.commands.push({ type: 'scheduleTimer', instanceId: instance.id, timerId, fireAt });
      }
      break;
    }
    case 'timerFired': {
      const timer = own(next.timers, event.timerId);
      if (!timer) return duplicate(instance, event.id, `timer ${event.timerId} is not pending`);
      if (tx.nowMs < Date.parse(timer.fireAt)) {
        // Early delivery (a queue's delay is capped, clocks differ): keep it and ask for it again.
        return {
          duplicate: true,
          reason: `timer ${event.timerId} is not due until ${timer.fireAt}`,
          resend: [{ type: 'scheduleTimer', instanceId: instance.id, timerId: event.timerId, fireAt: timer.fireAt }],
        };
      }
      delete next.timers[event.timerId];
      switch (timer.purpose) {
        case 'sleep':
          tx.step({ kind: 'timer', outcome: 'sleep over' });
          tx.feed({ type: 'timerFired', id: event.timerId });
          break;
        case 'signalTimeout':
          tx.step({ kind: 'timer', outcome: 'signal wait timed out' });
          tx.feed({ type: 'timerFired', id: event.timerId });
          break;
        case 'retry': {
          const t = timer.taskId === undefined ? undefined : next.tasks[timer.taskId];
          if (t && t.retryAt !== undefined && t.attempt === timer.attempt) {
            tx.step({ kind: 'retry', ...taskFields(timer.taskId!, t), attempt: t.attempt + 1, outcome: `attempt ${t.attempt + 1} of ${t.policy.retries + 1}` });
            tx.sendAttempt(timer.taskId!, t, t.attempt + 1);
          }
          break;
        }
        case 'taskTimeout': {
          const t = timer.taskId === undefined ? undefined : next.tasks[timer.taskId];
          if (t && t.retryAt === undefined && t.attempt === timer.attempt) {
            const error: TaskError = {
              message: `timed out after ${formatDuration(t.policy.timeoutMs)}`,
              type: 'Timeout',
              timedOut: true,
            };
            tx.failAttempt(timer.taskId!, t, error, tx.nowMs - Date.parse(t.startedAt ?? t.sentAt));
          }
          break;
        }
        case 'cancelGrace':
          if (next.cancelling) {
            const c = next.cancelling;
            const grace = formatDuration(Date.parse(c.until) - Date.parse(c.at));
            tx.finish('cancelled', undefined, { code: 'CANCELLED', message: `${c.reason}; the compensation did not finish within the grace period of ${grace}` });
          }
          break;
        default:
          assertNever(timer.purpose, 'timer purpose');
      }
      break;
    }
    case 'signal': {
      const seen = instance.seenEvents ?? [];
      if (seen.includes(event.id)) return duplicate(instance, event.id, `signal ${event.id} already received`);
      next.seenEvents = [...seen, event.id].slice(-SEEN_EVENTS_LIMIT);
      // A signal past the buffer cap (one that got by the door, e.g. through a queue) is dropped
      // and logged: it never fails the instance.
      const door = admitSignal(instance.state, event.name, event.payload, opts.limits);
      if (!door.ok) {
        tx.step({ kind: 'signal', outcome: `refused "${event.name}": ${door.code}: ${door.message}` });
        break;
      }
      // A payload that does not match `signal<T>(name)` (one that got by the driver's door, e.g.
      // through a queue) is dropped and logged the same way.
      const typed = checkSignal(program, instance.state, event.name, event.payload);
      if (!typed.ok) {
        tx.step({ kind: 'signal', outcome: `refused "${event.name}": ${typed.code}: ${typed.message}` });
        break;
      }
      tx.step({ kind: 'signal', outcome: `received "${event.name}"` });
      tx.feed({ type: 'signal', name: event.name, payload: event.payload });
      break;
    }
    case 'cancel': {
      const reason = event.reason ?? 'cancelled';
      if (next.cancelling) {
        // a second cancel while compensating: now
        tx.finish('cancelled', undefined, { code: 'CANCELLED', message: `${next.cancelling.reason} (cancelled again while compensating)` });
        break;
      }
      // Attempts in flight cannot be recalled: they are abandoned, their results are duplicates.
      for (const taskId of Object.keys(next.tasks)) tx.abandonTask(taskId);
      // Children it awaits are cancelled with it (their handles get the cancellation error).
      tx.cancelChildren(reason);
      // Why remember the id: a process running the instance elsewhere (the CLI's `run`) sees it
      // and asks for what the cancel produced (the compensation's tasks and timers) as a resend.
      next.seenEvents = [...(instance.seenEvents ?? []).filter((x) => x !== event.id), event.id].slice(-SEEN_EVENTS_LIMIT);
      const a = tx.feed({ type: 'cancel', reason });
      if (a.ignored !== undefined) {
        tx.finish('cancelled', undefined, { code: 'CANCELLED', message: reason });
        break;
      }
      if (!isFinal(next.status)) {
        // the workflow caught the cancellation error and compensates, within a grace period
        const grace = opts.limits?.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;
        const until = new Date(tx.nowMs + grace).toISOString();
        next.cancelling = { at: tx.nowIso, reason, until };
        next.timers[timerIds.cancelGrace] = { fireAt: until, purpose: 'cancelGrace', producedBy: tx.eventId };
        tx.commands.push({ type: 'scheduleTimer', instanceId: next.id, timerId: timerIds.cancelGrace, fireAt: until });
        tx.step({ kind: 'cancel', outcome: `cancelling${reason !== 'cancelled' ? `: ${reason}` : ''}; the workflow compensates until ${until} (grace ${formatDuration(grace)})` });
      }
      break;
    }
    case 'childResult': {
      const ref = next.children && Object.hasOwn(next.children, event.handle) ? next.children[event.handle] : undefined;
      if (!ref || ref.id !== event.childId || ref.status !== undefined) {
        return duplicate(instance, event.id, `child ${event.childId} is not awaited`);
      }
      // Remembered like a signal's id: a process running the parent elsewhere (the CLI's `run`, when
      // a `currant signal` ended the child) sees it and asks for what it produced as a resend.
      next.seenEvents = [...(instance.seenEvents ?? []).filter((x) => x !== event.id), event.id].slice(-SEEN_EVENTS_LIMIT);
      tx.childEnded(event.handle, ref, event);
      break;
    }
    default:
      assertNever(event, 'event');
  }
  return tx.done();
}

// ---------------------------------------------------------------------------------------------
// Redrive
// ---------------------------------------------------------------------------------------------

/**
 * Why an instance cannot be redriven (`INSTANCE_NOT_FAILED` / `NOT_REDRIVABLE` and a sentence), or
 * undefined when it can: it failed because a task failed permanently at an await and the state at
 * that await was kept (`instance.redrive`).
 */
export function redriveRefusal(instance: Instance): { code: 'INSTANCE_NOT_FAILED' | 'NOT_REDRIVABLE'; reason: string } | undefined {
  if (instance.status !== 'failed') return { code: 'INSTANCE_NOT_FAILED', reason: `it is ${instance.status}; only a failed instance can be redriven` };
  if (instance.redrive) return undefined;
  const e = instance.error;
  const where = e?.line !== undefined ? ` at line ${e.line}` : '';
  if (e?.code === 'CR040') {
    return {
      code: 'NOT_REDRIVABLE',
      reason: `it failed because a child workflow failed${where} (CR040); only a task failure is redriven: redrive or fix the child's cause and start a new instance of this one`,
    };
  }
  if (e?.code !== 'CR007') {
    return {
      code: 'NOT_REDRIVABLE',
      reason: `it failed with ${e?.code ?? 'an error'}${where}, a runtime error in the workflow text, not a task failure at an await; the text is frozen, so it would fail the same way again (start a new instance)`,
    };
  }
  return {
    code: 'NOT_REDRIVABLE',
    reason:
      e.attempts === 0
        ? `its task ${e.task ?? ''} was never sent${where} (its arguments were refused), so re-sending it would fail the same way`
        : `no state was kept at the failed await${where} (the workflow handled the task's failure before failing, or the instance failed before redrive existed)`,
  };
}

/**
 * Resumes a failed instance from the await whose task failed: the interpreter state at that await
 * comes back, the failed task is sent again as attempt 1 with a fresh retry budget, work that was
 * outstanding beside it is sent or armed again, and the status is running.
 *
 * The tasks go out through a `retry` timer due at once (attempt 0 backing off, so the timer sends
 * attempt 1), not a `sendTask` in this transition. Why: a redrive is often saved by a process that
 * runs no tasks (the CLI, the viewer); a due timer is what every runner picks up promptly (the
 * embedded worker adopts an instance whose timer is overdue, AWS delivers a wake-up), whereas an
 * attempt recorded as sent would wait for its timeout and then count as timed out. One extra hop. Throws
 * `RedriveRefusedError` when the instance cannot be redriven (see `redriveRefusal`). `eventId`
 * (`redrive:<key>`) makes it idempotent: the same id again is a duplicate that resends what the
 * first redrive produced. The attempt tokens' key is renewed, so a late result of an attempt from
 * before the failure cannot be taken for the new attempt's.
 */
export function redriveTransition(program: Program, instance: Instance, eventId: string, opts: CoreOptions): Transition {
  if ((instance.seenEvents ?? []).includes(eventId)) return duplicate(instance, eventId, `redrive ${eventId} already applied`);
  const refusal = redriveRefusal(instance);
  if (refusal) throw new RedriveRefusedError(instance.id, refusal.code, refusal.reason);
  const point = instance.redrive as RedrivePoint;
  const tx = new Tx(instance, eventId, opts.now(), program, opts);
  const next = tx.next;
  next.status = 'running';
  next.state = point.state;
  next.tasks = {};
  next.timers = {};
  delete next.error;
  delete next.finishedBy;
  delete next.redrive;
  next.seenEvents = [...(instance.seenEvents ?? []), eventId].slice(-SEEN_EVENTS_LIMIT);
  if (next.secret !== undefined) next.secret = opts.uuid();
  const { task, at } = point.task;
  tx.step({ kind: 'redrive', task, taskId: point.taskId, attempt: 1, line: at.line, col: at.col, outcome: `redriven: ${task} to be sent again (attempt 1 of ${point.task.policy.retries + 1})` });
  // Timers first (an attempt's timeout timer is made anew when it is sent), then the tasks.
  for (const [timerId, timer] of Object.entries(point.timers)) {
    if (timer.purpose === 'taskTimeout') continue;
    next.timers[timerId] = { ...timer, producedBy: eventId };
    tx.commands.push({ type: 'scheduleTimer', instanceId: next.id, timerId, fireAt: timer.fireAt });
  }
  for (const [taskId, t] of Object.entries(point.tasks)) {
    if (t.retryAt !== undefined) next.tasks[taskId] = { ...t, producedBy: eventId };
    else tx.sendSoon(taskId, t, t.attempt);
  }
  tx.sendSoon(point.taskId, { ...point.task, sentAt: point.failedAt }, 1);
  return tx.done();
}

/** A task result (or start report) that does not carry the attempt's token: dropped, nothing resent. */
function rejected(event: { type: RuntimeEvent['type']; taskId: string; attempt: number; token?: string }): Transition {
  const what = event.token === undefined ? 'has no token' : 'has the wrong token';
  const of = event.type === 'taskResult' ? 'the result' : 'the start report';
  return { duplicate: true, rejected: 'token', reason: `task ${event.taskId} attempt ${event.attempt}: ${of} ${what}`, resend: [] };
}

/**
 * An entry of an id-keyed map, only if the map itself has it: ids in events come from outside, and
 * `timers['__proto__']` or `tasks['constructor']` must not find Object's own members.
 */
function own<T>(map: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

function duplicate(instance: Instance, eventId: string, reason: string): Transition {
  return { duplicate: true, reason, resend: pendingCommands(instance, eventId) };
}

/**
 * The commands that (re)create an instance's outstanding work: `sendTask` for attempts in flight
 * and `scheduleTimer` for every pending timer. With `producedBy`, only what that event produced.
 * Used for duplicate resends and by adapters when they restart (embedded `resumeAll`).
 */
export function pendingCommands(instance: Instance, producedBy?: string): DispatchCommand[] {
  const out: DispatchCommand[] = [];
  if (isFinal(instance.status)) return out;
  for (const [taskId, t] of Object.entries(instance.tasks)) {
    if (t.retryAt !== undefined || (producedBy !== undefined && t.producedBy !== producedBy)) continue;
    out.push(sendTaskCommand(instance, taskId, t));
  }
  for (const [timerId, timer] of Object.entries(instance.timers)) {
    if (producedBy !== undefined && timer.producedBy !== producedBy) continue;
    out.push({ type: 'scheduleTimer', instanceId: instance.id, timerId, fireAt: timer.fireAt });
  }
  // Children: a start is idempotent, so an outstanding one (or a detached one its event started) is
  // simply started again; one that already ended reports its end again (runtime/children.ts).
  for (const [handle, c] of Object.entries(instance.children ?? {})) {
    if (c.status !== undefined || c.input === undefined) continue;
    if (producedBy === undefined ? c.detached : c.producedBy !== producedBy) continue;
    out.push(startChildCommand(instance.id, handle, c));
  }
  return out;
}

function startChildCommand(parentId: string, handle: string, c: ChildRef): DispatchCommand {
  const cmd: DispatchCommand = { type: 'startChild', instanceId: parentId, handle, childId: c.id, workflow: c.workflow, input: c.input ?? {} };
  if (c.detached) cmd.detached = true;
  return cmd;
}

/**
 * What an ended instance dispatches (and resends when the event that ended it comes again):
 * `finished`, and for a child awaited by its parent, its end as a `childResult` for the parent.
 */
export function finishedCommands(instance: Instance): DispatchCommand[] {
  const status = instance.status as 'completed' | 'failed' | 'cancelled';
  const out: DispatchCommand[] = [{ type: 'finished', instanceId: instance.id, status }];
  const p = instance.parent;
  if (p?.handle !== undefined) {
    const base = { id: eventIds.child(instance.id), handle: p.handle, childId: instance.id };
    const fits = status === 'completed' ? checkValue(instance.result ?? null, { ...LIMITS.taskResult, maxBytes: MAX_CHILD_VALUE_BYTES }, `the result of workflow ${instance.workflow}`) : undefined;
    const event: ChildResultEvent =
      fits && !fits.ok
        ? { type: 'childResult', ...base, ok: false, failure: { status: 'failed', code: 'RESULT_TOO_LARGE', message: `${fits.message} (a child hands its parent at most ${MAX_CHILD_VALUE_BYTES} bytes: return a key to the value instead)` } }
        : status === 'completed'
        ? { type: 'childResult', ...base, ok: true, result: instance.result ?? null }
        : { type: 'childResult', ...base, ok: false, failure: { status, code: instance.error?.code ?? (status === 'cancelled' ? 'CANCELLED' : 'CR017'), message: instance.error?.message ?? status } };
    out.push({ type: 'notifyParent', instanceId: instance.id, parentId: p.id, event });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The transaction: a copy of the instance being changed, the commands and steps it produces
// ---------------------------------------------------------------------------------------------

class Tx {
  readonly next: Instance;
  readonly commands: DispatchCommand[] = [];
  readonly steps: StepLog[] = [];
  /** Log lines recorded in this transition (numbers `seq` of log steps). */
  private logs = 0;
  readonly nowIso: string;
  readonly nowMs: number;

  constructor(
    base: Instance,
    readonly eventId: string,
    now: Date,
    private readonly program?: Program,
    private readonly opts?: CoreOptions,
  ) {
    this.nowIso = now.toISOString();
    this.nowMs = now.getTime();
    // Shallow copies of the maps we change (unless the caller owns them: CoreOptions.inPlace); the
    // state object is replaced, never mutated.
    const own = opts?.inPlace === true;
    this.next = { ...base, tasks: own ? base.tasks : { ...base.tasks }, timers: own ? base.timers : { ...base.timers }, version: base.version + 1, updatedAt: this.nowIso };
  }

  step(s: Omit<StepLog, 'at'>): void {
    this.steps.push({ at: this.nowIso, ...s, outcome: truncateText(s.outcome, MAX_STEP_OUTCOME) });
  }

  /** A line the workflow logged; it goes through the step log's bounds like any step. */
  log(c: LogCommand): void {
    const seq = ++this.logs;
    this.steps.push({ at: this.nowIso, kind: 'log', level: c.level, line: c.at.line, col: c.at.col, seq, outcome: truncateText(String(c.message), MAX_LOG_OUTCOME) });
  }

  /** Feeds one event to the interpreter and applies the activation's commands. */
  feed(event: WorkflowEvent): Activation {
    const a = resume(this.program!, this.next.state, event, execOptions(this.opts!, this.next));
    this.activation(a);
    return a;
  }

  /** A task attempt given up (the instance is cancelled): forgotten with its timers; its result will be a duplicate. */
  abandonTask(taskId: string): void {
    const t = this.next.tasks[taskId];
    if (!t) return;
    delete this.next.tasks[taskId];
    this.cancelTimer(timerIds.taskTimeout(taskId, t.attempt));
    this.cancelTimer(timerIds.retry(taskId, t.attempt));
    this.step({ kind: 'task', ...taskFields(taskId, t), outcome: 'abandoned (the instance is cancelled)' });
  }

  activation(a: Activation): void {
    if (a.ignored !== undefined) return; // the interpreter did not apply it: state and commands unchanged
    this.next.state = a.state;
    // Calls whose arguments are over the limit are never sent (nor stored): they fail like a task
    // that failed permanently, after this activation's other commands are applied.
    const refused: { id: string; task: string; at: { line: number; col: number }; message: string }[] = [];
    const refusedChildren: { c: StartChildCommand; message: string }[] = [];
    for (const c of a.commands) {
      switch (c.type) {
        case 'scheduleTask': {
          const fits = checkValue(c.args, LIMITS.taskArgs, `the arguments of ${c.task}`);
          if (!fits.ok) {
            refused.push({ id: c.id, task: c.task, at: c.at, message: fits.message });
            break;
          }
          this.sendAttempt(c.id, { task: c.task, args: c.args, policy: c.policy, at: c.at }, 1);
          break;
        }
        case 'startTimer':
          this.next.timers[c.id] = { fireAt: c.fireAt, purpose: c.purpose, producedBy: this.eventId };
          this.commands.push({ type: 'scheduleTimer', instanceId: this.next.id, timerId: c.id, fireAt: c.fireAt });
          if (c.purpose === 'sleep') {
            this.step({ kind: 'sleep', line: c.at.line, col: c.at.col, outcome: `sleeping ${humanDuration(c.durationMs)} until ${c.fireAt}` });
          }
          break;
        case 'cancelTimer':
          this.cancelTimer(c.id);
          break;
        case 'waitForSignal':
          this.step({
            kind: 'signal',
            line: c.at.line,
            col: c.at.col,
            outcome: `waiting for ${(c.names ?? [c.name]).map((n) => `"${n}"`).join(' or ')}` + (c.timeoutMs !== undefined ? ` (timeout ${formatDuration(c.timeoutMs)})` : ''),
          });
          break;
        case 'log':
          this.log(c);
          break;
        case 'complete':
          this.finish('completed', c.result, undefined);
          break;
        case 'fail':
          this.finish('failed', undefined, c.error);
          break;
        case 'cancelled':
          this.finish('cancelled', c.result, c.error);
          break;
        case 'startChild': {
          // the input travels in a message and is stored with the child: bounded like task arguments
          const fits = checkValue(c.input, { ...LIMITS.taskArgs, maxBytes: MAX_CHILD_VALUE_BYTES }, `the input of workflow ${c.workflow}`);
          if (!fits.ok) {
            refusedChildren.push({ c, message: fits.message });
            break;
          }
          this.startChild(c);
          break;
        }
        default:
          assertNever(c, 'command');
      }
    }
    for (const r of refused) {
      if (isFinal(this.next.status)) break;
      this.step({ kind: 'task', task: r.task, taskId: r.id, attempt: 0, line: r.at.line, col: r.at.col, outcome: `not sent: ${r.message} [TASK_ARGS_TOO_LARGE]` });
      this.feed({ type: 'taskFailed', id: r.id, failure: { message: r.message, type: 'TASK_ARGS_TOO_LARGE', attempts: 0 } });
    }
    for (const { c, message } of refusedChildren) {
      if (isFinal(this.next.status)) break;
      this.step({ kind: 'child', line: c.at.line, col: c.at.col, outcome: `not started: workflow ${c.workflow}: ${message} [CR042]` });
      if (!c.detached) this.feed({ type: 'childFailed', id: c.id, failure: { status: 'failed', code: 'CR042', message } });
    }
  }

  sendAttempt(taskId: string, t: Pick<TaskAttempt, 'task' | 'args' | 'policy' | 'at'>, attempt: number): void {
    const sent: TaskAttempt = {
      task: t.task,
      args: t.args,
      attempt,
      policy: t.policy,
      at: t.at,
      sentAt: this.nowIso,
      producedBy: this.eventId,
    };
    this.next.tasks[taskId] = sent;
    this.commands.push(sendTaskCommand(this.next, taskId, sent));
    const timerId = timerIds.taskTimeout(taskId, attempt);
    const fireAt = new Date(this.nowMs + t.policy.timeoutMs).toISOString();
    this.next.timers[timerId] = { fireAt, purpose: 'taskTimeout', taskId, attempt, producedBy: this.eventId };
    this.commands.push({ type: 'scheduleTimer', instanceId: this.next.id, timerId, fireAt });
  }

  /**
   * Schedules `attempt` of a task through a `retry` timer due now (the task backs off with attempt
   * `attempt - 1`; when the timer fires, `attempt` is sent). See `redriveTransition` for why.
   */
  sendSoon(taskId: string, t: Omit<TaskAttempt, 'attempt' | 'retryAt' | 'producedBy'> & { lastError?: TaskError }, attempt: number): void {
    const timerId = timerIds.retry(taskId, attempt - 1);
    this.next.tasks[taskId] = { ...t, attempt: attempt - 1, retryAt: this.nowIso, producedBy: this.eventId };
    this.next.timers[timerId] = { fireAt: this.nowIso, purpose: 'retry', taskId, attempt: attempt - 1, producedBy: this.eventId };
    this.commands.push({ type: 'scheduleTimer', instanceId: this.next.id, timerId, fireAt: this.nowIso });
  }

  /** Milliseconds from an attempt's send to now (a step's `latencyMs`). */
  sinceSent(t: Pick<TaskAttempt, 'sentAt'>): number {
    return Math.max(0, this.nowMs - Date.parse(t.sentAt));
  }

  failAttempt(taskId: string, t: TaskAttempt, outside: TaskError, durationMs: number): void {
    const error = boundTaskError(outside);
    const attempts = t.policy.retries + 1;
    const what = error.timedOut ? error.message : `failed: ${error.message}`;
    const permanent = notRetriedBecause(t.policy, error);
    if (permanent === undefined && t.attempt < attempts) {
      const delay = backoffDelay(t.policy, t.attempt);
      const retryAt = new Date(this.nowMs + delay).toISOString();
      this.next.tasks[taskId] = { ...t, retryAt, lastError: error, producedBy: this.eventId };
      const timerId = timerIds.retry(taskId, t.attempt);
      this.next.timers[timerId] = { fireAt: retryAt, purpose: 'retry', taskId, attempt: t.attempt, producedBy: this.eventId };
      this.commands.push({ type: 'scheduleTimer', instanceId: this.next.id, timerId, fireAt: retryAt });
      this.step({ kind: 'task', ...taskFields(taskId, t), outcome: `${what} (retry in ${formatDuration(delay)})`, durationMs, latencyMs: this.sinceSent(t) });
      return;
    }
    delete this.next.tasks[taskId];
    const why = permanent ?? `gave up after ${t.attempt} attempt${t.attempt === 1 ? '' : 's'}`;
    this.step({ kind: 'task', ...taskFields(taskId, t), outcome: `${what} (${why})`, durationMs, latencyMs: this.sinceSent(t) });
    const failure = { message: error.message, attempts: t.attempt } as { message: string; attempts: number; type?: string; timedOut?: boolean };
    if (error.type !== undefined) failure.type = error.type;
    if (error.timedOut) failure.timedOut = true;
    // The state at the await, before the failure is fed in: kept if the failure ends the instance
    // (uncaught, CR007), so a redrive can resume right here. The failed task is already out of
    // `tasks` and its timers are gone; what else was outstanding is kept with it.
    const before = { state: this.next.state, tasks: { ...this.next.tasks }, timers: { ...this.next.timers } };
    this.feed({ type: 'taskFailed', id: taskId, failure });
    if (this.next.status === 'failed' && this.next.error?.code === 'CR007') {
      this.next.redrive = { taskId, task: { task: t.task, args: t.args, policy: t.policy, at: t.at, lastError: error }, ...before, failedAt: this.nowIso };
    }
  }

  /** Records a child workflow the interpreter started and asks the adapter to start it. */
  startChild(c: StartChildCommand): void {
    const ref: ChildRef = { id: c.childId, workflow: c.workflow, at: c.at, startedAt: this.nowIso, producedBy: this.eventId, input: c.input };
    if (c.detached) ref.detached = true;
    const children = { ...(this.next.children ?? {}), [c.id]: ref };
    this.next.children = boundChildren(children);
    this.commands.push(startChildCommand(this.next.id, c.id, ref));
    this.step({ kind: 'child', line: c.at.line, col: c.at.col, outcome: `started workflow ${c.workflow} as ${c.childId}${c.detached ? ' (detached)' : ''}` });
  }

  /** A child's end (or its failure to start) came back: recorded, and fed to the interpreter unless it was detached. */
  childEnded(handle: string, ref: ChildRef, event: ChildResultEvent): void {
    let failure = event.ok ? undefined : boundFailure(event.failure);
    let result: Value = null;
    if (event.ok) {
      const fits = checkValue(event.result, LIMITS.taskResult, `the result of workflow ${ref.workflow}`);
      if (fits.ok) result = event.result;
      else failure = { status: 'failed', code: fits.code === 'VALUE_TOO_DEEP' ? 'RESULT_TOO_DEEP' : 'RESULT_TOO_LARGE', message: fits.message };
    }
    const status = failure ? failure.status : 'completed';
    const settled: ChildRef = { ...ref, status };
    delete settled.input;
    this.next.children = boundChildren({ ...(this.next.children ?? {}), [handle]: settled });
    const what = ref.detached ? 'detached workflow' : 'workflow';
    this.step({ kind: 'child', line: ref.at.line, col: ref.at.col, outcome: failure ? `${what} ${ref.workflow} (${ref.id}) ${failure.status}: ${failure.code} ${failure.message}` : `${what} ${ref.workflow} (${ref.id}) completed` });
    if (ref.detached) return;
    if (failure) this.feed({ type: 'childFailed', id: handle, failure });
    else this.feed({ type: 'childCompleted', id: handle, result });
  }

  /** Cancels every child still awaited (the instance ends or is cancelled); their ends will be duplicates. */
  cancelChildren(reason: string): void {
    const children = this.next.children;
    if (!children) return;
    let changed = false;
    const out: Record<string, ChildRef> = { ...children };
    for (const [handle, c] of Object.entries(children)) {
      if (c.status !== undefined || c.detached) continue;
      const settled: ChildRef = { ...c, status: 'cancelled' };
      delete settled.input;
      out[handle] = settled;
      changed = true;
      this.commands.push({ type: 'cancelChild', instanceId: this.next.id, childId: c.id, reason });
      this.step({ kind: 'child', line: c.at.line, col: c.at.col, outcome: `cancelling workflow ${c.workflow} (${c.id}): ${reason}` });
    }
    if (changed) this.next.children = boundChildren(out);
  }

  cancelTimer(timerId: string): void {
    if (!Object.hasOwn(this.next.timers, timerId)) return;
    delete this.next.timers[timerId];
    this.commands.push({ type: 'cancelTimer', instanceId: this.next.id, timerId });
  }

  finish(status: 'completed' | 'failed' | 'cancelled', result: Value | undefined, error: WorkflowError | undefined): void {
    const next = this.next;
    next.status = status;
    if (result !== undefined) next.result = result;
    if (error !== undefined) error = { ...error, message: truncateText(String(error.message)) };
    if (error !== undefined) next.error = error;
    for (const timerId of Object.keys(next.timers)) this.cancelTimer(timerId);
    // Attempts still in flight cannot be recalled; their results arrive as duplicates.
    next.tasks = {};
    delete next.cancelling;
    next.finishedBy = this.eventId;
    // children still awaited cannot report to anyone any more: they end with their parent
    this.cancelChildren(`the parent ${next.id} ${status}`);
    this.commands.push(...finishedCommands(next));
    const durationMs = this.nowMs - Date.parse(next.createdAt);
    if (status === 'completed') this.step({ kind: 'complete', outcome: 'completed', durationMs });
    else if (status === 'failed') {
      this.step({ kind: 'fail', line: error?.line, col: error?.col, task: error?.task, outcome: `failed: ${error?.code} ${error?.message}`, durationMs });
    } else this.step({ kind: 'cancel', outcome: `cancelled${error?.message && error.message !== 'cancelled' ? `: ${error.message}` : ''}`, durationMs });
  }

  done(): Applied {
    const next = this.next;
    if (!isFinal(next.status)) next.status = Object.keys(next.tasks).length > 0 ? 'running' : 'waiting';
    if (this.steps.length > 0) {
      const all = next.steps.concat(this.steps);
      next.steps = boundSteps(all.length > STEP_LOG_LIMIT ? all.slice(all.length - STEP_LOG_LIMIT) : all);
    }
    return { instance: next, commands: this.commands, steps: this.steps };
  }
}

/**
 * A task step's duration: what the worker reported the attempt took (the step itself), else the
 * time since the attempt was sent (which also counts waiting in a queue and for a slot). A report
 * comes from outside: it is used only when it is a sane number no larger than that elapsed time.
 */
function attemptDuration(reported: unknown, sinceSent: number): number {
  const elapsed = Math.max(0, sinceSent);
  return typeof reported === 'number' && Number.isFinite(reported) && reported >= 0 ? Math.round(Math.min(reported, elapsed)) : elapsed;
}

/** A child's failure from outside (a message) with its texts cut and its status one of the two. */
function boundFailure(f: ChildFailure): ChildFailure {
  const o = (typeof f === 'object' && f !== null ? f : {}) as Partial<ChildFailure>;
  return {
    status: o.status === 'cancelled' ? 'cancelled' : 'failed',
    code: truncateText(typeof o.code === 'string' ? o.code : 'Error', 64),
    message: truncateText(typeof o.message === 'string' ? o.message : String(o.message)),
  };
}

/** The children map with settled and detached entries beyond CHILDREN_KEPT dropped, oldest first. */
function boundChildren(children: Record<string, ChildRef>): Record<string, ChildRef> {
  const done = Object.entries(children).filter(([, c]) => c.status !== undefined || c.detached);
  if (done.length <= CHILDREN_KEPT) return children;
  const drop = new Set(
    done
      .filter(([, c]) => c.status !== undefined)
      .sort(([, a], [, b]) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0))
      .slice(0, done.length - CHILDREN_KEPT)
      .map(([h]) => h),
  );
  return Object.fromEntries(Object.entries(children).filter(([h]) => !drop.has(h)));
}

/** A task error from outside with its text cut to MAX_ERROR_TEXT (message) and 256 (type). */
function boundTaskError(e: TaskError): TaskError {
  const out: TaskError = { ...e, message: truncateText(typeof e.message === 'string' ? e.message : String(e.message)) };
  if (typeof e.type === 'string') out.type = truncateText(e.type, 256);
  return out;
}

/**
 * The step log cut to STEP_LOG_MAX_BYTES of JSON, dropping the oldest entries; the first kept
 * entry then says how many were dropped (on top of the STEP_LOG_LIMIT count).
 */
export function boundSteps(steps: StepLog[]): StepLog[] {
  let bytes = 0;
  let keep = steps.length;
  for (let k = steps.length - 1; k >= 0; k--) {
    const b = JSON.stringify(steps[k]).length + 1;
    if (bytes + b > STEP_LOG_MAX_BYTES - 256) break;
    bytes += b;
    keep = k;
  }
  if (keep === 0) return steps;
  const kept = steps.slice(keep);
  const marker: StepLog = { at: kept[0]?.at ?? steps[steps.length - 1]!.at, kind: 'start', outcome: `… ${keep} older step${keep === 1 ? '' : 's'} dropped (step log over ${STEP_LOG_MAX_BYTES} bytes)` };
  // an older marker (kind 'start', never a logged line that happens to start with '… ') is replaced
  if (kept.length > 0 && kept[0]!.kind === 'start' && kept[0]!.outcome.startsWith('… ')) kept.shift();
  return [marker, ...kept];
}

function taskFields(taskId: string, t: TaskAttempt): Pick<StepLog, 'task' | 'taskId' | 'attempt' | 'line' | 'col'> {
  return { task: t.task, taskId, attempt: t.attempt, line: t.at.line, col: t.at.col };
}

function sendTaskCommand(instance: Pick<Instance, 'id' | 'secret'>, taskId: string, t: TaskAttempt): DispatchCommand {
  const c: DispatchCommand = { type: 'sendTask', instanceId: instance.id, taskId, task: t.task, args: t.args, attempt: t.attempt, timeoutMs: t.policy.timeoutMs };
  if (instance.secret !== undefined) c.token = attemptToken(instance.secret, taskId, t.attempt);
  return c;
}

const LIMIT_KEYS = [
  'maxSteps',
  'maxStateBytes',
  'maxStringLength',
  'maxArrayLength',
  'maxActivationBytes',
  'maxActivationMs',
  'maxBufferedSignals',
  'maxBufferedSignalBytes',
] as const satisfies readonly (keyof Limits & keyof ExecOptions)[];

/**
 * The interpreter's options for an activation of `instance` (`instance.id` / `startedAt` come from
 * it). The runtime holds large values (MAX_VALUE_BYTES each), so its state may be larger than the
 * interpreter's own default allows.
 */
function execOptions(opts: CoreOptions, instance: Pick<Instance, 'id' | 'createdAt'>): ExecOptions {
  const o: ExecOptions = { now: opts.now, uuid: opts.uuid, instance: { id: instance.id, startedAt: instance.createdAt }, maxStateBytes: MAX_STATE_BYTES };
  for (const k of LIMIT_KEYS) {
    const v = opts.limits?.[k];
    if (v !== undefined) o[k] = v;
  }
  return o;
}

/** Structural equality of JSON values (object key order does not matter). */
export function jsonEqual(a: Value | undefined, b: Value | undefined): boolean {
  // Iterative (no recursion): inputs come from outside and may be nested arbitrarily deep.
  const stack: [Value | undefined, Value | undefined][] = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x)) {
      const yy = y as Value[];
      if (x.length !== yy.length) return false;
      for (let k = 0; k < x.length; k++) stack.push([x[k], yy[k]]);
      continue;
    }
    const xo = x as Record<string, Value>;
    const yo = y as Record<string, Value>;
    const xk = Object.keys(xo);
    if (xk.length !== Object.keys(yo).length) return false;
    for (const k of xk) {
      if (!Object.prototype.hasOwnProperty.call(yo, k)) return false;
      stack.push([xo[k], yo[k]]);
    }
  }
  return true;
}
