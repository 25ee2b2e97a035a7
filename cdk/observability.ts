/**
 * The operations part of `CurrantEngine`: log groups for the engine functions, the environment that
 * tells their logger and metrics what to do, CloudWatch alarms (any message in a dead-letter queue,
 * step and api errors, function errors, repaired wake-ups) and a dashboard. The metrics themselves
 * come from the functions as embedded-metric-format log lines (functions/observability.ts): nothing
 * here creates a metric, it graphs and alarms on them.
 *
 * Takes `ObservabilityProps` (each part can be turned off); built in two phases because the log
 * groups must exist before the functions that write to them, and the alarms need the functions and
 * queues:
 *
 *   const obs = new EngineObservability(engine, 'Observability', { alarms: { action: new SnsAction(topic) } });
 *   new CurrantNodeFunction(engine, 'Step', { …, environment: { ...obs.environment }, logGroup: obs.logGroup('Step') });
 *   obs.watchEngine({ step, api, reconcile, eventQueue, eventDlq, resultQueue, resultDlq, workflows });
 *   obs.watchTask('chargeCard', { queue, dlq });   // from addTask
 *
 * Construct ids (`Observability/LogsStep`, `Observability/AlarmEventDlq`, …) are a contract like
 * the engine's: renaming one replaces the resource.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  Metric,
  TextWidget,
  TreatMissingData,
  type IAlarmAction,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENGINE_METRICS, METRIC_NAMESPACE, WORKFLOW_METRICS, type EngineMetric, type WorkflowMetric } from '../functions/metric-names.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface LogsOptions {
  /** How long the engine functions' log groups keep lines (default one month). */
  retention?: RetentionDays;
  /** The lowest level written (default INFO: a line per event and request; WARN keeps only problems). */
  level?: LogLevel;
}

export interface AlarmsOptions {
  /** Added to every alarm (e.g. `new SnsAction(topic)` from aws-cdk-lib/aws-cloudwatch-actions). */
  action?: IAlarmAction;
}

export interface ObservabilityProps {
  /**
   * Default true: each engine function (step, api, reconcile) writes to a log group of its own
   * with `retention`, at `level`. false: Lambda's default log groups (kept forever) and level WARN,
   * so only problems are logged. The lines are JSON either way (docs/operations.md, "Logs").
   */
  logs?: boolean | LogsOptions;
  /**
   * Default true: the functions write metrics as embedded-metric-format lines (CloudWatch makes
   * the metrics; no API call). false: no metric lines (POWERTOOLS_METRICS_DISABLED), and no alarm
   * or graph on them (dead-letter queues and function errors are AWS's own metrics and stay).
   */
  metrics?: boolean;
  /** Default true: the alarms listed in docs/operations.md. false: none. */
  alarms?: boolean | AlarmsOptions;
  /** Default true: one CloudWatch dashboard for the engine. */
  dashboard?: boolean;
  /** The `service` on every log line and metric (default: the stack's name). */
  serviceName?: string;
  /** The metrics' namespace (default `currant`). */
  namespace?: string;
}

/** What `watchEngine` graphs and alarms on. */
export interface EngineParts {
  step: IFunction;
  api: IFunction;
  reconcile: IFunction;
  eventQueue: IQueue;
  eventDlq: IQueue;
  resultQueue: IQueue;
  resultDlq: IQueue;
  /** The deployed workflows' names: one line each in the per-workflow graphs. */
  workflows: readonly string[];
}

/** The engine functions that get a log group (construct ids under `Logs/`). */
export type EngineFunctionId = 'Step' | 'ApiHandler' | 'Reconcile' | 'ScheduleHandler';

const FIVE_MINUTES = Duration.minutes(5);

export class EngineObservability extends Construct {
  readonly serviceName: string;
  readonly namespace: string;
  /** Environment for the engine functions (their logger and metrics read it). */
  readonly environment: Record<string, string>;
  /** Every alarm created so far (dead-letter queue alarms are added with each task). */
  readonly alarms: Alarm[] = [];
  readonly dashboard?: Dashboard;
  readonly logGroups = new Map<EngineFunctionId, LogGroup>();
  private readonly logs: LogsOptions | undefined;
  private readonly metricsOn: boolean;
  private readonly alarmsOn: AlarmsOptions | undefined;
  private readonly removalPolicy: RemovalPolicy;
  private dlqGraph?: GraphWidget;
  private functionsGraph?: GraphWidget;

