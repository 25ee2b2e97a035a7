/**
 * The engine's side of the message protocol (docs/protocol.md): the task message it sends, and the
 * event-queue messages it receives, turned into `RuntimeEvent`s. Pure.
 *
 * Takes commands or SQS bodies, gives message objects or `{ instanceId, event }`:
 *
 *   taskMessage(cmd, replyTo)  // => { protocol: 'currant.task.v1', instanceId, taskId, task, args, attempt, timeoutMs, replyTo }
 *   parseEventMessage('{"type":"timer","instanceId":"o1","timerId":"n5.s2","fireAt":"…"}')
 *   // => { ok: true, message: { type: 'timer', … }, instanceId: 'o1',
 *   //      event: { type: 'timerFired', id: 'timer:n5.s2', timerId: 'n5.s2' } }
 *
 * Event queue messages:
 *   { "protocol": "currant.result.v1", "type": "taskResult", "instanceId", "taskId", "attempt", "ok", "result" | "error" }
 *   { "type": "wake",   "instanceId", "wakeId", "at" }          (one per instance, see wake.ts)
 *   { "type": "timer",  "instanceId", "timerId", "fireAt" }       (one per timer: items without a wake-up)
 *   { "type": "signal", "instanceId", "name", "payload", "signalId" }
 *   { "type": "cancel", "instanceId", "reason"? }
 */
import { eventIds, type DispatchCommand, type RuntimeEvent, type TaskError, type Value } from '../../runtime/index.ts';

export const TASK_PROTOCOL = 'currant.task.v1';
export const RESULT_PROTOCOL = 'currant.result.v1';

export interface TaskMessage {
  protocol: typeof TASK_PROTOCOL;
  instanceId: string;
  taskId: string;
  task: string;
  args: Value[];
  attempt: number;
  timeoutMs: number;
  replyTo: string;
}

export type ResultMessage = {
  protocol: typeof RESULT_PROTOCOL;
  type: 'taskResult';
  instanceId: string;
  taskId: string;
  attempt: number;
  durationMs?: number;
} & ({ ok: true; result: Value } | { ok: false; error: TaskError });

export interface TimerMessage {
  type: 'timer';
  instanceId: string;
  timerId: string;
  fireAt: string;
}

/** The instance's wake-up (wake.ts): fire the due timers, re-arm for the next one. */
export interface WakeMessage {
  type: 'wake';
  instanceId: string;
  wakeId: string;
  at: string;
}

export interface SignalMessage {
  type: 'signal';
  instanceId: string;
  name: string;
  payload: Value;
  signalId: string;
}

export interface CancelMessage {
  type: 'cancel';
  instanceId: string;
  reason?: string;
}

export type EventMessage = ResultMessage | TimerMessage | WakeMessage | SignalMessage | CancelMessage;

export function taskMessage(cmd: Extract<DispatchCommand, { type: 'sendTask' }>, replyTo: string): TaskMessage {
  return {
    protocol: TASK_PROTOCOL,
    instanceId: cmd.instanceId,
    taskId: cmd.taskId,
    task: cmd.task,
    args: cmd.args,
    attempt: cmd.attempt,
    timeoutMs: cmd.timeoutMs,
    replyTo,
  };
}

export function timerMessage(cmd: Extract<DispatchCommand, { type: 'scheduleTimer' }>): TimerMessage {
  return { type: 'timer', instanceId: cmd.instanceId, timerId: cmd.timerId, fireAt: cmd.fireAt };
}

export function wakeMessage(instanceId: string, wake: { id: string; at: string }): WakeMessage {
  return { type: 'wake', instanceId, wakeId: wake.id, at: wake.at };
}

/** SQS caps a message's delay at 15 minutes; longer timers are re-sent until due (step.ts). */
export const MAX_DELAY_SECONDS = 900;

/** Whole seconds to delay a timer message due at `fireAt`: 0…900, rounded up so it is never early by rounding. */
export function delaySeconds(fireAt: string, nowMs: number): number {
  const ms = Date.parse(fireAt) - nowMs;
  if (!(ms > 0)) return 0;
  return Math.min(MAX_DELAY_SECONDS, Math.ceil(ms / 1000));
}

