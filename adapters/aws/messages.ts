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
 * Two queues, two kinds of sender (docs/protocol.md, "Who may send what"):
 *   result queue (task functions may send; nothing else is accepted there)
 *     { "protocol": "currant.result.v1", "type": "taskResult", "instanceId", "taskId", "attempt", "token", "ok", "result" | "resultRef" | "error" }
 *   event queue (only the engine's own functions may send)
 *     { "type": "wake",   "instanceId", "wakeId", "at", "repair"? }  (one per instance, see wake.ts)
 *     { "type": "timer",  "instanceId", "timerId", "fireAt" }       (one per timer: items without a wake-up)
 * Signals and cancels never travel on a queue: the api function applies them itself.
 */
import { eventIds, type DispatchCommand, type RuntimeEvent, type TaskError, type Value } from '../../runtime/index.ts';
import { CHILD_MESSAGE_TYPES, childResultEvent, parseChildMessage, type ChildCancelMessage, type ChildMessage, type ChildStartMessage } from './children.ts';

export const TASK_PROTOCOL = 'currant.task.v1';
export const RESULT_PROTOCOL = 'currant.result.v1';

export interface TaskMessage {
  protocol: typeof TASK_PROTOCOL;
  instanceId: string;
  taskId: string;
  task: string;
  /** Absent when `argsRef` is there (arguments too large for the message: payloads.ts). */
  args?: Value[];
  /** Where to GET the arguments' JSON array instead (a presigned URL), and its size. */
  argsRef?: { url: string; bytes: number };
  /** Where to PUT a result too large for the result message (a presigned URL), and its limit. */
  resultUpload?: { url: string; maxBytes: number };
  attempt: number;
  timeoutMs: number;
  replyTo: string;
  /** The attempt's secret (runtime `TaskAttempt.token`): the result must echo it. */
  token?: string;
}

export type ResultMessage = {
  protocol: typeof RESULT_PROTOCOL;
  type: 'taskResult';
  instanceId: string;
  taskId: string;
  attempt: number;
  /** Echo of the task message's `token`. */
  token?: string;
  durationMs?: number;
} & ({ ok: true; result: Value } | { ok: true; resultRef: { bytes: number } } | { ok: false; error: TaskError });

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
  /**
   * Sent by the reconciler for a wake-up overdue in the index (functions/reconcile.ts): the step
   * function also re-sends the instance's outstanding task attempts, as for a redelivered wake-up.
   */
  repair?: true;
}

export type EventMessage = ResultMessage | TimerMessage | WakeMessage | ChildMessage;

/** Messages that are no event for their instance but work for the step function (children.ts). */
export type WorkMessage = WakeMessage | ChildStartMessage | ChildCancelMessage;

/** Which queue a body came from: it decides which message types are accepted. */
export type EventSource = 'results' | 'events';

/** The message types each queue accepts; anything else there is refused (never applied). */
export const ACCEPTED: Readonly<Record<EventSource, readonly string[]>> = {
  results: ['taskResult'],
  events: ['wake', 'timer', ...CHILD_MESSAGE_TYPES],
};

/** The task message of a command; `refs` (payloads.ts `taskRefs`) when the engine stores values aside. */
export function taskMessage(cmd: Extract<DispatchCommand, { type: 'sendTask' }>, replyTo: string, refs: { argsRef?: TaskMessage['argsRef']; resultUpload?: TaskMessage['resultUpload'] } = {}): TaskMessage {
  const m: TaskMessage = {
    protocol: TASK_PROTOCOL,
    instanceId: cmd.instanceId,
    taskId: cmd.taskId,
    task: cmd.task,
    ...(refs.argsRef ? { argsRef: refs.argsRef } : { args: cmd.args }),
    attempt: cmd.attempt,
    timeoutMs: cmd.timeoutMs,
    replyTo,
  };
  if (cmd.token !== undefined) m.token = cmd.token;
  if (refs.resultUpload) m.resultUpload = refs.resultUpload;
  return m;
}

export function timerMessage(cmd: Extract<DispatchCommand, { type: 'scheduleTimer' }>): TimerMessage {
  return { type: 'timer', instanceId: cmd.instanceId, timerId: cmd.timerId, fireAt: cmd.fireAt };
}

export function wakeMessage(instanceId: string, wake: { id: string; at: string }, opts: { repair?: boolean } = {}): WakeMessage {
  const m: WakeMessage = { type: 'wake', instanceId, wakeId: wake.id, at: wake.at };
  if (opts.repair) m.repair = true;
  return m;
}

/** SQS caps a message's delay at 15 minutes: wake-ups due later are parked for the reconciler's sweep (wake.ts). */
export const MAX_DELAY_SECONDS = 900;

/** Whole seconds to delay a timer message due at `fireAt`: 0…900, rounded up so it is never early by rounding. */
export function delaySeconds(fireAt: string, nowMs: number): number {
  const ms = Date.parse(fireAt) - nowMs;
  if (!(ms > 0)) return 0;
  return Math.min(MAX_DELAY_SECONDS, Math.ceil(ms / 1000));
}

