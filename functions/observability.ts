/**
 * Logs and metrics of the engine's Lambdas, on Powertools for AWS Lambda (TypeScript): one
 * structured JSON line per event, request and workflow `console.log` line (Logger), and CloudWatch
 * metrics as embedded-metric-format (EMF) log lines (Metrics): CloudWatch turns those lines into
 * metrics itself, so a metric costs no API call and no time in the function.
 *
 * Takes the environment the construct sets (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_METRICS_NAMESPACE`,
 * `POWERTOOLS_LOG_LEVEL`, `POWERTOOLS_METRICS_DISABLED`); gives `log`, the counters the handlers
 * call, and `observability()`, the middy middlewares that add the Lambda context to every line and
 * write the invocation's metrics when it ends:
 *
 *   export const handler = middy(stepBatch).use(observability()) …
 *   observeTransition(instance, steps);   // the runtime's onTransition hook (wiring.ts)
 *   // → {"level":"INFO","message":"event applied","timestamp":"…","service":"CurrantExamples",
 *   //    "function_request_id":"…","instanceId":"o1","workflow":"processOrder","event":"n14.s1#1",
 *   //    "eventType":"taskResult","outcome":"applied","status":"running","version":3,"durationMs":21}
 *   // → {"_aws":{"CloudWatchMetrics":[{"Namespace":"currant","Dimensions":[["service","workflow"]],
 *   //    "Metrics":[{"Name":"Awaits","Unit":"Count"},…]}]},"service":"…","workflow":"processOrder","Awaits":1,…}
 *
 * Why tallies rather than `metrics.addMetric` at each event: the records of one batch belong to
 * different workflows and run in parallel, while a Powertools `Metrics` holds one set of
 * dimensions at a time. Counting into a plain map and writing one EMF line per workflow at the
 * end of the invocation keeps each line's dimensions right and the number of lines small.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { StepLog } from '../runtime/index.ts';
import { ENGINE_METRICS, METRIC_NAMESPACE, WORKFLOW_METRICS, type EngineMetric, type WorkflowMetric } from './metric-names.ts';

/** The default service name when the construct sets none (tests, a hand-made deployment). */
export const DEFAULT_SERVICE = 'currant';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE;

/** The engine functions' logger (level: `POWERTOOLS_LOG_LEVEL`, default INFO). */
export const logger = new Logger({
  serviceName,
  // What a reader scans for first comes first; the Lambda context and the rest follow.
  logRecordOrder: ['level', 'message', 'timestamp', 'service', 'instanceId', 'workflow', 'event', 'eventType', 'outcome'],
});

const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRIC_NAMESPACE, serviceName });

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One structured log line: `message` plus `fields` as top-level keys. */
export function log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  logger[level](message, fields);
}

// ---------------------------------------------------------------------------------------------
// Metrics: counted during the invocation, written as EMF lines when it ends
// ---------------------------------------------------------------------------------------------

/** EMF allows 100 values of one metric per line; Powertools publishes (and drops the dimensions) at 100. */
const MAX_VALUES_PER_LINE = 99;

/** What an invocation counted, per workflow and for the engine. */
export class MetricTally {
  private readonly workflows = new Map<string, { counts: Map<WorkflowMetric, number>; durations: number[] }>();
  private readonly engine = new Map<EngineMetric, number>();

  count(workflow: string, name: WorkflowMetric, n = 1): void {
    const counts = this.forWorkflow(workflow).counts;
    counts.set(name, (counts.get(name) ?? 0) + n);
  }

  stepDuration(workflow: string, ms: number): void {
    this.forWorkflow(workflow).durations.push(Math.round(ms * 1000) / 1000);
  }

  countEngine(name: EngineMetric, n = 1): void {
    this.engine.set(name, (this.engine.get(name) ?? 0) + n);
  }

  get empty(): boolean {
    return this.workflows.size === 0 && this.engine.size === 0;
  }

  /** Writes one EMF line per workflow (more when over 99 durations) and one for the engine, then forgets. */
  flush(into: Metrics): void {
    for (const [workflow, t] of this.workflows) {
      let durations = t.durations;
      let counts: Map<WorkflowMetric, number> | undefined = t.counts;
      do {
        into.addDimension('workflow', workflow);
        for (const [name, n] of counts ?? []) into.addMetric(name, MetricUnit.Count, n);
        for (const ms of durations.slice(0, MAX_VALUES_PER_LINE)) into.addMetric(WORKFLOW_METRICS.stepDuration, MetricUnit.Milliseconds, ms);
        if (into.hasStoredMetrics()) into.publishStoredMetrics();
        else into.clearDimensions();
        durations = durations.slice(MAX_VALUES_PER_LINE);
        counts = undefined;
      } while (durations.length > 0);
    }
    if (this.engine.size > 0) {
      for (const [name, n] of this.engine) into.addMetric(name, MetricUnit.Count, n);
      into.publishStoredMetrics();
    }
    this.workflows.clear();
    this.engine.clear();
  }