export type ParsedEventMessage =
  | { ok: true; message: Exclude<EventMessage, WakeMessage>; instanceId: string; event: RuntimeEvent }
  | { ok: true; message: WakeMessage; instanceId: string; event?: undefined }
  | { ok: false; problems: string[] };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isText = (x: unknown): x is string => typeof x === 'string' && x.length > 0;

/** Validates an event-queue body and maps it to the runtime event it stands for. */
export function parseEventMessage(body: string): ParsedEventMessage {
  let m: unknown;
  try {
    m = JSON.parse(body);
  } catch (e) {
    return { ok: false, problems: [`body is not JSON: ${(e as Error).message}`] };
  }
  if (!isObject(m)) return { ok: false, problems: ['body is not a JSON object'] };
  const problems: string[] = [];
  const need = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  need(isText(m.instanceId), 'instanceId must be a non-empty string');
  const instanceId = m.instanceId as string;
  switch (m.type) {
    case 'taskResult': {
      need(m.protocol === RESULT_PROTOCOL, `protocol must be "${RESULT_PROTOCOL}"`);
      need(isText(m.taskId), 'taskId must be a non-empty string');
      need(Number.isInteger(m.attempt) && (m.attempt as number) >= 1, 'attempt must be an integer >= 1');
      need(typeof m.ok === 'boolean', 'ok must be a boolean');
      if (m.ok === true) need('result' in m, 'a successful result needs "result"');
      if (m.ok === false) {
        const err = m.error;
        need(isObject(err) && typeof err.message === 'string', 'a failed result needs "error": { "message": string }');
        if (isObject(err)) {
          need(err.type === undefined || typeof err.type === 'string', 'error.type must be a string');
          need(err.retryable === undefined || typeof err.retryable === 'boolean', 'error.retryable must be a boolean');
        }
      }
      if (problems.length > 0) return { ok: false, problems };
      const r = m as unknown as ResultMessage;
      const id = eventIds.taskResult(r.taskId, r.attempt);
      const event: RuntimeEvent = r.ok
        ? { type: 'taskResult', id, taskId: r.taskId, attempt: r.attempt, ok: true, result: r.result ?? null }
        : { type: 'taskResult', id, taskId: r.taskId, attempt: r.attempt, ok: false, error: taskError(r.error) };
      return { ok: true, message: r, instanceId, event };
    }
    case 'timer': {
      need(isText(m.timerId), 'timerId must be a non-empty string');
      need(typeof m.fireAt === 'string' && !Number.isNaN(Date.parse(m.fireAt)), 'fireAt must be an ISO time');
      if (problems.length > 0) return { ok: false, problems };
      const t = m as unknown as TimerMessage;
      return { ok: true, message: t, instanceId, event: { type: 'timerFired', id: eventIds.timer(t.timerId), timerId: t.timerId } };
    }
    case 'wake': {
      need(isText(m.wakeId), 'wakeId must be a non-empty string');
      need(typeof m.at === 'string' && !Number.isNaN(Date.parse(m.at)), 'at must be an ISO time');
      if (problems.length > 0) return { ok: false, problems };
      return { ok: true, message: m as unknown as WakeMessage, instanceId };
    }
    case 'signal': {
      need(isText(m.name), 'name must be a non-empty string');
      need(isText(m.signalId), 'signalId must be a non-empty string');
      if (problems.length > 0) return { ok: false, problems };
      const s = m as unknown as SignalMessage;
      const payload = s.payload === undefined ? null : s.payload;
      return { ok: true, message: { ...s, payload }, instanceId, event: { type: 'signal', id: s.signalId, name: s.name, payload } };
    }
    case 'cancel': {
      need(m.reason === undefined || typeof m.reason === 'string', 'reason must be a string');
      if (problems.length > 0) return { ok: false, problems };
      const c = m as unknown as CancelMessage;
      const event: RuntimeEvent = { type: 'cancel', id: 'cancel' };
      if (c.reason !== undefined) event.reason = c.reason;
      return { ok: true, message: c, instanceId, event };
    }
    default:
      return { ok: false, problems: [...problems, `unknown message type ${JSON.stringify(m.type)} (expected taskResult, wake, timer, signal or cancel)`] };
  }
}

/** Only the fields the runtime knows, so a task cannot smuggle others into the instance. */
function taskError(e: TaskError): TaskError {
  const out: TaskError = { message: e.message };
  if (e.type !== undefined) out.type = e.type;
  if (e.retryable !== undefined) out.retryable = e.retryable;
  return out;
}
