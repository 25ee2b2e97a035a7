/**
 * The Node/TypeScript task SDK: turns a module of task functions into an SQS Lambda handler that
 * speaks the currant task protocol (`docs/protocol.md`).
 *
 * Takes a module of exported async functions — the same module the embedded engine loads — and
 * gives a middy-wrapped handler for an SQS event source with `ReportBatchItemFailures`:
 *
 *   // tasks.ts
 *   export async function chargeCard(orderId: string, amount: number, ctx: TaskContext) {
 *     return payments.charge({ orderId, amount, idempotencyKey: ctx.idempotencyKey });
 *   }
 *   // lambda.ts
 *   export const handler = createTaskHandler(await import('./tasks.ts'));
 *
 * For each record: parse and validate the task message (`currant.task.v1`), find the task, call it
 * as `fn(...args, ctx)` under the message's `timeoutMs`, and send one result message
 * (`currant.result.v1`) to the message's `replyTo` queue. The layers, each exported:
 *
 *   invokeTask      one call: lookup + timeout + error mapping → TaskOutcome   (core.ts, pure)
 *   runTaskMessage  one message: parse + invokeTask + result message + send    (core.ts, I/O injected)
 *   createTaskHandler  the Lambda handler: runTaskMessage per record + partial batch failures (here)
 *
 * Retries are not done here: a failed attempt is reported (with `retryable`) and the engine
 * decides whether and when to send attempt + 1.
 */
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddyfiedHandler } from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { MAX_MESSAGE_BYTES, runTaskMessage, tasksOf, type BlobTransport, type SendResult, type TaskModule } from './core.ts';

// Everything pure (protocol types, parsing, TaskError, errorInfo, tasksOf, invokeTask,
// runTaskMessage) lives in core.ts, shared with the embedded engine.
export * from './core.ts';

// ---------------------------------------------------------------------------------------------
// The SQS sender and the Lambda handler
// ---------------------------------------------------------------------------------------------

// Created on first use, once per module (= once per Lambda container). The SDK reads the region
// from AWS_REGION and the endpoint from AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL itself.
let sqsClient: SQSClient | undefined;

function createSqsClient(): SQSClient {
  // By default the SQS client sends to the host in the QueueUrl, not to the configured endpoint.
  // On AWS they agree; on an emulator the queue URL's host (often `localhost`) may not be reachable
  // from the task's container, while AWS_ENDPOINT_URL is set on purpose to what is. So when an
  // endpoint is configured, it wins.
  const configured = Boolean(process.env.AWS_ENDPOINT_URL_SQS || process.env.AWS_ENDPOINT_URL);
  return new SQSClient(configured ? { useQueueUrlAsEndpoint: false } : {});
}

/** The default sender: SendMessage to the queue URL. FIFO queues get a group and dedup id. */
export const sqsSend: SendResult = async (queueUrl, message) => {
  sqsClient ??= createSqsClient();
  const fifo = queueUrl.endsWith('.fifo')
    ? {
        MessageGroupId: message.instanceId,
        // One result per attempt: a resend of the same attempt's result is dropped by SQS. The token
        // is part of the id so that a forged result sent first cannot get the real one deduplicated.
        MessageDeduplicationId: createHash('sha256').update(`${message.instanceId}/${message.taskId}#${message.attempt}/${message.token ?? ''}`).digest('hex'),
      }
    : {};
  await sqsClient.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message), ...fifo }));
};

/**
 * Values stored aside, over HTTPS with the presigned URLs a task message carries (no S3 permission
 * and no S3 client needed): GET the arguments, PUT a large result.
 */
