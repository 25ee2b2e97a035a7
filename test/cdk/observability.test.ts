/**
 * The engine's operations resources (cdk/observability.ts), asserted by what they do: which log
 * group each engine function writes to and how long it keeps lines, what the functions' logger and
 * metrics are told, which metric each alarm watches and when it fires, what the dashboard graphs,
 * and that each part can be turned off.
 *
 * Bundling is skipped (`aws:cdk:bundling-stacks: []`): these tests are about the template.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Code, Function as LambdaFunction, Runtime, type CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic, type CfnTopic } from 'aws-cdk-lib/aws-sns';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CurrantEngine, type CurrantEngineProps } from '../../cdk/engine.ts';
import { ENGINE_METRICS, WORKFLOW_METRICS } from '../../functions/metric-names.ts';

const dir = mkdtempSync(join(tmpdir(), 'currant-obs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'hello.workflow'),
  `task greet(name: string): string
workflow hello(name: string): string {
  return await greet(name)
}
`,
);
writeFileSync(
  join(dir, 'bye.workflow'),
  `task greet(name: string): string
workflow bye(name: string): string {
  return await greet(name)
}
`,
);

type Observability = CurrantEngineProps['observability'];

/** The engine over `dir` with task greet wired; `observability` may be made from the stack (e.g. a topic in it). */
function build(observability?: Observability | ((stack: Stack) => Observability)) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Ops');
  const props = typeof observability === 'function' ? observability(stack) : observability;
  const engine = new CurrantEngine(stack, 'Engine', { workflows: dir, observability: props });
  // Added after the constructor, as users do: its DLQ must still get an alarm and a dashboard line.
  engine.addTask('greet', new LambdaFunction(stack, 'GreetFn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler=async()=>({})') }));
  const template = Template.fromStack(stack);
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnFunction | CfnQueue);
  return { stack, engine, template, id };
}

let shared: ReturnType<typeof build> | undefined;
const defaults = () => (shared ??= build());

type Resource = { Properties: Record<string, any> };
const alarms = (t: Template) => Object.values(t.findResources('AWS::CloudWatch::Alarm')) as Resource[];
const envOf = (t: Template, fnId: string) => (t.findResources('AWS::Lambda::Function')[fnId] as Resource).Properties.Environment.Variables as Record<string, unknown>;

/** The dashboard body as JSON, with each `{ Ref }` / `{ Fn::GetAtt }` written as `${logicalId}`. */
function dashboardBody(t: Template): any {
  const [d] = Object.values(t.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
  const body = d!.Properties.DashboardBody;
  const parts: unknown[] = typeof body === 'string' ? [body] : body['Fn::Join'][1];
  const text = parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const o = p as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (o.Ref) return o.Ref === 'AWS::Region' ? 'us-east-1' : `\${${o.Ref}}`;
      if (o['Fn::GetAtt']) return `\${${o['Fn::GetAtt'][0]}.${o['Fn::GetAtt'][1]}}`;
      throw new Error(`unexpected part ${JSON.stringify(p)}`);
    })
    .join('');
  return JSON.parse(text);
}

/** Every metric line of every graph widget: [namespace, name, dim, value, …, {options}]. */
function graphedMetrics(body: any): unknown[][] {
  return body.widgets.filter((w: any) => w.type === 'metric' && w.properties.metrics).flatMap((w: any) => w.properties.metrics);
}

