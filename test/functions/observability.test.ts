// Logs and metrics of the engine functions (functions/observability.ts): what one transition
// counts, the embedded-metric-format lines an invocation writes, and the log lines of the api and
// step handlers through their middy stacks (no AWS: records that never reach the store, and the
// api over the in-memory store).
import { Metrics } from '@aws-lambda-powertools/metrics';
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { createApiHandler, type ApiServices } from '../../functions/api.ts';
import { ENGINE_METRICS, WORKFLOW_METRICS } from '../../functions/metric-names.ts';
import { flushMetrics, MetricTally, observeTransition } from '../../functions/observability.ts';
import { indexWorkflows } from '../../functions/workflows.ts';
import { advance, attemptToken, MemoryStore, ProgramCache, RecordingDispatcher, type StepLog, type Value } from '../../runtime/index.ts';
import { captureLogs } from '../capture-logs.ts';

const step = (kind: StepLog['kind'], outcome = 'x'): StepLog => ({ at: '2026-01-01T00:00:00.000Z', kind, outcome });

interface Emf {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}
const emfLines = (lines: Record<string, unknown>[]) => lines.filter((l): l is Emf => typeof l._aws === 'object');

/** Writes (and drops) whatever this process counted before (the unit project shares modules between files). */
function discardPendingMetrics(): void {
  const out = captureLogs();
  flushMetrics();
  out.restore();
}

describe('observeTransition: what one saved transition counts, per workflow', () => {
  it('a start counts WorkflowsStarted, every later transition one Awaits, endings and redrives their own', () => {
    const t = new MetricTally();
    observeTransition({ workflow: 'order' }, [step('start', 'started order'), step('task')], t);
    observeTransition({ workflow: 'order' }, [step('task')], t);
    observeTransition({ workflow: 'order' }, [step('task'), step('complete')], t);
    observeTransition({ workflow: 'order' }, [step('start', 'started order'), step('fail')], t); // fails at once
    observeTransition({ workflow: 'approval' }, [step('redrive')], t);
    observeTransition({ workflow: 'approval' }, [step('cancel')], t);
    // The step log's truncation note is a 'start' step starting with '… ': not a start.
    observeTransition({ workflow: 'approval' }, [step('start', '… 3 older steps dropped (step log over 65536 bytes)'), step('timer')], t);
    const out = captureLogs();
    t.flush(new Metrics({ namespace: 'test', serviceName: 'svc' }));
    out.restore();
    const byWorkflow = Object.fromEntries(emfLines(out.lines()).map((l) => [l.workflow, l]));
    expect(byWorkflow.order).toMatchObject({ WorkflowsStarted: 2, Awaits: 2, WorkflowsCompleted: 1, WorkflowsFailed: 1, service: 'svc' });
    expect(byWorkflow.approval).toMatchObject({ WorkflowsRedriven: 1, WorkflowsCancelled: 1, Awaits: 3 });
    expect(byWorkflow.approval).not.toHaveProperty('WorkflowsStarted');
  });
});