export const httpBlobs: BlobTransport = {
  async get(url) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET of the stored arguments answered ${res.status} ${res.statusText}`);
    return res.text();
  },
  async put(url, body) {
    const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
    if (!res.ok) throw new Error(`PUT of the result answered ${res.status} ${res.statusText}`);
  },
};

/**
 * One structured log line: `message` plus top-level fields. A task attempt's line carries the
 * same fields as the engine's lines (`instanceId`, `event`, `outcome`), plus `task`, `taskId`,
 * `attempt`, `durationMs` and, for a failure, `error` (docs/operations.md, "Logs").
 */
export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
  [key: string]: unknown;
}

export interface TaskHandlerOptions {
  /** Where results go. Default: `sqsSend` (the AWS SDK). */
  send?: SendResult;
  /** Log sink. Default: one JSON line per entry on stdout/stderr. */
  log?: (entry: LogEntry) => void;
  /** Time kept free at the end of the invocation to send results, ms. Default 1000. */
  safetyMarginMs?: number;
  /** How values stored aside are read and written. Default: `httpBlobs` (fetch with the message's URLs). */
  blobs?: BlobTransport;
}

const HANDLER_OPTIONS = new Set(['send', 'log', 'safetyMarginMs', 'blobs']);

/** The task name of a message body, for the log line only (validation is parseTaskMessage's). */
function taskNameOf(body: string): string | undefined {
  if (typeof body !== 'string' || body.length > MAX_MESSAGE_BYTES * 4) return undefined; // as parseTaskMessage: not from the engine
  try {
    const task = (JSON.parse(body) as { task?: unknown })?.task;
    return typeof task === 'string' ? task.slice(0, 256) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The default sink: Powertools for AWS Lambda's Logger, the same JSON lines as the engine's
 * functions (`level`, `message`, `timestamp`, `service`, the Lambda context, then the fields).
 * Service name: POWERTOOLS_SERVICE_NAME, else `currant-tasks`. Created on first use, once per
 * module, so importing the SDK writes nothing.
 */
let taskLogger: Logger | undefined;

function powertoolsLogger(): Logger {
  taskLogger ??= new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'currant-tasks',
    logRecordOrder: ['level', 'message', 'timestamp', 'service', 'instanceId', 'task', 'event', 'outcome'],
  });
  return taskLogger;
}

const defaultLog = ({ level, message, ...fields }: LogEntry) => powertoolsLogger()[level](message, fields);

export type TaskHandler = MiddyfiedHandler<SQSEvent, SQSBatchResponse, Error, Context>;

/**
 * Builds the SQS Lambda handler for a module of task functions. The event source mapping must
 * enable `ReportBatchItemFailures`. Records of one batch run concurrently.
 *
 * Per record:
 * - result sent (success, failure, timeout, unknown task, answerable bad message) → acknowledged;
 * - sending the result failed → batch item failure (SQS delivers it again; the task runs again,
 *   which is why tasks get an idempotency key);
 * - malformed and without a reply address → batch item failure, so it ends in the queue's DLQ
 *   where it can be inspected (it can never succeed, so it only costs maxReceiveCount tries).
 */
export function createTaskHandler(tasks: TaskModule, options: TaskHandlerOptions = {}): TaskHandler {
  for (const key of Object.keys(options)) {
    if (!HANDLER_OPTIONS.has(key)) throw new TypeError(`createTaskHandler: unknown option '${key}' (known: ${[...HANDLER_OPTIONS].join(', ')})`);
  }
  if (typeof tasks !== 'object' || tasks === null) throw new TypeError('createTaskHandler: tasks must be a module or an object of functions');
  const registry = tasksOf(tasks);
  if (Object.keys(registry).length === 0) throw new TypeError('createTaskHandler: the tasks module exports no functions');
  const send = options.send ?? sqsSend;
  const log = options.log ?? defaultLog;
  const margin = options.safetyMarginMs ?? 1000;
  const blobs = options.blobs ?? httpBlobs;

  const processRecord = async (record: SQSRecord, latestDeadline: number | undefined): Promise<void> => {
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
    const about = { messageId: record.messageId, receiveCount, event: 'task', task: taskNameOf(record.body) };
    const run = await runTaskMessage(registry, record.body, send, { latestDeadline, blobs }).catch((e: unknown) => {
      log({ level: 'error', message: 'sending the result failed; the message will be delivered again', ...about, outcome: 'send-failed', error: String(e) });
      throw e;
    });
    if (run.outcome === 'rejected') {
      log({ level: 'error', message: 'malformed task message without a reply address; failing it towards the DLQ', ...about, outcome: 'rejected', problems: run.problems });
      throw new Error(`malformed task message: ${run.problems.join('; ')}`);
    }
    const r = run.result;
    log({
      level: r.ok ? 'info' : 'error',
      message: r.ok ? 'task succeeded' : 'task failed',
      instanceId: r.instanceId,
      ...about,
      outcome: r.ok ? 'succeeded' : 'failed',
      taskId: r.taskId,
      attempt: r.attempt,
      durationMs: r.durationMs,
      ...(r.ok ? {} : { error: r.error }),
    });
  };

  const processBatch = async (event: SQSEvent, context: Context) => {
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
    const latestDeadline = remaining === undefined ? undefined : Date.now() + remaining - margin;
    // allSettled, in record order: the shape @middy/sqs-partial-batch-failure turns into batchItemFailures.
    return Promise.allSettled((event.Records ?? []).map((record) => processRecord(record, latestDeadline)));
  };

  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    // The Lambda context (function name, request id, cold start) on every line of the default sink.
    .use(options.log ? [] : [injectLambdaContext(powertoolsLogger(), { resetKeys: true })])
    // The failures were logged above with their context; middy's own logger would repeat them.
    .use(sqsPartialBatchFailure({ logger: () => {} }))
    .handler(processBatch as unknown as (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>);
}