  private forWorkflow(workflow: string) {
    let t = this.workflows.get(workflow);
    if (!t) this.workflows.set(workflow, (t = { counts: new Map(), durations: [] }));
    return t;
  }
}

/** This process's tally (Lambda runs one invocation at a time per process; the middleware flushes it). */
export const tally = new MetricTally();

/**
 * The runtime's `onTransition` hook: counts what one saved transition did to its instance.
 * A start counts `WorkflowsStarted`; any other transition is one `Awaits`; an ending counts
 * `WorkflowsCompleted` / `WorkflowsFailed` / `WorkflowsCancelled`; a redrive `WorkflowsRedriven`.
 */
export function observeTransition(instance: { workflow: string }, steps: readonly StepLog[], into: MetricTally = tally): void {
  let started = false;
  for (const s of steps) {
    if (s.kind === 'start' && !s.outcome.startsWith('… ')) started = true; // '… ' marks the step log's truncation note
    else if (s.kind === 'complete') into.count(instance.workflow, WORKFLOW_METRICS.completed);
    else if (s.kind === 'fail') into.count(instance.workflow, WORKFLOW_METRICS.failed);
    else if (s.kind === 'cancel') into.count(instance.workflow, WORKFLOW_METRICS.cancelled);
    else if (s.kind === 'redrive') into.count(instance.workflow, WORKFLOW_METRICS.redriven);
  }
  into.count(instance.workflow, started ? WORKFLOW_METRICS.started : WORKFLOW_METRICS.awaits);
}

/** Writes what the invocation counted (a no-op when nothing was). */
export function flushMetrics(into: MetricTally = tally): void {
  if (!into.empty) into.flush(metrics);
}

/**
 * The middlewares every engine handler uses, outermost first: the Lambda context
 * (`function_name`, `function_request_id`, `cold_start`) on every log line of the invocation,
 * and the invocation's metrics written when it ends, failed or not.
 */
export function observability(): MiddlewareObj[] {
  const flush: MiddlewareObj = {
    after: () => flushMetrics(),
    onError: () => flushMetrics(),
  };
  return [injectLambdaContext(logger, { resetKeys: true }), flush];
}

// ---------------------------------------------------------------------------------------------
// The api function's request lines
// ---------------------------------------------------------------------------------------------

/** Characters of a request path kept in the log (the path is the caller's). */
const MAX_LOGGED_PATH = 256;

/**
 * One line per API request, after the answer is made (errors included: register it before the
 * error handler so it runs after it):
 *
 *   {"level":"INFO","message":"request","instanceId":"o1","workflow":"processOrder","event":"start",
 *    "outcome":"ok","method":"POST","path":"/workflows/processOrder/instances","statusCode":201,"status":"running","durationMs":48}
 *
 * `event` is the operation (`op(method, path)`), `outcome` `ok` or the error code of a 4xx/5xx
 * answer; a 5xx counts one `ApiErrors`.
 */
export function requestLog(op: (method: string, path: string) => string): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const started = new WeakMap<object, number>();
  const write = (request: Request<APIGatewayProxyEvent, APIGatewayProxyResult>) => {
    const event = request.event;
    const res = request.response;
    const statusCode = res?.statusCode ?? 500;
    const body = parseObject(res?.body);
    const error = body?.error as { code?: unknown } | undefined;
    const fields: Record<string, unknown> = {
      event: op(event?.httpMethod ?? '', event?.path ?? ''),
      outcome: statusCode < 400 ? 'ok' : typeof error?.code === 'string' ? error.code : `http ${statusCode}`,
      method: event?.httpMethod,
      path: String(event?.path ?? '').slice(0, MAX_LOGGED_PATH),
      statusCode,
      durationMs: Math.round(performance.now() - (started.get(request) ?? performance.now())),
    };
    if (typeof body?.id === 'string') fields.instanceId = body.id;
    if (typeof body?.workflow === 'string') fields.workflow = body.workflow;
    if (typeof body?.status === 'string') fields.status = body.status;
    if (statusCode >= 500) tally.countEngine(ENGINE_METRICS.apiErrors);
    log(statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info', 'request', fields);
  };
  return {
    before: (request) => void started.set(request, performance.now()),
    after: write,
    onError: write,
  };
}

function parseObject(body: string | undefined): Record<string, unknown> | undefined {
  if (!body || body[0] !== '{') return undefined;
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