describe('MetricTally.flush: embedded metric format lines', () => {
  it('one line per workflow with dimensions service + workflow, one for the engine with service only', () => {
    const t = new MetricTally();
    t.count('order', WORKFLOW_METRICS.awaits, 3);
    t.stepDuration('order', 12.5);
    t.stepDuration('order', 40);
    t.count('approval', WORKFLOW_METRICS.started);
    t.countEngine(ENGINE_METRICS.stepErrors, 2);
    t.countEngine(ENGINE_METRICS.refusedMessages);
    const out = captureLogs();
    t.flush(new Metrics({ namespace: 'currant-test', serviceName: 'MyStack' }));
    t.flush(new Metrics({ namespace: 'currant-test', serviceName: 'MyStack' })); // emptied: writes nothing more
    out.restore();
    const lines = emfLines(out.lines());
    expect(lines).toHaveLength(3);
    const [order, approval, engine] = lines as [Emf, Emf, Emf];
    expect(order._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'currant-test', Dimensions: [['service', 'workflow']] });
    expect(order._aws.CloudWatchMetrics[0]!.Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'Awaits', Unit: 'Count' },
        { Name: 'StepDuration', Unit: 'Milliseconds' },
      ]),
    );
    expect(order).toMatchObject({ service: 'MyStack', workflow: 'order', Awaits: 3, StepDuration: [12.5, 40] });
    expect(approval).toMatchObject({ workflow: 'approval', WorkflowsStarted: 1 });
    expect(engine._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service']]);
    expect(engine).toMatchObject({ StepErrors: 2, RefusedMessages: 1 });
    expect(engine).not.toHaveProperty('workflow');
  });

  it('more than 99 durations of one workflow go out in several lines, each with its workflow', () => {
    const t = new MetricTally();
    for (let k = 0; k < 250; k++) t.stepDuration('fanin', k);
    t.count('fanin', WORKFLOW_METRICS.awaits, 250);
    const out = captureLogs();
    t.flush(new Metrics({ namespace: 'currant-test', serviceName: 'svc' }));
    out.restore();
    const lines = emfLines(out.lines());
    expect(lines.length).toBe(3);
    expect(lines.every((l) => l.workflow === 'fanin' && l._aws.CloudWatchMetrics[0]!.Dimensions[0]!.includes('workflow'))).toBe(true);
    expect(lines.flatMap((l) => l.StepDuration as number[])).toEqual(Array.from({ length: 250 }, (_, k) => k));
    expect(lines.reduce((n, l) => n + ((l.Awaits as number | undefined) ?? 0), 0)).toBe(250);
  });
});

