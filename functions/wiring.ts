/**
 * Shared wiring of the Lambda handlers: configuration from the environment, the AWS SDK clients
 * (created once per module, reused by every warm invocation), the store, the dispatcher, the
 * program cache, and optional per-record metrics.
 *
 * Takes `process.env` (names in functions/README.md); gives a lazily built `Runtime`:
 *
 *   const rt = runtime();                    // first call builds, later calls reuse
 *   await advance(rt.deps, id, event);       // store + dispatcher + programs + clock
 *
 * Why lazy: the handler modules are imported by unit tests that have no AWS environment; building
 * on first use keeps import side-effect free while a warm Lambda still builds exactly once.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../adapters/aws/blobs.ts';
import { ProgramCache, type AdvanceResult, type RuntimeDeps, type StepLog } from '../runtime/index.ts';
import { DynamoStore } from '../adapters/aws/store.ts';
import { writeUnits } from '../adapters/aws/item.ts';
import { SqsDispatcher } from '../adapters/aws/dispatcher.ts';
import type { WakePort } from '../adapters/aws/wake.ts';
import { log, observeTransition } from './observability.ts';

export { log };

export interface Config {
  table: string;
  eventQueueUrl: string;
  resultQueueUrl: string;
  taskQueueUrls: Record<string, string>;
  /** Count AWS calls and bytes written per record (CURRANT_METRICS=1). */
  metrics: boolean;
  /** How overdue a wake-up must be before the reconciler re-sends it (CURRANT_RECONCILE_GRACE_SECONDS, default 300). */
  reconcileGraceMs: number;
  /** The bucket for values too large for a message or an item (CURRANT_PAYLOAD_BUCKET); unset: every value inline. */
  payloadBucket?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`bad function configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** The reconciler's default grace: longer than an event's five deliveries at 60 s visibility. */
export const DEFAULT_RECONCILE_GRACE_SECONDS = 300;

/** Reads and checks the configuration. Pure: pass the environment in. */
export function readConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const need = (name: string): string => {
    const v = env[name];
    if (!v) problems.push(`${name} is not set`);
    return v ?? '';
  };
  const table = need('CURRANT_TABLE_NAME');
  const eventQueueUrl = need('CURRANT_EVENT_QUEUE_URL');
  const resultQueueUrl = need('CURRANT_RESULT_QUEUE_URL');
  let taskQueueUrls: Record<string, string> = {};
  const raw = env.CURRANT_TASK_QUEUE_URLS;
  if (raw) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
        problems.push('CURRANT_TASK_QUEUE_URLS must be a JSON object of task name → queue URL');
      } else taskQueueUrls = parsed as Record<string, string>;
    } catch {
      problems.push('CURRANT_TASK_QUEUE_URLS is not valid JSON');
    }
  }
  let reconcileGraceMs = DEFAULT_RECONCILE_GRACE_SECONDS * 1000;
  const grace = env.CURRANT_RECONCILE_GRACE_SECONDS;
  if (grace !== undefined && grace !== '') {
    if (!/^\d{1,7}$/.test(grace)) problems.push(`CURRANT_RECONCILE_GRACE_SECONDS must be a whole number of seconds, got '${grace}'`);
    else reconcileGraceMs = Number(grace) * 1000;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config: Config = { table, eventQueueUrl, resultQueueUrl, taskQueueUrls, metrics: env.CURRANT_METRICS === '1', reconcileGraceMs };
  if (env.CURRANT_PAYLOAD_BUCKET) config.payloadBucket = env.CURRANT_PAYLOAD_BUCKET;
  return config;
}

// ---------------------------------------------------------------------------------------------
// Metrics: AWS calls by kind and bytes written, attributed to the record being processed
// ---------------------------------------------------------------------------------------------

export interface Metrics {
  calls: Record<string, number>;
  bytesWritten: number;
  /** DynamoDB write units of the successful writes (one per started KB of each item written). */
  writeUnits: number;
}

/** The metrics of the record whose async context we are in (AsyncLocalStorage keeps parallel records apart). */
export const currentMetrics = new AsyncLocalStorage<Metrics>();

export function newMetrics(): Metrics {
  return { calls: {}, bytesWritten: 0, writeUnits: 0 };
}

/** Adds a middleware that counts each SDK command (`GetItem`, `SendMessage`, …) into the current metrics. */
export function countCalls(client: DynamoDBClient | SQSClient): void {
  // Why the loose types: one middleware for two clients whose stacks are typed per service.
  (client.middlewareStack as { add: (mw: unknown, opts: unknown) => void }).add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const m = currentMetrics.getStore();
      if (m) {
        const kind = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        m.calls[kind] = (m.calls[kind] ?? 0) + 1;
      }
      return next(args);
    },
    { step: 'initialize', name: 'currantCountCalls' },
  );
}

// ---------------------------------------------------------------------------------------------
// The runtime of this process
// ---------------------------------------------------------------------------------------------

export interface Runtime {
  config: Config;
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  store: DynamoStore;
  dispatcher: SqsDispatcher;
  /** Large values (adapters/aws/blobs.ts), when a payload bucket is configured. */
  blobs?: S3BlobStore;
  /** The runtime's dependencies plus the wake-up port and the blob store (functions/step.ts `StepDeps`). */
  deps: RuntimeDeps & { wakes: WakePort; blobs?: S3BlobStore };
}

/** How many times a step reloads and re-applies after a conditional-write conflict before giving the record back to SQS. */
export const MAX_CONFLICT_RETRIES = 10;

/**
 * Builds the runtime of a process. `clock` replaces the system clock everywhere a decision depends
 * on the time (the runtime, the store's park-or-send choice, the dispatcher's delays): the emulator
 * tests and the benchmark skip through a 30-day sleep with it.
 */
export function createRuntime(config: Config, clock: { now: () => Date } = { now: () => new Date() }): Runtime {
  const dynamodb = new DynamoDBClient({});
  const sqs = new SQSClient({});
  const nowMs = () => clock.now().getTime();
  if (config.metrics) {
    countCalls(dynamodb);
    countCalls(sqs);
  }
  let blobs: S3BlobStore | undefined;
  if (config.payloadBucket) {
    // Path-style addressing on an emulator (AWS_ENDPOINT_URL): bucket.host names need DNS it lacks.
    const s3 = new S3Client(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL ? { forcePathStyle: true } : {});
    // Not counted in the metrics: presigning a URL runs a command's middleware without a request,
    // so the counter would take every task message's URLs for S3 calls.
    blobs = new S3BlobStore(s3, config.payloadBucket);
  }
  const store = new DynamoStore(dynamodb, config.table, {
    blobs,
    nowMs,
    onWrite: (_op, bytes) => {
      const m = currentMetrics.getStore();
      if (m) {
        m.bytesWritten += bytes;
        m.writeUnits += writeUnits(bytes);
      }
    },
  });
  const dispatcher = new SqsDispatcher(sqs, { eventQueueUrl: config.eventQueueUrl, resultQueueUrl: config.resultQueueUrl, taskQueueUrls: config.taskQueueUrls, nowMs, blobs });
  const deps: Runtime['deps'] = {
    store,
    dispatcher,
    wakes: { store, sender: dispatcher },
    programs: new ProgramCache(store),
    clock: { now: clock.now, uuid: randomUUID },
    maxConflictRetries: MAX_CONFLICT_RETRIES,
    // Counts starts, awaits and endings per workflow (CloudWatch metrics, functions/observability.ts).
    onTransition: observeTransition,
  };
  if (blobs) deps.blobs = blobs;
  return { config, dynamodb, sqs, store, dispatcher, blobs, deps };
}

let built: Runtime | undefined;

/** The process-wide runtime, built from `process.env` on first use. */
export function runtime(): Runtime {
  built ??= createRuntime(readConfig(process.env));
  return built;
}

/**
 * The workflow's own log lines (`console.log/info/warn/error`, steps of kind `log`) of one
 * transition, written as one structured JSON line each, after the transition was saved:
 *
 *   {"level":"WARN","message":"card expires soon","timestamp":"…","service":"…","instanceId":"o1","workflow":"order","source":"workflow","line":12,"col":3}
 */
export function logWorkflowLines(instance: { id: string; workflow: string }, steps: readonly StepLog[]): void {
  for (const s of steps) {
    if (s.kind !== 'log') continue;
    log(s.level ?? 'info', s.outcome, { source: 'workflow', instanceId: instance.id, workflow: instance.workflow, line: s.line, col: s.col });
  }
}

/** `logWorkflowLines` of an applied transition (a duplicate logs nothing: it changed nothing). */
export function logAdvance(r: AdvanceResult): AdvanceResult {
  if (!r.duplicate) logWorkflowLines(r.instance, r.steps);
  return r;
}
