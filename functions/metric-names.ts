/**
 * The engine's CloudWatch metric names: the contract between the functions that emit them
 * (functions/observability.ts, as embedded-metric-format log lines) and the construct that graphs
 * and alarms on them (cdk/observability.ts). Pure constants, so `cdk/` can import them without
 * loading the Lambda code.
 *
 *   new Metric({ namespace: METRIC_NAMESPACE, metricName: METRICS.stepErrors, dimensionsMap: { service } })
 *
 * Dimensions: every metric carries `service` (the engine: its stack name unless set); the
 * per-workflow ones carry `workflow` too (a workflow name, which only checked, deployed workflows
 * have — the set is bounded).
 */

/** The default namespace (CurrantEngine `observability.namespace` changes it). */
export const METRIC_NAMESPACE = 'currant';

/** Per workflow (dimensions `service`, `workflow`). */
export const WORKFLOW_METRICS = {
  /** Instances created (a start with an id that exists already does not count). Count. */
  started: 'WorkflowsStarted',
  /** Instances that returned. Count. */
  completed: 'WorkflowsCompleted',
  /** Instances that failed (an uncaught error: a task's permanent failure, a throw, a runtime error). Count. */
  failed: 'WorkflowsFailed',
  /** Instances cancelled through the API. Count. */
  cancelled: 'WorkflowsCancelled',
  /** Failed instances resumed by a redrive. Count. */
  redriven: 'WorkflowsRedriven',
  /**
   * Saved transitions after the start: each one is an instance resuming from an await (a task
   * result, a timer, a signal; a cancel or a redrive too). A batch of task results of one instance
   * applied together is one. Count.
   */
  awaits: 'Awaits',
  /** Time the step function spent on one transition: load, apply, conditional save, send. Milliseconds. */
  stepDuration: 'StepDuration',
} as const;

/** For the whole engine (dimension `service` only). */
export const ENGINE_METRICS = {
  /** Event-queue or result-queue records the step function failed on (SQS delivers them again; after 5, the DLQ). Count. */
  stepErrors: 'StepErrors',
  /** API answers with a 5xx status (faults: details in the api function's log). Count. */
  apiErrors: 'ApiErrors',
  /** Messages refused and dropped (a type the queue does not carry, a task result without its attempt token). Count. */
  refusedMessages: 'RefusedMessages',
  /** Wake-ups the reconciler found overdue. Count. */
  overdueWakeups: 'OverdueWakeups',
  /** Wake-ups the reconciler re-sent (each one a lost message repaired). Count. */
  repairedWakeups: 'RepairedWakeups',
  /**
   * DynamoDB write units of the step function's successful writes (one per started KB of each item
   * written; a batch of results of one instance applied together is one save). Divided by
   * `Awaits`, the writes a resume costs. Count.
   */
  stepWriteUnits: 'StepWriteUnits',
} as const;

export type WorkflowMetric = (typeof WORKFLOW_METRICS)[keyof typeof WORKFLOW_METRICS];
export type EngineMetric = (typeof ENGINE_METRICS)[keyof typeof ENGINE_METRICS];
