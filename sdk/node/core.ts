/**
 * The pure core of the Node task SDK: the task protocol's types and constants, message parsing,
 * the task context, error mapping and the one task runner both runtimes use. No AWS, no middy —
 * the embedded engine (`adapters/embedded/`) imports this file to call tasks exactly as a task
 * Lambda does, so a tasks module behaves the same in both places.
 *
 *   const outcome = await invokeTask(tasksOf(await import('./tasks.ts')),
 *     { instanceId: 'i-1', taskId: 'n3.s1', task: 'chargeCard', args: ['o1', 5], attempt: 1, timeoutMs: 30_000 });
 *   // => { ok: true, result: { success: true, ... }, durationMs: 12 }
 *
 * The layers:
 *
 *   invokeTask      one call: lookup + timeout + error mapping → TaskOutcome   (no I/O, no protocol)
 *   runTaskMessage  one message: parse + invokeTask + result message + send    (I/O injected)
 *
 * `index.ts` adds the SQS sender and the Lambda handler on top and re-exports all of this.
 */

// ---------------------------------------------------------------------------------------------
// Protocol types
// ---------------------------------------------------------------------------------------------

export const TASK_PROTOCOL = 'currant.task.v1';
export const RESULT_PROTOCOL = 'currant.result.v1';
/** Largest SQS message body we send (256 KiB, the limit every SQS and emulator accepts). */
export const MAX_MESSAGE_BYTES = 262_144;
/**
 * A result message larger than this stores its result aside when the task message allows it
 * (`resultUpload`): the rest of the message and SQS's own attributes need the remaining room.
 */
export const INLINE_RESULT_MAX = 240 * 1024;
/** Error messages are cut to this many characters so a huge message cannot overflow the result. */
export const MAX_ERROR_MESSAGE_CHARS = 8_192;

/** Values crossing the protocol are JSON (the workflow language's values). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The body of a message on a task queue. */
export interface TaskMessage {
  protocol: typeof TASK_PROTOCOL;
  instanceId: string;
  /** The await id in the workflow, e.g. `n12.s3`; stable across attempts. */
  taskId: string;
  task: string;
  /** The arguments; absent when they were too large for the message (then `argsRef`). */
  args: JsonValue[];
  /** Where the arguments' JSON array is (a URL to GET), when they were too large for the message. */
  argsRef?: { url: string; bytes: number };
  /** Where to PUT a result too large for the result message (a URL that writes this attempt's result only). */
  resultUpload?: { url: string; maxBytes: number };
  /** 1 for the first attempt, +1 for each retry the engine sends. */
  attempt: number;
  /** Time limit for this attempt. */
  timeoutMs: number;
  /** SQS queue URL the result message goes to. */
  replyTo: string;
  /** The attempt's secret: echoed in the result, without which the engine drops it. */
  token?: string;
}

/** A failure as data. `retryable` absent means true. */
export interface TaskErrorInfo {
  message: string;
  type?: string;
  retryable?: boolean;
}

interface ResultBase {
  protocol: typeof RESULT_PROTOCOL;
  type: 'taskResult';
  instanceId: string;
  taskId: string;
  attempt: number;
  /** The task message's `token`, echoed. */
  token?: string;
  /** Wall time of the attempt in this worker (informational). */
  durationMs?: number;
}
export type ResultMessage =
  | (ResultBase & { ok: true; result: JsonValue })
  /** The result was PUT to the task message's `resultUpload` URL: its JSON has `bytes` bytes. */
  | (ResultBase & { ok: true; resultRef: { bytes: number } })
  | (ResultBase & { ok: false; error: TaskErrorInfo });

/** What a task function receives as its last argument. */
export interface TaskContext {
  instanceId: string;
  taskId: string;
  task: string;
  /** `${instanceId}/${taskId}`: the same for every attempt of this call, unique per call. */
  idempotencyKey: string;
  attempt: number;
  /** Epoch milliseconds after which the attempt counts as timed out. */
  deadline: number;
  /** Aborted when the attempt times out; pass it to fetch() and friends. */
  signal: AbortSignal;
}

// `any[]` on purpose: task modules declare their own parameter types, which must stay assignable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TaskFn = (...args: any[]) => unknown;
/** A module namespace (`await import('./tasks.ts')`) or a plain object of task functions. */
export type TaskModule = { readonly [name: string]: unknown };

/** Sends one result message to a queue URL. Rejects when the message was not accepted. */
export type SendResult = (queueUrl: string, message: ResultMessage) => Promise<void>;