describe('CurrantEngine observability', { timeout: 60_000 }, () => {
  it('gives the step, api and reconcile functions a log group each, kept a month by default', () => {
    const { template, engine, id } = defaults();
    const groups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(groups)).toHaveLength(3);
    for (const g of Object.values(groups) as Resource[]) expect(g.Properties.RetentionInDays).toBe(30);
    for (const [fn, name] of [
      [engine.stepFunction, 'Step'],
      [engine.apiFunction, 'ApiHandler'],
      [engine.reconcileFunction, 'Reconcile'],
    ] as const) {
      const group = engine.observability.logGroups.get(name)!;
      expect((template.findResources('AWS::Lambda::Function')[id(fn)] as Resource).Properties.LoggingConfig).toEqual({ LogGroup: { Ref: id(group as never) } });
    }
  });

  it("tells each engine function its service name (the stack's), namespace and log level", () => {
    const { template, engine, id } = defaults();
    for (const fn of [engine.stepFunction, engine.apiFunction, engine.reconcileFunction]) {
      expect(envOf(template, id(fn))).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'Ops', POWERTOOLS_METRICS_NAMESPACE: 'currant', POWERTOOLS_LOG_LEVEL: 'INFO' });
      expect(envOf(template, id(fn))).not.toHaveProperty('POWERTOOLS_METRICS_DISABLED');
    }
  });

  it('alarms on any message in any dead-letter queue: the event, result and every task DLQ, within a minute', () => {
    const { template, engine, id } = defaults();
    const dlqs = [engine.eventDlq, engine.resultDlq, engine.taskQueue('greet')!.dlq].map((q) => id(q));
    const dlqAlarms = alarms(template).filter((a) => a.Properties.Namespace === 'AWS/SQS');
    expect(dlqAlarms.map((a) => a.Properties.Dimensions[0].Value['Fn::GetAtt'][0]).sort()).toEqual([...dlqs].sort());
    for (const a of dlqAlarms) {
      expect(a.Properties).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(a.Properties.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.any(String), 'QueueName'] } }]);
    }
  });

  it("alarms on step errors, api errors and repaired wake-ups (the engine's own metrics), and on errors of its functions", () => {
    const { template, engine, id } = defaults();
    const own = alarms(template).filter((a) => a.Properties.Namespace === 'currant');
    expect(own.map((a) => a.Properties.MetricName).sort()).toEqual([ENGINE_METRICS.apiErrors, ENGINE_METRICS.repairedWakeups, ENGINE_METRICS.stepErrors].sort());
    for (const a of own) {
      expect(a.Properties).toMatchObject({ Statistic: 'Sum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
      expect(a.Properties.Dimensions).toEqual([{ Name: 'service', Value: 'Ops' }]);
    }
    const fnAlarms = alarms(template).filter((a) => a.Properties.Namespace === 'AWS/Lambda');
    expect(fnAlarms.every((a) => a.Properties.MetricName === 'Errors' && a.Properties.Threshold === 1)).toBe(true);
    expect(fnAlarms.map((a) => a.Properties.Dimensions[0].Value.Ref).sort()).toEqual([engine.stepFunction, engine.apiFunction, engine.reconcileFunction].map(id).sort());
    // Single-metric alarms only: no metric math (cheaper to read, and what every emulator deploys).
    expect(alarms(template).every((a) => a.Properties.Metrics === undefined)).toBe(true);
    expect(alarms(template)).toHaveLength(3 + 3 + 3);
  });

  it('sends every alarm to the given action (an SNS topic through aws-cdk-lib/aws-cloudwatch-actions)', () => {
    expect(alarms(defaults().template).every((a) => a.Properties.AlarmActions === undefined)).toBe(true);
    let topic: Topic | undefined;
    const { template, stack } = build((s) => ({ alarms: { action: new SnsAction((topic = new Topic(s, 'OnCall'))) } }));
    const topicRef = { Ref: stack.getLogicalId(topic!.node.defaultChild as CfnTopic) };
    expect(alarms(template).length).toBe(9);
    for (const a of alarms(template)) expect(a.Properties.AlarmActions).toEqual([topicRef]);
  });

  it('draws a dashboard: per-workflow lines for each workflow metric, every DLQ (tasks too), the engine queues and functions, the alarms', () => {
    const { template, engine, id } = defaults();
    const body = dashboardBody(template);
    const metrics = graphedMetrics(body);
    for (const name of Object.values(WORKFLOW_METRICS)) {
      for (const workflow of ['hello', 'bye']) {
        expect(metrics).toContainEqual(['currant', name, 'service', 'Ops', 'workflow', workflow, expect.objectContaining({ label: expect.stringMatching(new RegExp(`^${workflow}( |$)`)) })]);
      }
    }
    const duration = metrics.find((m) => m[1] === WORKFLOW_METRICS.stepDuration)!;
    expect(duration.at(-1)).toMatchObject({ stat: 'p99' });
    for (const name of [ENGINE_METRICS.stepErrors, ENGINE_METRICS.apiErrors, ENGINE_METRICS.refusedMessages, ENGINE_METRICS.repairedWakeups, ENGINE_METRICS.stepWriteUnits]) {
      expect(metrics).toContainEqual(['currant', name, 'service', 'Ops', expect.objectContaining({ stat: 'Sum' })]);
    }
    const dlqLines = metrics.filter((m) => m[1] === 'ApproximateNumberOfMessagesVisible' && String(m[3]).includes('Dlq'));
    expect(dlqLines.map((m) => m[3]).sort()).toEqual([engine.eventDlq, engine.resultDlq, engine.taskQueue('greet')!.dlq].map((q) => `\${${id(q)}.QueueName}`).sort());
    expect(metrics).toContainEqual(['AWS/Lambda', 'Errors', 'FunctionName', `\${${id(engine.stepFunction)}}`, expect.anything()]);
    const alarmWidget = body.widgets.find((w: any) => w.type === 'alarm');
    expect(alarmWidget.properties.alarms).toHaveLength(alarms(template).length);
  });

  it('gives the schedule function (made with the first schedule) the same: log group, settings, error alarm, dashboard lines', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Sched');
    const engine = new CurrantEngine(stack, 'Engine', { workflows: dir });
    engine.addTask('greet', new LambdaFunction(stack, 'GreetFn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler=async()=>({})') }));
    engine.addSchedule('hourly-hello', { workflow: 'hello', rate: '1h', input: { name: 'world' } });
    const t = Template.fromStack(stack);
    const fnId = stack.getLogicalId(engine.scheduleFunction!.node.defaultChild as CfnFunction);
    const fn = t.findResources('AWS::Lambda::Function')[fnId] as Resource;
    const group = engine.observability.logGroups.get('ScheduleHandler')!;
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: stack.getLogicalId(group.node.defaultChild as never) } });
    expect(fn.Properties.Environment.Variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'Sched', POWERTOOLS_LOG_LEVEL: 'INFO' });
    expect(alarms(t).filter((a) => a.Properties.Namespace === 'AWS/Lambda').map((a) => a.Properties.Dimensions[0].Value.Ref)).toContain(fnId);
    expect(graphedMetrics(dashboardBody(t))).toContainEqual(['AWS/Lambda', 'Errors', 'FunctionName', `\${${fnId}}`, expect.objectContaining({ label: 'Schedule errors' })]);
  });

  it('turns each part off', () => {
    const noLogs = build({ logs: false });
    expect(noLogs.template.findResources('AWS::Logs::LogGroup')).toEqual({});
    expect(envOf(noLogs.template, noLogs.id(noLogs.engine.stepFunction))).toMatchObject({ POWERTOOLS_LOG_LEVEL: 'WARN' });
    expect((noLogs.template.findResources('AWS::Lambda::Function')[noLogs.id(noLogs.engine.stepFunction)] as Resource).Properties.LoggingConfig).toBeUndefined();

    const noMetrics = build({ metrics: false });
    expect(envOf(noMetrics.template, noMetrics.id(noMetrics.engine.apiFunction))).toMatchObject({ POWERTOOLS_METRICS_DISABLED: 'true' });
    expect(alarms(noMetrics.template).filter((a) => a.Properties.Namespace === 'currant')).toEqual([]);
    expect(alarms(noMetrics.template).filter((a) => a.Properties.Namespace === 'AWS/SQS')).toHaveLength(3); // AWS's own metrics stay
    expect(graphedMetrics(dashboardBody(noMetrics.template)).filter((m) => m[0] === 'currant')).toEqual([]);

    const noAlarms = build({ alarms: false });
    expect(noAlarms.template.findResources('AWS::CloudWatch::Alarm')).toEqual({});
    expect(dashboardBody(noAlarms.template).widgets.some((w: any) => w.type === 'alarm')).toBe(false);

    const noDashboard = build({ dashboard: false });
    expect(noDashboard.template.findResources('AWS::CloudWatch::Dashboard')).toEqual({});
    expect(alarms(noDashboard.template).length).toBeGreaterThan(0);
  });

  it('takes a service name, a namespace, a retention and a level; refuses an AWS namespace', () => {
    const custom = build({ serviceName: 'orders-prod', namespace: 'acme/workflows', logs: { retention: RetentionDays.ONE_WEEK, level: 'DEBUG' } });
    expect(envOf(custom.template, custom.id(custom.engine.stepFunction))).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'orders-prod',
      POWERTOOLS_METRICS_NAMESPACE: 'acme/workflows',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
    for (const g of Object.values(custom.template.findResources('AWS::Logs::LogGroup')) as Resource[]) expect(g.Properties.RetentionInDays).toBe(7);
    const own = alarms(custom.template).filter((a) => a.Properties.MetricName === ENGINE_METRICS.stepErrors);
    expect(own).toEqual([expect.objectContaining({ Properties: expect.objectContaining({ Namespace: 'acme/workflows', Dimensions: [{ Name: 'service', Value: 'orders-prod' }] }) })]);
    expect(() => build({ namespace: 'AWS/Lambda' })).toThrow(/not a custom CloudWatch namespace/);
  });

  it("lets the user's environment override the engine's logger settings", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Env');
    const engine = new CurrantEngine(stack, 'Engine', { workflows: dir, environment: { POWERTOOLS_LOG_LEVEL: 'ERROR' } });
    engine.addTask('greet', new LambdaFunction(stack, 'GreetFn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler=async()=>({})') }));
    const t = Template.fromStack(stack);
    expect(envOf(t, stack.getLogicalId(engine.stepFunction.node.defaultChild as CfnFunction))).toMatchObject({ POWERTOOLS_LOG_LEVEL: 'ERROR' });
  });
});