/**
 * `ok: false` with `refused`: a well-formed message of a type its queue does not accept (a signal,
 * cancel or wake-up sent by a task, a result on the event queue): dropped and counted, not retried.
 * Without `refused`: malformed, a poison message.
 */
export type ParsedEventMessage =
  /** `resultRef`: the result was stored aside; `event.result` is a placeholder until it is read (payloads.ts `readResult`). */
  | { ok: true; message: Exclude<EventMessage, WorkMessage>; instanceId: string; event: RuntimeEvent; resultRef?: { bytes: number } }
  | { ok: true; message: WorkMessage; instanceId: string; event?: undefined }
  | { ok: false; problems: string[]; refused?: true };

/** Longest token accepted (the engine's are 36-character UUIDs). */
const MAX_TOKEN_CHARS = 128;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isText = (x: unknown): x is string => typeof x === 'string' && x.length > 0;

/**
 * Validates a body from the result queue or the event queue and maps it to the runtime event it
 * stands for. A type the queue does not accept is refused before anything else is read.
 */
export function parseEventMessage(body: string, source: EventSource): ParsedEventMessage {
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
  if (typeof m.type === 'string' && !ACCEPTED[source].includes(m.type) && KNOWN_TYPES.includes(m.type)) {
    const where = source === 'results' ? 'the result queue' : 'the event queue';
    return { ok: false, refused: true, problems: [`a ${m.type} message is not accepted on ${where} (accepted there: ${ACCEPTED[source].join(', ')})`] };
  }
  need(isText(m.instanceId), 'instanceId must be a non-empty string');
  const instanceId = m.instanceId as string;
  switch (m.type) {
    case 'taskResult': {
      need(m.protocol === RESULT_PROTOCOL, `protocol must be "${RESULT_PROTOCOL}"`);
      need(isText(m.taskId), 'taskId must be a non-empty string');
      need(Number.isInteger(m.attempt) && (m.attempt as number) >= 1, 'attempt must be an integer >= 1');
      need(typeof m.ok === 'boolean', 'ok must be a boolean');
      need(m.token === undefined || (typeof m.token === 'string' && m.token.length <= MAX_TOKEN_CHARS), `token must be a string of at most ${MAX_TOKEN_CHARS} characters`);
      if (m.ok === true) need('result' in m || 'resultRef' in m, 'a successful result needs "result" (or "resultRef")');
      if ('resultRef' in m) {
        const ref = m.resultRef;
        need(m.ok === true && !('result' in m) && isObject(ref) && Number.isInteger(ref.bytes) && (ref.bytes as number) >= 0, '"resultRef" must be { "bytes": integer >= 0 }, on a successful result without "result"');
      }
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
        ? { type: 'taskResult', id, taskId: r.taskId, attempt: r.attempt, ok: true, result: 'result' in r ? (r.result ?? null) : null }
        : { type: 'taskResult', id, taskId: r.taskId, attempt: r.attempt, ok: false, error: taskError(r.error) };
      if (r.token !== undefined) event.token = r.token;
      if (typeof r.durationMs === 'number' && Number.isFinite(r.durationMs) && r.durationMs >= 0) event.durationMs = r.durationMs;
      if (r.ok && 'resultRef' in r) return { ok: true, message: r, instanceId, event, resultRef: { bytes: r.resultRef.bytes } };
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
      need(m.repair === undefined || m.repair === true, 'repair must be true when present');
      if (problems.length > 0) return { ok: false, problems };
      const w = wakeMessage(instanceId, { id: m.wakeId as string, at: m.at as string }, { repair: m.repair === true });
      return { ok: true, message: w, instanceId };
    }
    case 'childStart':
    case 'childCancel':
    case 'childResult': {
      if (problems.length > 0) return { ok: false, problems };
      const c = parseChildMessage(m);
      if (!c.ok) return c;
      if (c.message.type === 'childResult') return { ok: true, message: c.message, instanceId, event: childResultEvent(c.message) };
      return { ok: true, message: c.message, instanceId };
    }
    default:
      return { ok: false, problems: [...problems, `unknown message type ${JSON.stringify(m.type)} (expected ${ACCEPTED[source].join(', ')})`] };
  }
}

/** Types some queue accepts, or once did (signals and cancels travelled on the event queue before). */
const KNOWN_TYPES: readonly string[] = ['taskResult', 'wake', 'timer', 'signal', 'cancel', ...CHILD_MESSAGE_TYPES];

/** Only the fields the runtime knows, so a task cannot smuggle others into the instance. */
function taskError(e: TaskError): TaskError {
  const out: TaskError = { message: e.message };
  if (e.type !== undefined) out.type = e.type;
  if (e.retryable !== undefined) out.retryable = e.retryable;
  return out;
}
