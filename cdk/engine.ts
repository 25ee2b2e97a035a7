/**
 * `CurrantEngine`: everything currant needs on AWS, as one construct.
 *
 * Takes a folder of `.workflow` files (checked here, at synth time) and options; gives the table,
 * the event queue (+ DLQ), the step, api and reconcile functions (the last on a schedule), the REST API, and `addTask(name, fn)` which
 * creates a task's queue (+ DLQ) and wires a task function to it.
 *
 *   const engine = new CurrantEngine(stack, 'Engine', { workflows: 'examples' });
 *   const fn = new NodeTasksFunction(stack, 'OrderTasks', { tasksModule: 'examples/order/tasks.ts' });
 *   for (const t of ['chargeCard', 'shipOrder', 'refundOrder']) engine.addTask(t, fn);
 *
 * Synth fails with the rendered diagnostic when a workflow does not check (thrown from the
 * constructor) or calls a task that no `addTask` implements (a validation, so it sees every
 * `addTask` made after the constructor).
 *
 * Construct ids are a contract: they name the physical table and queues. Do not rename them.
 */
import { Annotations, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AuthorizationType, LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, Role, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { CfnSchedule, CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Function as LambdaFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { DeduplicationScope, FifoThroughputLimit, Queue } from 'aws-cdk-lib/aws-sqs';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaFunctionTarget } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { TABLE } from '../adapters/aws/schema.ts';
import { validateInput } from '../runtime/core.ts';
import { InputError } from '../runtime/errors.ts';
import { awsExpression, checkSchedule, SCHEDULED_TIME, type Schedule as WorkflowSchedule } from '../runtime/schedules.ts';
import { compile, declaredPolicy, deploymentOf, diagnostic, formatDuration, hasErrors, programHash, renderDiagnostic, renderDiagnostics, type Program, type Span } from '../dsl/index.ts';
import { engineFunction, fromRoot, projectRoot } from './functions.ts';
import { EngineObservability, type ObservabilityProps } from './observability.ts';
import { grantsFor, type EngineFunction } from './permissions.ts';

/**
 * Memory of the functions that compile workflow sources (step on a cold definition, api on start):
 * the largest source accepted (64 KiB, dsl/parser.ts MAX_SOURCE_LENGTH) peaks at ~700 MB while
 * ohm parses it (`npm run bench`, "Compile"). Task functions keep their own 512 MB default.
 */
export const COMPILING_FUNCTION_MB = 1024;

/** A workflow found in the folder and checked at synth time. */
export interface CheckedWorkflow {
  /** The workflow's name (`workflow processOrder(…)`), which the API starts it by. */
  name: string;
  /** Absolute path. */
  path: string;
  /** Path used in diagnostics (relative to the project root when inside it). */
  file: string;
  source: string;
  hash: string;
  program: Program;
  /** Tasks the workflow calls (or passes to `map`), with the first place each is used. */
  tasks: Map<string, Span>;
}

export interface CurrantEngineProps {
  /**
   * Folder searched recursively for `*.workflow` files: relative to your project (the current
   * directory, where cdk.json is; the repository root when run from currant's sources), or absolute.
   */
  workflows: string;
  /** IAM authorization on every API method (default true). Turn off only for local tests. */
  iamAuth?: boolean;
  /** What happens to the table when the stack is deleted (default RETAIN: it holds your instances). */
  removalPolicy?: RemovalPolicy;
  /** Records per step-function invocation (default 5: small batches keep fan-in conflicts cheap). */
  stepBatchSize?: number;
  /** Task results per step-function invocation from the (FIFO) result queue (default 10, the most FIFO allows). */
  resultBatchSize?: number;
  /** Records per task-function invocation (default 5). */
  taskBatchSize?: number;
  /**
   * Most task-function invocations running at once per task queue (the SQS event source's maximum
   * concurrency, 2–1000). Default: none, Lambda scales out (an emulator may run only a few).
   */
  taskMaxConcurrency?: number;
  /** How many times a message is received before it moves to its DLQ (default 5). */
  maxReceiveCount?: number;
  /** Extra environment for the api and step functions (e.g. `CURRANT_METRICS: '1'`). */
  environment?: Record<string, string>;
  /**
   * How often the reconciler runs (default 1 minute, the least a schedule allows; at most 10
   * minutes): it sends the parked wake-ups of long timers coming due within 14 minutes and repairs
   * lost ones.
   */
  reconcileEvery?: Duration;
  /**
   * How overdue a wake-up must be before the reconciler re-sends it (default 5 minutes: longer than
   * an event's five deliveries at 60 s visibility, so a wake-up still being retried is left alone).
   */
  reconcileGrace?: Duration;
  /**
   * Handler entry points to bundle instead of the engine's own (which are pre-built in the package,
   * or bundled from `functions/api.ts`, `functions/step.ts` in a clone).
   */
  apiEntry?: string;
  stepEntry?: string;
  /**
   * How long values in transit (a task's arguments or result stored aside) are kept in the payload
   * bucket (default 30 days: longer than a message can wait in a queue and then its DLQ).
   */
  payloadTransitDays?: number;
  /**
   * Logs, metrics, alarms and the dashboard (cdk/observability.ts; all on by default), e.g.
   * `{ alarms: { action: new SnsAction(topic) }, dashboard: false }`. The log groups follow
   * `removalPolicy`.
   */
  observability?: ObservabilityProps;
}

/** A schedule's declaration for `addSchedule` (runtime/schedules.ts; the name is the first argument). */
export interface ScheduleOptions {
  /** The workflow's name, as in `workflow nightlyReport(…)`: one of the engine's workflows. */
  workflow: string;
  /** Five-field cron ("0 2 * * *"), evaluated in `timeZone`. Exactly one of `cron` and `rate`. */
  cron?: string;
  /** Every this long, whole minutes ("15m", "1h", "1d"), counted from the schedule's creation. */
  rate?: string;
  /** IANA time zone of `cron` (default "UTC"); EventBridge Scheduler follows its daylight-saving changes. */
  timeZone?: string;
  /** The workflow's input at every firing (default {}), checked against its parameters at synth. */
  input?: Record<string, unknown>;
  /** Shown in the EventBridge console. */
  description?: string;
}

/** The queue pair of one task. */
export interface TaskQueue {
  queue: Queue;
  dlq: Queue;
  fn: IFunction;
}

/** The api function's CURRANT_SCHEDULES (the schedules without inputs) may take this many bytes. */
export const MAX_SCHEDULES_ENV_BYTES = 2048;

/** Inside the bundle: where the api function finds the checked workflow files. */
export const WORKFLOWS_BUNDLE_DIR = 'workflows';

/** Days a task's arguments or result stored aside are kept (the bucket's lifecycle rules). */
export const DEFAULT_PAYLOAD_TRANSIT_DAYS = 30;

export class CurrantEngine extends Construct {
  readonly table: Table;
  /**
   * Values too large for a message or an item (adapters/aws/blobs.ts): `state/` (documents, kept as
   * long as their item points at them), `args/` and `results/` (in transit, expired by lifecycle rules).
   */
  readonly payloads: Bucket;
  readonly eventQueue: Queue;
  readonly eventDlq: Queue;
  /** Where task functions send results: the only queue they may write to. */
  readonly resultQueue: Queue;
  readonly resultDlq: Queue;
  readonly stepFunction: LambdaFunction;
  readonly apiFunction: LambdaFunction;
  /** Runs every `reconcileEvery` (functions/reconcile.ts). */
  readonly reconcileFunction: LambdaFunction;
  readonly reconcileRule: Rule;
  readonly api: RestApi;
  /** Log groups, alarms, dashboard and the engine's metrics (`observability.metric(…)`). */
  readonly observability: EngineObservability;
  readonly workflows: readonly CheckedWorkflow[];
  private readonly taskQueues = new Map<string, TaskQueue>();
  private readonly tasksScope: Construct;
  /** The schedules added so far, and what runs them (made by the first `addSchedule`). */
  private readonly schedules = new Map<string, WorkflowSchedule>();
  private scheduling?: { fn: LambdaFunction; role: Role; group: CfnScheduleGroup; scope: Construct };
  private readonly props: CurrantEngineProps;

  constructor(scope: Construct, id: string, props: CurrantEngineProps) {
    super(scope, id);
    this.props = props;
    this.workflows = loadWorkflows(fromRoot(props.workflows));
    const maxReceiveCount = props.maxReceiveCount ?? 5;

    // --- data ---------------------------------------------------------------------------------
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const gsi of TABLE.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.name,
        partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
        sortKey: { name: gsi.sortKey, type: AttributeType.STRING },
        projectionType: gsi.projection === 'INCLUDE' ? ProjectionType.INCLUDE : ProjectionType.KEYS_ONLY,
        nonKeyAttributes: gsi.projection === 'INCLUDE' ? [...(gsi.include ?? [])] : undefined,
      });
    }

    const transitDays = props.payloadTransitDays ?? DEFAULT_PAYLOAD_TRANSIT_DAYS;
    this.payloads = new Bucket(this, 'Payloads', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        // Arguments are stored again at each attempt, so a long-retried call keeps its copy fresh.
        { id: 'args-in-transit', prefix: 'args/', expiration: Duration.days(transitDays) },
        // Read once by the step function, when the result message is processed.
        { id: 'results-in-transit', prefix: 'results/', expiration: Duration.days(transitDays) },
        // No expiry for state/: the item points at its document as long as the instance exists; a
        // replaced document is deleted by the save that replaces it.
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    // --- events -------------------------------------------------------------------------------
    this.eventDlq = new Queue(this, 'EventDlq', { retentionPeriod: Duration.days(14) });
    this.eventQueue = new Queue(this, 'EventQueue', {
      // At least the step function's timeout (AWS requires it), with room for one slow batch.
      visibilityTimeout: Duration.seconds(60),
      deadLetterQueue: { queue: this.eventDlq, maxReceiveCount },
    });
    // Task results come back on a queue of their own: task functions may send there and nowhere
    // else, so no task can put a wake-up, a timer (or, before, a signal or cancel) on the event
    // queue, which only the engine's functions may write (docs/protocol.md, "Who may send what").
    // FIFO, grouped by instance (the SDKs set MessageGroupId = instanceId): Lambda hands one
    // instance's results to one invocation at a time, in batches the step function applies with one
    // load and one save, so a fan-in of hundreds of results does not contend on the item. High
    // throughput mode (deduplication and limits per group) lets many instances run side by side.
    this.resultDlq = new Queue(this, 'ResultDlq', { fifo: true, retentionPeriod: Duration.days(14) });
    this.resultQueue = new Queue(this, 'ResultQueue', {
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      visibilityTimeout: Duration.seconds(60),
      deadLetterQueue: { queue: this.resultDlq, maxReceiveCount },
    });
    this.tasksScope = new Construct(this, 'Tasks');

    // Before the functions: their log groups and logger/metrics settings come from here.
    this.observability = new EngineObservability(this, 'Observability', { ...props.observability, removalPolicy: props.removalPolicy });

    const taskQueueUrls = Lazy.string({
      produce: () => Stack.of(this).toJsonString(Object.fromEntries([...this.taskQueues].map(([name, t]) => [name, t.queue.queueUrl]))),
    });
    const common = {
      CURRANT_TABLE_NAME: this.table.tableName,
      CURRANT_EVENT_QUEUE_URL: this.eventQueue.queueUrl,
      CURRANT_RESULT_QUEUE_URL: this.resultQueue.queueUrl,
      CURRANT_TASK_QUEUE_URLS: taskQueueUrls,
      CURRANT_PAYLOAD_BUCKET: this.payloads.bucketName,
      ...this.observability.environment,
      ...props.environment,
    };

    // --- step ---------------------------------------------------------------------------------
    // The engine's functions: pre-built in the package, bundled from functions/*.ts from source
    // (with the grammar files the parser reads; see engineFunction in functions.ts).
    this.stepFunction = engineFunction(this, 'Step', {
      handler: 'step',
      entry: props.stepEntry,
      description: 'currant step: advances instances from the event queue',
      timeout: Duration.seconds(30),
      memorySize: COMPILING_FUNCTION_MB,
      // the deployment's workflows too: a child workflow start (functions/children.ts) starts one by name
      environment: { ...common, CURRANT_WORKFLOWS_DIR: WORKFLOWS_BUNDLE_DIR },
      extraFiles: this.workflows.map((w) => ({ from: w.path, to: join(WORKFLOWS_BUNDLE_DIR, basename(w.path)) })),
      logGroup: this.observability.logGroup('Step'),
    });
    this.stepFunction.addEventSource(new SqsEventSource(this.eventQueue, { batchSize: props.stepBatchSize ?? 5, reportBatchItemFailures: true }));
    // Up to 10 (FIFO's maximum) results of one instance per invocation, applied in one save.
    this.stepFunction.addEventSource(new SqsEventSource(this.resultQueue, { batchSize: props.resultBatchSize ?? 10, reportBatchItemFailures: true }));
    this.grant(this.stepFunction, 'step'); // timers are delayed event messages

    // --- api (applies signals and cancels itself: no queue a task can reach carries them) ------
    this.apiFunction = engineFunction(this, 'ApiHandler', {
      handler: 'api',
      entry: props.apiEntry,
      description: 'currant api: start, inspect, list, signal and cancel instances',
      timeout: Duration.seconds(29), // API Gateway's integration limit
      memorySize: COMPILING_FUNCTION_MB,
      environment: { ...common, CURRANT_WORKFLOWS_DIR: WORKFLOWS_BUNDLE_DIR },
      logGroup: this.observability.logGroup('ApiHandler'),
      extraFiles: this.workflows.map((w) => ({ from: w.path, to: join(WORKFLOWS_BUNDLE_DIR, basename(w.path)) })),
    });
    this.grant(this.apiFunction, 'api');

    // --- reconciler: re-sends wake-ups overdue in the byDue index (functions/reconcile.ts) -------
    const reconcileEvery = props.reconcileEvery ?? Duration.minutes(1);
    // The sweep sends parked wake-ups 14 minutes ahead (adapters/aws/wake.ts SWEEP_AHEAD_MS): a run
    // every 10 minutes at most still catches each one in time, with a run to spare.
    if (reconcileEvery.toSeconds() < 60 || reconcileEvery.toSeconds() > 600) {
      throw new Error(`CurrantEngine: reconcileEvery must be between 1 and 10 minutes (it sends long timers' wake-ups 14 minutes ahead), got ${reconcileEvery.toHumanString()}`);
    }
    this.reconcileFunction = engineFunction(this, 'Reconcile', {
      handler: 'reconcile',
      description: 'currant reconciler: sends parked wake-ups coming due, repairs lost ones',
      timeout: Duration.seconds(60),
      environment: {
        ...common,
        CURRANT_RECONCILE_GRACE_SECONDS: String((props.reconcileGrace ?? Duration.minutes(5)).toSeconds()),
      },
      logGroup: this.observability.logGroup('Reconcile'),
    });
    this.grant(this.reconcileFunction, 'reconcile');
    this.reconcileRule = new Rule(this, 'ReconcileSchedule', {
      description: 'currant: run the reconciler',
      schedule: Schedule.rate(reconcileEvery),
      targets: [new LambdaFunctionTarget(this.reconcileFunction, { retryAttempts: 0 })],
    });

    const iamAuth = props.iamAuth ?? true;
    this.api = new RestApi(this, 'Api', {
      description: 'currant: workflow instances',
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: iamAuth ? AuthorizationType.IAM : AuthorizationType.NONE },
    });
    // One proxy route: the api function routes on method + path, so the route table lives in one place.
    const integration = new LambdaIntegration(this.apiFunction);
    this.api.root.addMethod('ANY', integration);
    this.api.root.addProxy({ defaultIntegration: integration, anyMethod: true });

    this.observability.watchEngine({
      step: this.stepFunction,
      api: this.apiFunction,
      reconcile: this.reconcileFunction,
      eventQueue: this.eventQueue,
      eventDlq: this.eventDlq,
      resultQueue: this.resultQueue,
      resultDlq: this.resultDlq,
      workflows: this.workflows.map((w) => w.name),
    });

    this.node.addValidation({ validate: () => this.missingTasks() });
  }

  /**
   * Wires `fn` to the queue of task `name`: the queue (+ DLQ) is created here, `fn` consumes it
   * with partial batch failures and may send results to the result queue. Nothing more is granted.
   */
  addTask(name: string, fn: IFunction): TaskQueue {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`CurrantEngine.addTask: '${name}' is not a task name`);
    if (this.taskQueues.has(name)) throw new Error(`CurrantEngine.addTask: task '${name}' is already implemented`);
    const scope = new Construct(this.tasksScope, name);
    const maxReceiveCount = this.props.maxReceiveCount ?? 5;
    const dlq = new Queue(scope, 'Dlq', { retentionPeriod: Duration.days(14) });
    const timeout = fn instanceof LambdaFunction ? fn.timeout : undefined;
    const queue = new Queue(scope, 'Queue', {
      // AWS requires visibility >= the function timeout; 6x is AWS's advice for SQS-triggered Lambdas.
      visibilityTimeout: Duration.seconds(Math.min(43_200, Math.max(30, 6 * (timeout?.toSeconds() ?? 3)))),
      deadLetterQueue: { queue: dlq, maxReceiveCount },
    });
    fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: this.props.taskBatchSize ?? 5,
        reportBatchItemFailures: true,
        ...(this.props.taskMaxConcurrency !== undefined ? { maxConcurrency: this.props.taskMaxConcurrency } : {}),
      }),
    );
    const t = { queue, dlq, fn };
    this.taskQueues.set(name, t);
    this.observability.watchTask(name, t);
    this.grant(fn, 'task'); // results go to message.replyTo, which is the result queue
    // The engine functions send to every task queue: their grants name each queue as it is added.
    for (const f of this.startingFunctions()) this.grantOn(f, 'sqs:SendMessage', [queue.queueArn]);
    // Lambda's own default is 3 seconds when a function sets no timeout
    if (fn instanceof LambdaFunction) this.warnOnShortTimeout(name, scope, timeout ?? Duration.seconds(3));
    return t;
  }

  /** The functions that run first activations (and later ones), so send to every task queue. */
  private startingFunctions(): LambdaFunction[] {
    return [this.stepFunction, this.apiFunction, ...(this.scheduling ? [this.scheduling.fn] : [])];
  }

  /**
   * Starts `workflow` on a cron or rate schedule: one instance per firing, id `<name>@<firing time>`
   * (a firing delivered twice starts it once). An EventBridge Scheduler schedule (in the engine's
   * schedule group) invokes the `ScheduleHandler` function (functions/schedule.ts) with the
   * declaration and the firing time. Checked here, at synth: the name (unique), the cron or rate,
   * the time zone, and the input against the workflow's parameters; every problem is thrown at once.
   *
   *   engine.addSchedule('nightly-report', { workflow: 'nightlyReport', cron: '0 2 * * *', timeZone: 'Europe/Paris', input: { day: 'yesterday' } });
   *   engine.addSchedule('poll-feeds', { workflow: 'pollFeeds', rate: '15m' });
   */
  addSchedule(name: string, opts: ScheduleOptions): CfnSchedule {
    const { description, ...decl } = opts;
    const checked = checkSchedule({ name, ...decl });
    const problems = checked.ok ? [] : [...checked.problems];
    const wf = this.workflows.find((w) => w.name === opts.workflow);
    if (!wf) problems.push(`schedule '${name}': no workflow '${opts.workflow}' in ${this.props.workflows} (workflows: ${this.workflows.map((w) => w.name).join(', ')})`);
    else if (checked.ok) {
      try {
        validateInput(wf.program, checked.schedule.input);
      } catch (e) {
        problems.push(`schedule '${name}': its input does not fit ${wf.name}: ${e instanceof InputError ? e.problems.join('; ') : (e as Error).message}`);
      }
    }
    if (this.schedules.has(name)) problems.push(`schedule '${name}' is already added`);
    if (problems.length > 0 || !checked.ok) throw new Error(`CurrantEngine.addSchedule: ${problems.join('\n')}`);
    const s = checked.schedule;
    this.schedules.set(name, s);
    const run = this.schedulingResources();
    const target = { schedule: s.name, workflow: s.workflow, ...(s.cron !== undefined ? { cron: s.cron, timeZone: s.timeZone } : { rate: s.rate }), input: s.input, scheduledTime: SCHEDULED_TIME };
    return new CfnSchedule(run.scope, name, {
      name,
      groupName: run.group.ref,
      description: description ?? `currant: start ${s.workflow} ${s.cron !== undefined ? `at ${s.cron} (${s.timeZone})` : `every ${s.rate}`}`,
      scheduleExpression: awsExpression(s),
      ...(s.cron !== undefined ? { scheduleExpressionTimezone: s.timeZone } : {}),
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: run.fn.functionArn,
        roleArn: run.role.roleArn,
        input: JSON.stringify(target),
        // Scheduler's own retries for a failed invocation (a firing is idempotent by its id).
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
      },
    });
  }

  /** The schedules added so far (what `GET /schedules` lists). */
  get scheduleNames(): string[] {
    return [...this.schedules.keys()];
  }

  /** The function the schedules invoke (functions/schedule.ts), once a schedule was added. */
  get scheduleFunction(): LambdaFunction | undefined {
    return this.scheduling?.fn;
  }

  /** The schedule function, its group and the role Scheduler invokes it with: made once, on the first schedule. */
  private schedulingResources(): NonNullable<CurrantEngine['scheduling']> {
    if (this.scheduling) return this.scheduling;
    const scope = new Construct(this, 'Schedules');
    const fn = engineFunction(this, 'ScheduleHandler', {
      handler: 'schedule',
      description: 'currant schedules: starts one instance per schedule firing',
      timeout: Duration.seconds(60),
      memorySize: COMPILING_FUNCTION_MB,
      environment: {
        CURRANT_TABLE_NAME: this.table.tableName,
        CURRANT_EVENT_QUEUE_URL: this.eventQueue.queueUrl,
        CURRANT_RESULT_QUEUE_URL: this.resultQueue.queueUrl,
        CURRANT_TASK_QUEUE_URLS: Lazy.string({ produce: () => Stack.of(this).toJsonString(Object.fromEntries([...this.taskQueues].map(([n, t]) => [n, t.queue.queueUrl]))) }),
        CURRANT_WORKFLOWS_DIR: WORKFLOWS_BUNDLE_DIR,
        CURRANT_PAYLOAD_BUCKET: this.payloads.bucketName,
        ...this.observability.environment,
        ...this.props.environment,
      },
      extraFiles: this.workflows.map((w) => ({ from: w.path, to: join(WORKFLOWS_BUNDLE_DIR, basename(w.path)) })),
      logGroup: this.observability.logGroup('ScheduleHandler'),
    });
    this.observability.watchFunction('Schedule', fn);
    this.grant(fn, 'schedule');
    for (const t of this.taskQueues.values()) this.grantOn(fn, 'sqs:SendMessage', [t.queue.queueArn]);
    // Scheduler assumes this role to invoke the function: that one function, nothing else.
    const role = new Role(this, 'SchedulerRole', { assumedBy: new ServicePrincipal('scheduler.amazonaws.com'), description: 'currant: EventBridge Scheduler invokes the schedule function' });
    this.grantOn(role, 'lambda:InvokeFunction', [fn.functionArn]);
    const group = new CfnScheduleGroup(this, 'ScheduleGroup', {});
    // GET /schedules lists them: the declarations without their inputs (Lambda's environment holds 4 KB in all).
    this.apiFunction.addEnvironment(
      'CURRANT_SCHEDULES',
      Lazy.string({ produce: () => JSON.stringify([...this.schedules.values()].map((s) => ({ name: s.name, workflow: s.workflow, ...(s.cron !== undefined ? { cron: s.cron, timeZone: s.timeZone } : { rate: s.rate }) }))) }),
    );
    this.node.addValidation({
      validate: () => {
        const bytes = JSON.stringify([...this.schedules.values()].map((s) => [s.name, s.workflow, s.cron ?? s.rate, s.timeZone])).length;
        return bytes > MAX_SCHEDULES_ENV_BYTES ? [`currant: ${this.schedules.size} schedules take ${bytes} bytes of the api function's environment (at most ${MAX_SCHEDULES_ENV_BYTES}: Lambda allows 4 KB for all variables)`] : [];
      },
    });
    this.scheduling = { fn, role, group, scope };
    return this.scheduling;
  }

  /**
   * Grants `grantee` exactly the actions cdk/permissions.ts lists for `fn`, on named resources
   * only (task queues are granted as `addTask` creates them).
   */
  private grant(grantee: IGrantable, fn: EngineFunction): void {
    for (const { action, on } of grantsFor(fn)) {
      const arns = on.flatMap((r): string[] => {
        if (r === 'table') return [this.table.tableArn];
        if (r.startsWith('index:')) return [`${this.table.tableArn}/index/${r.slice('index:'.length)}`];
        if (r === 'eventQueue') return [this.eventQueue.queueArn];
        if (r === 'resultQueue') return [this.resultQueue.queueArn];
        if (r.startsWith('payloads:')) return [this.payloads.arnForObjects(`${r.slice('payloads:'.length)}*`)];
        return []; // taskQueues: in addTask
      });
      if (arns.length > 0) this.grantOn(grantee, action, arns);
    }
  }

  private grantOn(grantee: IGrantable, action: string, resourceArns: string[]): void {
    Grant.addToPrincipal({ grantee, actions: [action], resourceArns });
  }

  /** The queues of a task added with `addTask`. */
  taskQueue(name: string): TaskQueue | undefined {
    return this.taskQueues.get(name);
  }

  /** Names of the tasks wired so far. */
  get taskNames(): string[] {
    return [...this.taskQueues.keys()];
  }

  /** Lets `grantee` call the REST API (execute-api:Invoke on every method of the deployed stage). */
  grantInvokeApi(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: [this.api.arnForExecuteApi()] });
  }

  /**
   * A task attempt can run no longer than its Lambda: the task SDK ends it (type `Timeout`) before
   * the Lambda's own limit. Warn at synth when a declaration's policy allows more than that.
   */
  private warnOnShortTimeout(name: string, scope: Construct, timeout: Duration): void {
    const limitMs = timeout.toMilliseconds();
    for (const w of this.workflows) {
      if (!w.tasks.has(name)) continue;
      const policyMs = declaredPolicy(w.program, name).timeoutMs;
      if (policyMs <= limitMs) continue;
      Annotations.of(scope).addWarningV2(
        'currant:taskTimeout',
        `task '${name}' may run ${formatDuration(policyMs)} per attempt in ${w.file}, but its Lambda times out after ${formatDuration(limitMs)}: ` +
          `declare it 'with { timeout: "${formatDuration(limitMs)}" }' or less, or give the function a longer timeout`,
      );
    }
  }

  /** One rendered diagnostic per task a workflow calls that no `addTask` implements. */
  private missingTasks(): string[] {
    const problems: string[] = [];
    for (const w of this.workflows) {
      for (const [task, span] of w.tasks) {
        if (this.taskQueues.has(task)) continue;
        const d = diagnostic('CT005', span, `task '${task}' is called here but no Lambda implements it`, {
          hint: `wire a function with engine.addTask('${task}', fn)`,
        });
        problems.push(`currant: ${w.name} cannot run on AWS\n${renderDiagnostic(d, w.source, w.file)}`);
      }
    }
    return problems;
  }
}