describe('the api function: one request line each, metrics at the end of the invocation', () => {
  const source = (p: string) => readFileSync(new URL(`../../examples/${p}`, import.meta.url), 'utf8');
  const registry = indexWorkflows([{ file: 'order.workflow', source: source('order/order.workflow') }]);
  const store = new MemoryStore();
  const services: ApiServices = {
    deps: {
      store,
      dispatcher: new RecordingDispatcher(),
      programs: new ProgramCache(store),
      clock: { now: () => new Date('2026-01-01T00:00:00.000Z'), uuid: () => 'u1' },
      onTransition: observeTransition, // as functions/wiring.ts sets it
    },
    workflows: () => registry,
  };
  const handler = createApiHandler(() => services);
  const call = (method: string, path: string, body?: unknown) =>
    handler(
      {
        httpMethod: method,
        path,
        body: body === undefined ? null : JSON.stringify(body),
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        queryStringParameters: null,
        isBase64Encoded: false,
      } as unknown as APIGatewayProxyEvent,
      { functionName: 'currant-api', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:1:function:currant-api', memoryLimitInMB: '1024' } as unknown as Context,
    ) as Promise<APIGatewayProxyResult>;

  it('a start: the request line names the instance, workflow, operation and outcome; WorkflowsStarted is written', async () => {
    discardPendingMetrics();
    const out = captureLogs();
    const res = await call('POST', '/workflows/processOrder/instances', { input: { orderId: 'o1', amount: 5 }, id: 'o1' });
    out.restore();
    expect(res.statusCode).toBe(201);
    const request = out.lines().find((l) => l.message === 'request');
    expect(request).toMatchObject({
      level: 'INFO',
      service: 'currant',
      instanceId: 'o1',
      workflow: 'processOrder',
      event: 'start',
      outcome: 'ok',
      method: 'POST',
      statusCode: 201,
      status: 'running',
      function_name: 'currant-api',
      function_request_id: 'req-1',
    });
    expect(request!.durationMs).toEqual(expect.any(Number));
    expect(emfLines(out.lines())).toEqual([expect.objectContaining({ workflow: 'processOrder', WorkflowsStarted: 1 })]);
  });

  it('two task results (after the start above) count Awaits 2 and WorkflowsCompleted 1, written when an invocation ends', async () => {
    // The results are applied through the runtime with the same hook (as the step function does);
    // what the process counted is written by the end of the next invocation, here a GET.
    for (let k = 0; k < 2; k++) {
      const i = (await store.load('o1'))!;
      const [[taskId, t]] = Object.entries(i.tasks);
      const result: Value = k === 0 ? { success: true, paymentId: 'p1' } : { success: true, trackingId: 't1' };
      await advance(services.deps, 'o1', { type: 'taskResult', id: `${taskId}#${t!.attempt}`, taskId: taskId!, attempt: t!.attempt, token: attemptToken(i.secret!, taskId!, t!.attempt), ok: true, result });
    }
    const out = captureLogs();
    const res = await call('GET', '/instances/o1');
    out.restore();
    expect(JSON.parse(res.body).status).toBe('completed');
    expect(out.lines().find((l) => l.message === 'request')).toMatchObject({ event: 'get', outcome: 'ok', instanceId: 'o1', status: 'completed' });
    expect(emfLines(out.lines())).toEqual([expect.objectContaining({ workflow: 'processOrder', Awaits: 2, WorkflowsCompleted: 1 })]);
  });

  it('a 4xx is logged at WARN with its error code; a 5xx at ERROR and counted as ApiErrors', async () => {
    const out = captureLogs();
    await call('POST', '/workflows/nope/instances', {});
    const saved = services.workflows;
    services.workflows = () => {
      throw new Error('disk on fire');
    };
    await call('GET', '/workflows');
    services.workflows = saved;
    out.restore();
    const requests = out.lines().filter((l) => l.message === 'request');
    expect(requests[0]).toMatchObject({ level: 'WARN', event: 'start', outcome: 'UNKNOWN_WORKFLOW', statusCode: 404 });
    expect(requests[1]).toMatchObject({ level: 'ERROR', event: 'listWorkflows', outcome: 'INTERNAL', statusCode: 500 });
    expect(emfLines(out.lines())).toEqual([expect.objectContaining({ ApiErrors: 1 })]);
  });
});

describe('the step function: a line per record, StepErrors and RefusedMessages', () => {
  it('failed records are logged with outcome failed and counted; a refused one is logged and counted', async () => {
    vi.stubEnv('CURRANT_TABLE_NAME', 'currant-test');
    vi.stubEnv('CURRANT_EVENT_QUEUE_URL', 'http://127.0.0.1:9/000000000000/events');
    vi.stubEnv('CURRANT_RESULT_QUEUE_URL', 'http://127.0.0.1:9/000000000000/results.fifo');
    vi.stubEnv('CURRANT_TASK_QUEUE_URLS', '{}');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    const { handler } = await import('../../functions/step.ts');
    discardPendingMetrics();
    const rec = (messageId: string, body: string) =>
      ({ messageId, body, eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events', attributes: { ApproximateReceiveCount: '2' } }) as unknown as SQSRecord;
    // A task result on the event queue is refused (only the engine writes there): dropped, never applied.
    const forged = JSON.stringify({ protocol: 'currant.result.v1', type: 'taskResult', instanceId: 'i9', taskId: 'n1', attempt: 1, ok: true, result: null });
    // A hostile id (never validated: the message is refused) is cut in the log line.
    const huge = JSON.stringify({ protocol: 'currant.result.v1', type: 'taskResult', instanceId: 'x'.repeat(100_000), taskId: 'n1', attempt: 1, ok: true, result: null });
    const event: SQSEvent = { Records: [rec('m1', 'not json'), rec('m2', JSON.stringify({ type: 'nope', instanceId: 'i7' })), rec('m3', forged), rec('m4', huge)] };
    const out = captureLogs();
    const res = await handler(event, { functionName: 'currant-step', awsRequestId: 'req-2' } as unknown as Context);
    out.restore();
    vi.unstubAllEnvs();
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }] });
    const lines = out.lines();
    const failed = lines.filter((l) => l.message === 'event failed; SQS will redeliver it');
    expect(failed.map((l) => [l.messageId, l.outcome, l.level, l.receiveCount])).toEqual([
      ['m1', 'failed', 'ERROR', 2],
      ['m2', 'failed', 'ERROR', 2],
    ]);
    expect(failed[1]).toMatchObject({ instanceId: 'i7', function_name: 'currant-step', function_request_id: 'req-2' });
    expect(lines.find((l) => l.messageId === 'm3')).toMatchObject({ level: 'WARN', outcome: 'refused', instanceId: 'i9' });
    const hostile = lines.find((l) => l.messageId === 'm4')!;
    expect(hostile).toMatchObject({ outcome: 'refused', instanceId: `${'x'.repeat(256)}… (100000 chars)` });
    expect(JSON.stringify(hostile).length).toBeLessThan(2_000);
    expect(emfLines(lines)).toEqual([expect.objectContaining({ StepErrors: 2, RefusedMessages: 2, service: 'currant' })]);
  });
});