  constructor(scope: Construct, id: string, props: ObservabilityProps & { removalPolicy?: RemovalPolicy } = {}) {
    super(scope, id);
    this.serviceName = props.serviceName ?? Stack.of(this).stackName;
    this.namespace = props.namespace ?? METRIC_NAMESPACE;
    this.logs = props.logs === false ? undefined : props.logs === true || props.logs === undefined ? {} : props.logs;
    this.metricsOn = props.metrics ?? true;
    this.alarmsOn = props.alarms === false ? undefined : props.alarms === true || props.alarms === undefined ? {} : props.alarms;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (!/^[A-Za-z0-9_.\-/#:]{1,255}$/.test(this.namespace) || this.namespace.startsWith('AWS/')) {
      throw new Error(`CurrantEngine observability: '${this.namespace}' is not a custom CloudWatch namespace`);
    }
    if (this.serviceName.length === 0 || this.serviceName.length > 250) throw new Error('CurrantEngine observability: serviceName must be 1-250 characters');
    this.environment = {
      POWERTOOLS_SERVICE_NAME: this.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: this.namespace,
      POWERTOOLS_LOG_LEVEL: this.logs ? (this.logs.level ?? 'INFO') : 'WARN',
      ...(this.metricsOn ? {} : { POWERTOOLS_METRICS_DISABLED: 'true' }),
    };
    if (props.dashboard ?? true) this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
  }

  /** The log group an engine function writes to (created here on first call), or undefined with `logs: false`. */
  logGroup(fn: EngineFunctionId): ILogGroup | undefined {
    if (!this.logs) return undefined;
    let g = this.logGroups.get(fn);
    if (!g) {
      g = new LogGroup(this, `Logs${fn}`, { retention: this.logs.retention ?? RetentionDays.ONE_MONTH, removalPolicy: this.removalPolicy });
      this.logGroups.set(fn, g);
    }
    return g;
  }

  /** One of the engine's own metrics (for a graph or an alarm of your own), summed over 5 minutes by default. */
  metric(name: EngineMetric, options: { statistic?: string; period?: Duration } = {}): Metric {
    return new Metric({ namespace: this.namespace, metricName: name, dimensionsMap: { service: this.serviceName }, statistic: options.statistic ?? 'Sum', period: options.period ?? FIVE_MINUTES });
  }

  /**
   * A per-workflow metric, e.g. `workflowMetric(WORKFLOW_METRICS.failed, 'processOrder')` to alarm
   * on failures. (No label by default: a labelled metric makes CDK write an alarm in the metric-math
   * form, which some emulators do not deploy.)
   */
  workflowMetric(name: WorkflowMetric, workflow: string, options: { statistic?: string; period?: Duration; label?: string } = {}): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName: name,
      dimensionsMap: { service: this.serviceName, workflow },
      statistic: options.statistic ?? (name === WORKFLOW_METRICS.stepDuration ? 'p99' : 'Sum'),
      period: options.period ?? FIVE_MINUTES,
      label: options.label,
    });
  }

  /** Alarms and dashboard for the engine's functions and queues (call once, after they exist). */
  watchEngine(parts: EngineParts): void {
    this.dlqAlarm('EventDlq', 'the event queue', parts.eventDlq);
    this.dlqAlarm('ResultDlq', 'the result queue', parts.resultDlq);
    if (this.metricsOn) {
      this.alarm('StepErrors', this.metric(ENGINE_METRICS.stepErrors), 'the step function failed on an event (SQS delivers it again; after 5 receives it goes to a DLQ)');
      this.alarm('ApiErrors', this.metric(ENGINE_METRICS.apiErrors), 'the API answered 5xx (a fault: see the api function log)');
      this.alarm('RepairedWakeups', this.metric(ENGINE_METRICS.repairedWakeups), 'the reconciler re-sent a lost wake-up (a message was lost or dead-lettered)');
    }
    const fns: [string, IFunction][] = [
      ['Step', parts.step],
      ['Api', parts.api],
      ['Reconcile', parts.reconcile],
    ];
    if (this.dashboard) this.fillDashboard(this.dashboard, parts);
    for (const [name, fn] of fns) this.watchFunction(name, fn);
  }

  /** An engine function's error alarm and its lines in the functions graph (the schedule function is made with the first schedule). */
  watchFunction(name: string, fn: IFunction): void {
    this.alarm(`${name}FunctionErrors`, fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), `the ${name.toLowerCase()} function failed (a crash, a timeout, out of memory)`);
    this.functionsGraph?.addLeftMetric(fn.metricErrors({ label: `${name} errors`, period: FIVE_MINUTES }));
    this.functionsGraph?.addLeftMetric(fn.metricThrottles({ label: `${name} throttles`, period: FIVE_MINUTES }));
    this.functionsGraph?.addRightMetric(fn.metricDuration({ label: `${name} p99 (ms)`, statistic: 'p99', period: FIVE_MINUTES }));
  }

  /** The DLQ alarm and dashboard line of a task's queue (from `addTask`). */
  watchTask(task: string, q: { queue: IQueue; dlq: IQueue }): void {
    this.dlqAlarm(`TaskDlq${task}`, `task ${task}`, q.dlq);
    this.dlqGraph?.addLeftMetric(dlqDepth(q.dlq, `task ${task}`));
  }

  private dlqAlarm(id: string, what: string, dlq: IQueue): void {
    this.alarm(id, dlqDepth(dlq), `a message is in the dead-letter queue of ${what} (docs/operations.md: inspect and redrive it)`);
  }

  private alarm(id: string, metric: IMetric, description: string): void {
    if (!this.alarmsOn) return;
    const alarm = new Alarm(this, `Alarm${id}`, {
      alarmDescription: `currant ${this.serviceName}: ${description}`,
      metric,
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // No data is good news: EMF metrics and inactive queues report nothing.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (this.alarmsOn.action) alarm.addAlarmAction(this.alarmsOn.action);
    this.alarms.push(alarm);
  }

  private fillDashboard(d: Dashboard, parts: EngineParts): void {
    const perWorkflow = (title: string, names: WorkflowMetric[], width = 6) =>
      new GraphWidget({
        title,
        width,
        left: names.flatMap((name) => parts.workflows.map((w) => this.workflowMetric(name, w, { label: names.length > 1 ? `${w} ${name.replace(/^Workflows/, '').toLowerCase()}` : w }))),
      });
    d.addWidgets(
      new TextWidget({
        markdown: `# currant: ${this.serviceName}\nInstances per workflow (namespace \`${this.namespace}\`), the engine's queues and functions. What each metric means and costs: docs/operations.md.`,
        width: 24,
        height: 2,
      }),
    );
    if (this.metricsOn) {
      d.addWidgets(
        perWorkflow('Started', [WORKFLOW_METRICS.started]),
        perWorkflow('Completed', [WORKFLOW_METRICS.completed]),
        perWorkflow('Failed', [WORKFLOW_METRICS.failed]),
        perWorkflow('Cancelled, redriven', [WORKFLOW_METRICS.cancelled, WORKFLOW_METRICS.redriven]),
      );
      // Write units beside the awaits: their ratio is what a resume costs in DynamoDB writes.
      const awaits = perWorkflow('Awaits (transitions after the start); step write units (right)', [WORKFLOW_METRICS.awaits], 8);
      awaits.addRightMetric(this.metric(ENGINE_METRICS.stepWriteUnits));
      d.addWidgets(
        awaits,
        perWorkflow('Step duration p99 (ms)', [WORKFLOW_METRICS.stepDuration], 8),
        new GraphWidget({
          title: 'Engine problems',
          width: 8,
          left: [ENGINE_METRICS.stepErrors, ENGINE_METRICS.apiErrors, ENGINE_METRICS.refusedMessages, ENGINE_METRICS.repairedWakeups].map((m) => this.metric(m)),
        }),
      );
    }
    this.dlqGraph = new GraphWidget({ title: 'Dead-letter queues (messages)', width: 8, left: [dlqDepth(parts.eventDlq, 'event queue'), dlqDepth(parts.resultDlq, 'result queue')] });
    // Errors and throttles left, duration p99 right: one set per engine function (watchFunction).
    this.functionsGraph = new GraphWidget({ title: 'Engine functions', width: 8 });
    d.addWidgets(
      this.dlqGraph,
      new GraphWidget({
        title: 'Engine queues',
        width: 8,
        left: [parts.eventQueue, parts.resultQueue].map((q, k) => q.metricApproximateNumberOfMessagesVisible({ label: `${k === 0 ? 'event' : 'result'} queue backlog`, period: Duration.minutes(1), statistic: 'Maximum' })),
        right: [parts.eventQueue, parts.resultQueue].map((q, k) => q.metricApproximateAgeOfOldestMessage({ label: `${k === 0 ? 'event' : 'result'} queue oldest (s)`, period: Duration.minutes(1), statistic: 'Maximum' })),
      }),
      this.functionsGraph,
    );
    // The live list: dead-letter queue alarms of tasks added later appear too (read at synth).
    if (this.alarmsOn) d.addWidgets(new AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms }));
  }
}

/** Messages waiting in a dead-letter queue (SQS's own metric, free): the most seen in the period. Labelled for graphs only (see workflowMetric). */
function dlqDepth(dlq: IQueue, label?: string): Metric {
  return dlq.metricApproximateNumberOfMessagesVisible({ label, statistic: 'Maximum', period: Duration.minutes(1) });
}