/** Finds, compiles and checks every `.workflow` under `dir`; throws the rendered diagnostics. */
export function loadWorkflows(dir: string): CheckedWorkflow[] {
  const paths = findWorkflowFiles(dir);
  if (paths.length === 0) throw new Error(`CurrantEngine: no .workflow files under ${dir}`);
  const failures: string[] = [];
  const out: CheckedWorkflow[] = [];
  const files = paths.map((path) => {
    const rel = relative(projectRoot(), path);
    return { path, file: rel.startsWith('..') ? path : rel, source: readFileSync(path, 'utf8') };
  });
  // The set is the deployment: child workflow starts are checked against it (CT070, CT071).
  const deployment = deploymentOf(files);
  for (const { path, file, source } of files) {
    const { program, diagnostics } = compile(source, file, { workflows: deployment });
    if (!program || hasErrors(diagnostics)) {
      const errors = diagnostics.filter((d) => d.severity === 'error');
      failures.push(renderDiagnostics(errors, source, file));
      continue;
    }
    out.push({ name: program.workflow.name, path, file, source, hash: programHash(source), program, tasks: usedTasks(program) });
  }
  if (failures.length > 0) throw new Error(`currant: workflows do not check\n\n${failures.join('\n\n')}`);
  const seen = new Map<string, string>();
  for (const w of out) {
    const clash = seen.get(w.name) ?? seen.get(`file:${basename(w.path)}`);
    if (clash) throw new Error(`currant: ${w.file} clashes with ${clash} (workflow names and file names must be unique)`);
    seen.set(w.name, w.file);
    seen.set(`file:${basename(w.path)}`, w.file);
  }
  return out;
}

function findWorkflowFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findWorkflowFiles(p));
    else if (entry.isFile() && entry.name.endsWith('.workflow')) out.push(p);
  }
  return out.sort();
}

/**
 * Declared tasks the workflow body mentions (a call `t(x)` or a reference `xs.map(t)`), each with
 * its first span. A generic walk over the AST: any node field may hold expressions, and a task is
 * only ever named by an `Identifier`.
 */
export function usedTasks(program: Program): Map<string, Span> {
  const declared = new Set(program.tasks.map((t) => t.name));
  const used = new Map<string, Span>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const node = value as { kind?: unknown; name?: unknown; span?: Span };
    if (node.kind === 'Identifier' && typeof node.name === 'string' && declared.has(node.name) && node.span) {
      const prev = used.get(node.name);
      if (!prev || node.span.start < prev.start) used.set(node.name, node.span);
    }
    for (const [key, v] of Object.entries(value)) if (key !== 'span') walk(v);
  };
  walk(program.workflow.body);
  return used;
}