/**
 * Reads and writes values stored aside, by the presigned URLs a task message carries (index.ts
 * gives `httpBlobs`, over fetch). Both reject on failure.
 */
export interface BlobTransport {
  get(url: string): Promise<string>;
  put(url: string, body: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Errors tasks may throw
// ---------------------------------------------------------------------------------------------

/**
 * An error with an explicit type and retry decision:
 *
 *   throw new TaskError('card declined', { type: 'CardDeclined', retryable: false });
 *
 * Any thrown error works; this class only saves setting `name` and `retryable` by hand. An error
 * with `retryable === false` or `nonRetryable === true` is reported as not retryable.
 */
export class TaskError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { type?: string; retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = options.type ?? 'TaskError';
    this.retryable = options.retryable ?? true;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** The fields needed to send a result back; present even when the rest of a message is bad. */
export type ReplyAddress = Pick<TaskMessage, 'instanceId' | 'taskId' | 'attempt' | 'replyTo' | 'token'>;

export type ParsedTaskMessage =
  | { ok: true; message: TaskMessage }
  /** `replyTo` is set when the message says where to report (so the engine can be told). */
  | { ok: false; problems: string[]; replyTo?: ReplyAddress };

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isNonEmptyString = (x: unknown): x is string => typeof x === 'string' && x.length > 0;
const isPositiveInteger = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 1;

/** Nesting levels a value may have (the engine's limit, `runtime/limits.ts`); the engine never sends deeper. */
export const MAX_VALUE_DEPTH = 128;

/** Whether `value` nests deeper than `limit` arrays/objects. Iterative: a hostile body cannot overflow the stack. */
function deeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (depth + 1 > limit) return true;
    for (const y of Array.isArray(x) ? x : Object.values(x)) stack.push([y, depth + 1]);
  }
  return false;
}

/**
 * Validates a task message given as the SQS body string or as an already-parsed object.
 * Unknown extra fields are ignored (newer engines may add some).
 */
export function parseTaskMessage(body: unknown): ParsedTaskMessage {
  let m: unknown = body;
  if (typeof body === 'string') {
    // SQS bodies are at most 256 KiB; anything far past it did not come from the engine.
    if (body.length > MAX_MESSAGE_BYTES * 4) return { ok: false, problems: [`body is over the SQS limit of ${MAX_MESSAGE_BYTES} bytes`] };
    try {
      m = JSON.parse(body);
    } catch (e) {
      return { ok: false, problems: [`body is not JSON: ${(e as Error).message}`] };
    }
  }
  if (!isObject(m)) return { ok: false, problems: ['body is not a JSON object'] };

  const problems: string[] = [];
  const need = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  need(m.protocol === TASK_PROTOCOL, `protocol must be "${TASK_PROTOCOL}", got ${JSON.stringify(m.protocol)}`);
  need(isNonEmptyString(m.instanceId), 'instanceId must be a non-empty string');
  need(isNonEmptyString(m.taskId), 'taskId must be a non-empty string');
  need(isNonEmptyString(m.task), 'task must be a non-empty string');
  const ref = m.argsRef;
  if (ref !== undefined) {
    need(m.args === undefined, 'a message has either args or argsRef, not both');
    need(isObject(ref) && isNonEmptyString(ref.url) && Number.isInteger(ref.bytes) && (ref.bytes as number) >= 0, 'argsRef must be { "url": string, "bytes": integer >= 0 }');
  } else {
    need(Array.isArray(m.args), 'args must be an array');
    need(!Array.isArray(m.args) || !deeperThan(m.args, MAX_VALUE_DEPTH + 1), `args are nested deeper than ${MAX_VALUE_DEPTH} levels`);
  }
  const up = m.resultUpload;
  need(up === undefined || (isObject(up) && isNonEmptyString(up.url) && Number.isInteger(up.maxBytes) && (up.maxBytes as number) > 0), 'resultUpload must be { "url": string, "maxBytes": integer > 0 }');
  need(isPositiveInteger(m.attempt), 'attempt must be an integer >= 1');
  need(
    typeof m.timeoutMs === 'number' && Number.isFinite(m.timeoutMs) && m.timeoutMs > 0,
    'timeoutMs must be a positive number',
  );
  need(isNonEmptyString(m.replyTo), 'replyTo must be a non-empty string (an SQS queue URL)');
  need(m.token === undefined || typeof m.token === 'string', 'token must be a string');
  if (problems.length === 0) return { ok: true, message: m as unknown as TaskMessage };

  const replyable =
    isNonEmptyString(m.instanceId) &&
    isNonEmptyString(m.taskId) &&
    isPositiveInteger(m.attempt) &&
    isNonEmptyString(m.replyTo);
  return replyable
    ? {
        ok: false,
        problems,
        replyTo: {
          instanceId: m.instanceId as string,
          taskId: m.taskId as string,
          attempt: m.attempt as number,
          replyTo: m.replyTo as string,
          ...(typeof m.token === 'string' ? { token: m.token } : {}),
        },
      }
    : { ok: false, problems };
}

// ---------------------------------------------------------------------------------------------
// Invoking one task
// ---------------------------------------------------------------------------------------------

const MAX_TIMER_MS = 2 ** 31 - 1;

export type TaskOutcome =
  | { ok: true; result: JsonValue; durationMs: number }
  /** `timedOut` marks the runner's own timeout, so a caller can tell it from a task that threw `{ type: 'Timeout' }`. */
  | { ok: false; error: TaskErrorInfo; durationMs: number; timedOut?: true };

export interface InvokeRequest {
  instanceId: string;
  taskId: string;
  task: string;
  args: JsonValue[];
  attempt: number;
  timeoutMs: number;
}

export interface InvokeOptions {
  /** Clock in epoch ms (tests). Default `Date.now`. */
  now?: () => number;
  /**
   * Epoch ms no deadline may pass, whatever `timeoutMs` says. The Lambda handler sets it from the
   * remaining invocation time so a task times out (and is reported) before Lambda kills us.
   */
  latestDeadline?: number;
}

/**
 * Runs `tasks[task](...args, ctx)` under the time limit and turns every ending into data: a JSON
 * result, a thrown error, an unknown task, a timeout, or a result that is not JSON. Never rejects.
 *
 * The embedded engine's dispatcher calls this too, so both runtimes call tasks the same way.
 */
export async function invokeTask(tasks: TaskModule, req: InvokeRequest, options: InvokeOptions = {}): Promise<TaskOutcome> {
  const now = options.now ?? Date.now;
  const started = now();
  const elapsed = () => Math.max(0, now() - started);

  const fn = Object.hasOwn(tasks, req.task) ? tasks[req.task] : undefined;
  if (typeof fn !== 'function') {
    return {
      ok: false,
      error: { message: `unknown task '${req.task}' (this worker has: ${taskNames(tasks).join(', ') || 'none'})`, type: 'TaskNotFound', retryable: false },
      durationMs: 0,
    };
  }

  const deadline = Math.min(started + req.timeoutMs, options.latestDeadline ?? Infinity);
  const abort = new AbortController();
  const ctx: TaskContext = {
    instanceId: req.instanceId,
    taskId: req.taskId,
    task: req.task,
    idempotencyKey: `${req.instanceId}/${req.taskId}`,
    attempt: req.attempt,
    deadline,
    signal: abort.signal,
  };

  // `new Promise(resolve => resolve(fn()))` also catches a synchronous throw.
  const running = new Promise<unknown>((resolve) => resolve((fn as TaskFn)(...req.args, ctx)));
  let timer: NodeJS.Timeout | undefined;
  const TIMED_OUT = Symbol('timeout');
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    // setTimeout fires at once for delays over 2^31-1 ms (~24.8 days); no attempt runs that long.
    timer = setTimeout(() => resolve(TIMED_OUT), Math.min(MAX_TIMER_MS, Math.max(0, deadline - started)));
  });

  try {
    const value = await Promise.race([running, timeout]);
    if (value === TIMED_OUT) {
      const limit = Math.max(0, deadline - started);
      abort.abort(timeoutReason(req.task, limit));
      // The task may still settle later; nobody listens, so make sure it is not an unhandled rejection.
      running.catch(() => {});
      return {
        ok: false,
        error: { message: `task '${req.task}' timed out after ${limit} ms`, type: 'Timeout', retryable: true },
        durationMs: elapsed(),
        timedOut: true,
      };
    }
    const json = toJson(value);
    if (!json.ok) {
      return {
        ok: false,
        error: { message: `task '${req.task}' returned a value that is not JSON: ${json.problem}`, type: 'InvalidResult', retryable: false },
        durationMs: elapsed(),
      };
    }
    return { ok: true, result: json.value, durationMs: elapsed() };
  } catch (thrown) {
    return { ok: false, error: errorInfo(thrown), durationMs: elapsed() };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The task functions of a module, by name: its exported functions, plus the functions of a
 * default-exported object (named exports win). The embedded engine's `loadTasksModule` uses it too.
 */
export function tasksOf(mod: TaskModule): Record<string, TaskFn> {
  const out: Record<string, TaskFn> = {};
  const def = mod.default;
  if (def && typeof def === 'object') {
    for (const [k, v] of Object.entries(def as Record<string, unknown>)) if (typeof v === 'function') out[k] = v as TaskFn;
  }
  for (const [k, v] of Object.entries(mod)) if (k !== 'default' && typeof v === 'function') out[k] = v as TaskFn;
  return out;
}

function taskNames(tasks: TaskModule): string[] {
  return Object.keys(tasks).filter((k) => typeof tasks[k] === 'function').sort();
}

function timeoutReason(task: string, ms: number): Error {
  const e = new Error(`task '${task}' timed out after ${ms} ms`);
  e.name = 'TimeoutError';
  return e;
}

/** JSON round trip: `undefined` becomes null, NaN/Infinity become null, BigInt/cycles fail. */
function toJson(value: unknown): { ok: true; value: JsonValue } | { ok: false; problem: string } {
  try {
    const text = JSON.stringify(value === undefined ? null : value);
    // A function or symbol alone stringifies to undefined.
    return { ok: true, value: text === undefined ? null : (JSON.parse(text) as JsonValue) };
  } catch (e) {
    return { ok: false, problem: (e as Error).message };
  }
}

/** Maps anything thrown to `{ message, type, retryable }`: type from `type`, `name` or the class name. */
export function errorInfo(thrown: unknown): TaskErrorInfo {
  if (thrown instanceof Error || (isObject(thrown) && typeof thrown.message === 'string')) {
    const e = thrown as Error & { type?: unknown; retryable?: unknown; nonRetryable?: unknown };
    // A string `type` wins over `name` (the embedded engine's NonRetryableError used to carry one).
    let type = typeof e.type === 'string' && e.type ? e.type : typeof e.name === 'string' && e.name ? e.name : 'Error';
    // `class CardDeclined extends Error {}` keeps name 'Error'; its constructor name is the useful type.
    const ctor = (e as { constructor?: { name?: unknown } }).constructor?.name;
    if (type === 'Error' && typeof ctor === 'string' && ctor && ctor !== 'Error' && ctor !== 'Object') type = ctor;
    const retryable = !(e.retryable === false || e.nonRetryable === true);
    return { message: truncate(String(e.message)), type, retryable };
  }
  return { message: truncate(typeof thrown === 'string' ? thrown : safeString(thrown)), type: 'Error', retryable: true };
}

function safeString(x: unknown): string {
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

function truncate(s: string): string {
  return s.length <= MAX_ERROR_MESSAGE_CHARS ? s : `${s.slice(0, MAX_ERROR_MESSAGE_CHARS)}… (${s.length} chars)`;
}

// ---------------------------------------------------------------------------------------------
// One message
// ---------------------------------------------------------------------------------------------

export type RunOutcome =
  /** A result message was sent to `replyTo` (success, failure, or a bad message we could answer). */
  | { outcome: 'sent'; result: ResultMessage }
  /** The message was malformed and did not say where to reply: nothing was sent. */
  | { outcome: 'rejected'; problems: string[] };

export interface RunOptions extends InvokeOptions {
  /** How to read `argsRef` and write `resultUpload` (index.ts `httpBlobs`); without it such messages fail their attempt. */
  blobs?: BlobTransport;
}

/**
 * Handles one task message end to end: validate, invoke, build the result message, send it.
 * Rejects only when `send` rejects (the caller should let SQS deliver the message again).
 *
 *   await runTaskMessage(tasks, record.body, sqsSend)
 *   // => { outcome: 'sent', result: { protocol: 'currant.result.v1', ok: true, ... } }
 */
export async function runTaskMessage(
  tasks: TaskModule,
  message: unknown,
  send: SendResult,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const parsed = parseTaskMessage(message);
  if (!parsed.ok) {
    if (!parsed.replyTo) return { outcome: 'rejected', problems: parsed.problems };
    // We know who is waiting: tell the engine now instead of letting the attempt time out.
    // Not retryable: the engine would resend the same bad message.
    const result = resultMessage(parsed.replyTo, {
      ok: false,
      error: { message: `malformed task message: ${parsed.problems.join('; ')}`, type: 'BadTaskMessage', retryable: false },
      durationMs: 0,
    });
    await send(parsed.replyTo.replyTo, result);
    return { outcome: 'sent', result };
  }
  const m = parsed.message;
  const fetched = m.argsRef ? await fetchArgs(m, options.blobs) : { ok: true as const, args: m.args };
  if (!fetched.ok) {
    const result = resultMessage(m, { ok: false, error: fetched.error, durationMs: 0 });
    await send(m.replyTo, result);
    return { outcome: 'sent', result };
  }
  const outcome = await invokeTask(tasks, { ...m, args: fetched.args }, options);
  const result = await fitResult(resultMessage(m, outcome), m, options.blobs);
  await send(m.replyTo, result);
  return { outcome: 'sent', result };
}

/**
 * The arguments a message names by reference: fetched with its URL, checked like inline ones. A
 * fetch that fails is a retryable failure (the next attempt brings a fresh URL); arguments that are
 * not a JSON array, or nest too deep, are a `BadTaskMessage`.
 */
async function fetchArgs(m: TaskMessage, blobs: BlobTransport | undefined): Promise<{ ok: true; args: JsonValue[] } | { ok: false; error: TaskErrorInfo }> {
  if (!blobs) return { ok: false, error: { message: 'the arguments were stored aside (argsRef) and this worker cannot fetch them', type: 'ArgsUnavailable', retryable: false } };
  let text: string;
  try {
    text = await blobs.get(m.argsRef!.url);
  } catch (e) {
    return { ok: false, error: { message: `could not fetch the arguments: ${truncate(String((e as Error)?.message ?? e))}`, type: 'ArgsUnavailable', retryable: true } };
  }
  let args: unknown;
  try {
    args = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: { message: `the stored arguments are not JSON: ${(e as Error).message}`, type: 'BadTaskMessage', retryable: false } };
  }
  if (!Array.isArray(args) || deeperThan(args, MAX_VALUE_DEPTH + 1)) {
    return { ok: false, error: { message: `the stored arguments must be an array nested at most ${MAX_VALUE_DEPTH} levels`, type: 'BadTaskMessage', retryable: false } };
  }
  return { ok: true, args: args as JsonValue[] };
}

function resultMessage(to: ReplyAddress, outcome: TaskOutcome): ResultMessage {
  const base: ResultBase = {
    protocol: RESULT_PROTOCOL,
    type: 'taskResult',
    instanceId: to.instanceId,
    taskId: to.taskId,
    attempt: to.attempt,
    durationMs: outcome.durationMs,
  };
  if (to.token !== undefined) base.token = to.token;
  return outcome.ok ? { ...base, ok: true, result: outcome.result } : { ...base, ok: false, error: outcome.error };
}

/**
 * A result message too large for SQS: its result goes to the task message's `resultUpload` URL and
 * the message says `resultRef` instead (docs/protocol.md, "Large values"). Past that URL's
 * `maxBytes`, or with no URL (an engine without a blob store), it becomes a non-retryable
 * `ResultTooLarge` failure: a resend could never fit either. A failed upload is a retryable
 * `ResultUploadFailed` (the next attempt brings a fresh URL).
 */
async function fitResult(result: ResultMessage, m: Pick<TaskMessage, 'task' | 'resultUpload'>, blobs: BlobTransport | undefined): Promise<ResultMessage> {
  const bytes = Buffer.byteLength(JSON.stringify(result), 'utf8');
  if (bytes <= INLINE_RESULT_MAX) return result;
  const { protocol, type, instanceId, taskId, attempt, token, durationMs } = result;
  const base = { protocol, type, instanceId, taskId, attempt, durationMs, ...(token !== undefined ? { token } : {}) };
  const failed = (error: TaskErrorInfo): ResultMessage => ({ ...base, ok: false, error });
  if (result.ok && 'result' in result && m.resultUpload && blobs) {
    const json = JSON.stringify(result.result);
    const size = Buffer.byteLength(json, 'utf8');
    if (size > m.resultUpload.maxBytes) {
      return failed({ message: `the result of task '${m.task}' takes ${size} bytes of JSON, over the engine's limit of ${m.resultUpload.maxBytes}`, type: 'ResultTooLarge', retryable: false });
    }
    try {
      await blobs.put(m.resultUpload.url, json);
    } catch (e) {
      return failed({ message: `could not store the result of task '${m.task}': ${truncate(String((e as Error)?.message ?? e))}`, type: 'ResultUploadFailed', retryable: true });
    }
    return { ...base, ok: true, resultRef: { bytes: size } };
  }
  return failed({
    message: `the result message of task '${m.task}' is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit; store large data elsewhere and return a reference`,
    type: 'ResultTooLarge',
    retryable: false,
  });
}
