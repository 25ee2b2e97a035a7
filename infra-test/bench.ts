/**
 * `npm run bench:infra`: what one `await` costs on AWS, measured on the emulator.
 *
 * Takes: nothing (env `CURRANT_BENCH_AWAITS`, default 30; `--json` for machine-readable output).
 * Gives: a report on stdout (and `.infra/bench-result.json`):
 *   1. the DynamoDB item size of each example instance (after start, largest, final), run through
 *      the embedded engine with the examples' own task modules;
 *   2. a workflow of n sequential awaits (infra-test/bench/chain.workflow) run on a fresh emulator
 *      (the harness in emulator.ts) by the step function's own record code (`processBody` with the
 *      real DynamoStore and SqsDispatcher, SDK clients wrapped by the CURRANT_METRICS call counter).
 *      This process plays the two SQS pollers Lambda would run: it hands the step code each
 *      event-queue message and answers each task message like a task Lambda would. Per await: AWS
 *      calls by kind, bytes written, the step's time next to the same raw calls made directly
 *      (GetItem, conditional PutItem of the same item, SendMessage of the same size), made right
 *      after each step record so both see the same load; timers travel as one wake-up per instance
 *      (adapters/aws/wake.ts), counted as records of their own and spread over the awaits;
 *   3. the cost per million awaits from AWS's published us-east-1 prices (cited in the output), for
 *      a sequential instance (one record per Lambda invocation) and under load (batches of 10);
 *   4. long sleeps: CURRANT_BENCH_SLEEPERS (default 100) instances sleeping 1 hour, 1 day and 30 days,
 *      on a clock the benchmark moves: parked, swept 3 s before due, fired by the step code; AWS calls
 *      per sleep, and the dollars per million sleeping instances next to the previous design (a
 *      wake-up re-sent every 15 minutes: hops measured as one early wake-up record) and a model of
 *      EventBridge Scheduler one-time schedules;
 *   5. with `--deployed`: the examples stack deployed with CURRANT_METRICS=1, polling and order run
 *      through the REST API, and the deployed step function's own per-record log lines summarised.
 *
 * Why in-process rather than timing the deployed Lambda: the comparison the target is about is
 * "our code + its AWS calls" against "the same AWS calls alone", so both sides run in the same
 * process, against the same emulator, with the same warm clients. The call counts are the deployed
 * function's: the same code, the same middleware (functions/wiring.ts `countCalls`).
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../adapters/embedded/index.ts';
import { encodeInstance, itemSize, readUnits, writeUnits } from '../adapters/aws/item.ts';
import { startWorkflow, type Instance } from '../runtime/index.ts';
import { processBody } from '../functions/step.ts';
import { sweepParked } from '../functions/reconcile.ts';
import { createRuntime, currentMetrics, newMetrics, type Metrics } from '../functions/wiring.ts';
import { createTable } from './aws-setup.ts';
import { CurrantApi } from './client.ts';
import { bootstrap, deployStack, INFRA_DIR, REGION, restApiUrl, ROOT, startEmulator } from './emulator.ts';

const AWAITS = Number(process.env.CURRANT_BENCH_AWAITS ?? 30);
/** How long the simulated task works before answering: long enough that the chain outlives its 2 s task timeouts, so wake-ups arrive and re-arm during the run. */
const TASK_MS = 100;
const JSON_OUT = process.argv.includes('--json');
/** Also deploy the examples stack (CURRANT_METRICS on) and read the deployed step function's own numbers. */
const DEPLOYED = process.argv.includes('--deployed');

// ---------------------------------------------------------------------------------------------
// Prices (us-east-1, on-demand, as published by AWS; checked 2026-11)
// ---------------------------------------------------------------------------------------------

export const PRICES = {
  lambdaRequest: 0.2 / 1e6, // https://aws.amazon.com/lambda/pricing/ — $0.20 per 1M requests
  lambdaGbSecondArm: 0.0000133334, // same page — Arm, first 7.5 billion GB-s per month
  dynamoWriteUnit: 0.625 / 1e6, // https://aws.amazon.com/dynamodb/pricing/on-demand/ — $0.625 per 1M write request units
  dynamoReadUnit: 0.125 / 1e6, // same page — $0.125 per 1M read request units (strongly consistent read ≤ 4 KB = 1)
  sqsRequest: 0.4 / 1e6, // https://aws.amazon.com/sqs/pricing/ — standard queue, $0.40 per 1M requests (64 KB chunks)
};
/** Memory of the step function (cdk/engine.ts COMPILING_FUNCTION_MB) and of task functions (cdk/functions.ts). */
const STEP_GB = 1;
const TASK_GB = 0.5;

// ---------------------------------------------------------------------------------------------
// 1. Item sizes of the example instances (embedded engine, no emulator)
// ---------------------------------------------------------------------------------------------

interface SizeRow {
  example: string;
  status: string;
  steps: number;
  afterStart: number;
  largest: number;
  final: number;
  largestWriteUnits: number;
}

async function exampleItemSizes(): Promise<SizeRow[]> {
  const dir = join(ROOT, 'examples');
  const rows = await Promise.all(
    readdirSync(dir)
      // the sizes are measured on the embedded engine, which runs Node tasks only: examples with a
      // Python task (tasks.py) are measured on the emulator by engine.test.ts instead
      .filter((e) => existsSync(join(dir, e, 'tasks.ts')) && !existsSync(join(dir, e, 'tasks.py')))
      .filter((e) => readdirSync(join(dir, e)).some((f) => f.endsWith('.workflow')))
      .sort()
      .map(async (example): Promise<SizeRow> => {
        const wf = readdirSync(join(dir, example)).find((f) => f.endsWith('.workflow'))!;
        const source = readFileSync(join(dir, example, wf), 'utf8');
        const input = JSON.parse(readFileSync(join(dir, example, 'input.json'), 'utf8'));
        let afterStart = 0;
        let largest = 0;
        const engine = await createEngine({
          dbPath: ':memory:',
          tasksModule: join(dir, example, 'tasks.ts'),
          onStep: (i) => {
            const size = itemSize(encodeInstance(i));
            if (afterStart === 0) afterStart = size;
            largest = Math.max(largest, size);
          },
        });
        try {
          const done = await engine.run({ source, file: wf }, input, { id: `size-${example}` });
          const final = itemSize(encodeInstance(done));
          return { example, status: done.status, steps: done.steps.length, afterStart, largest, final, largestWriteUnits: writeUnits(largest) };
        } finally {
          await engine.close();
        }
      }),
  );
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 2. Sequential awaits on the emulator
// ---------------------------------------------------------------------------------------------

interface Sample {
  kind: 'result' | 'wake' | 'timer';
  outcome: string;
  ms: number;
  calls: Record<string, number>;
  bytesWritten: number;
}

const f2 = (x: number) => String(Math.round(x * 100) / 100);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const p90 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(xs.length * 0.9) - 1)] ?? NaN;
const sumCalls = (samples: Sample[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const s of samples) for (const [k, v] of Object.entries(s.calls)) out[k] = (out[k] ?? 0) + v;
  return out;
};
const perAwait = (calls: Record<string, number>, n: number) => Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, v / n]));

async function sequentialAwaits() {
  const emu = await startEmulator();
  try {
    Object.assign(process.env, emu.env);
    const plain = { endpoint: emu.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    // Uninstrumented clients: the pollers, the task worker and the raw-call baseline.
    const ddb = new DynamoDBClient(plain);
    const sqs = new SQSClient(plain);
    const table = 'currant-bench';
    await createTable(ddb, table);
    const eventQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'currant-bench-events' }))).QueueUrl!;
    const taskQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'currant-bench-work' }))).QueueUrl!;
    const rawQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'currant-bench-raw' }))).QueueUrl!;
    // The step function's runtime, built the way functions/wiring.ts builds it in Lambda (metrics on).
    // One queue for results and the engine's own events here (one poller); deployed, they are two.
    const rt = createRuntime({ table, eventQueueUrl, resultQueueUrl: eventQueueUrl, taskQueueUrls: { work: taskQueueUrl }, metrics: true, reconcileGraceMs: 300_000 });

    const source = readFileSync(join(ROOT, 'infra-test', 'bench', 'chain.workflow'), 'utf8');
    const id = 'bench-chain';
    const startMetrics = newMetrics();
    const t0 = performance.now();
    await currentMetrics.run(startMetrics, () => startWorkflow(rt.deps, { source, file: 'chain.workflow' }, { n: AWAITS }, { id }));
    const startMs = performance.now() - t0;

    // The same raw calls, made directly: GetItem (consistent), a conditional PutItem of an item of
    // the instance's size, one SendMessage of a task message's size. Made right after each step
    // record, so both see the same machine and emulator load.
    const rawMs: number[] = [];
    let rawVersion = 0;
    const rawBody = JSON.stringify({ protocol: 'currant.task.v1', instanceId: id, taskId: 'n30.s17', task: 'work', args: [17], attempt: 1, timeoutMs: 2000, replyTo: eventQueueUrl });
    const rawOnce = async () => {
      // The instance as it is now (outside the timed part): the raw write has the step's size.
      const rawItem: Record<string, AttributeValue> = { ...encodeInstance((await rt.store.load(id))!), id: { S: 'raw-bench' } };
      const r0 = performance.now();
      await ddb.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'raw-bench' } }, ConsistentRead: true }));
      await ddb.send(
        new PutItemCommand({
          TableName: table,
          Item: { ...rawItem, version: { N: String(rawVersion + 1) } },
          ConditionExpression: 'attribute_not_exists(#id) OR #v = :expected',
          ExpressionAttributeNames: { '#id': 'id', '#v': 'version' },
          ExpressionAttributeValues: { ':expected': { N: String(rawVersion) } },
        }),
      );
      await sqs.send(new SendMessageCommand({ QueueUrl: rawQueueUrl, MessageBody: rawBody }));
      rawVersion++;
      return performance.now() - r0;
    };
    for (let k = 0; k < 3; k++) await rawOnce(); // warm the connections

    const samples: Sample[] = [];
    const replyMs: number[] = [];
    let final: Instance | undefined;
    const deadline = Date.now() + 120_000;
    const queued = async (url: string) => {
      const a = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      return Object.values(a.Attributes ?? {}).reduce((n, v) => n + Number(v), 0);
    };
    // Until the chain is done and the wake-ups it left have arrived (they find it finished: stale).
    while (!final || (await queued(eventQueueUrl)) > 0) {
      if (Date.now() > deadline) throw new Error(`benchmark did not finish: ${samples.length} records`);
      // The task Lambda: take each task message, work for TASK_MS, answer with its result (i).
      const tasks = await sqs.send(new ReceiveMessageCommand({ QueueUrl: taskQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      for (const m of tasks.Messages ?? []) {
        const t = JSON.parse(m.Body!);
        await new Promise((r) => setTimeout(r, TASK_MS));
        const r0 = performance.now();
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: t.replyTo,
            MessageBody: JSON.stringify({ protocol: 'currant.result.v1', type: 'taskResult', instanceId: t.instanceId, taskId: t.taskId, attempt: t.attempt, token: t.token, ok: true, result: t.args[0] }),
          }),
        );
        replyMs.push(performance.now() - r0);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: taskQueueUrl, ReceiptHandle: m.ReceiptHandle! }));
      }
      // The event-queue poller: hand each record to the step code, one at a time (a sequential instance).
      const events = await sqs.send(new ReceiveMessageCommand({ QueueUrl: eventQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: tasks.Messages?.length ? 0 : 1 }));
      for (const m of events.Messages ?? []) {
        const type = JSON.parse(m.Body!).type;
        const kind: Sample['kind'] = type === 'wake' ? 'wake' : type === 'timer' ? 'timer' : 'result';
        const metrics: Metrics = newMetrics();
        const s0 = performance.now();
        const out = await currentMetrics.run(metrics, () => processBody(rt.deps, m.Body!));
        samples.push({ kind, outcome: out.outcome === 'wake' ? `wake ${out.result}` : out.outcome, ms: performance.now() - s0, calls: metrics.calls, bytesWritten: metrics.bytesWritten });
        await sqs.send(new DeleteMessageCommand({ QueueUrl: eventQueueUrl, ReceiptHandle: m.ReceiptHandle! }));
        if (kind === 'result') rawMs.push(await rawOnce());
      }
      if (!final) {
        const i = await rt.store.load(id);
        if (i && i.status !== 'running' && i.status !== 'waiting') final = i;
      }
    }
    if (final.status !== 'completed' || final.result !== (AWAITS * (AWAITS - 1)) / 2) {
      throw new Error(`the chain ended ${final.status} with ${JSON.stringify(final.result ?? final.error)}`);
    }

    ddb.destroy();
    sqs.destroy();
    rt.dynamodb.destroy();
    rt.sqs.destroy();
    return { startMs, startCalls: startMetrics.calls, startBytes: startMetrics.bytesWritten, samples, replyMs, rawMs, finalItemBytes: itemSize(encodeInstance(final)) };
  } finally {
    await emu.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 2b. Cross-check (--deployed): the deployed step function's own CURRANT_METRICS log lines
// ---------------------------------------------------------------------------------------------

interface DeployedRow {
  outcome: string;
  records: number;
  medianMs: number;
  callsPerRecord: Record<string, number>;
  bytesPerRecord: number;
}

async function deployedCrossCheck(): Promise<DeployedRow[]> {
  const emu = await startEmulator();
  try {
    await bootstrap(emu);
    const out = await deployStack(emu, { stack: 'CurrantExamples', context: { 'currant:metrics': '1' } });
    const api = new CurrantApi(restApiUrl(emu, out.ApiId!, out.ApiStage!), { region: REGION });
    for (const [wf, input] of [
      ['polling', { name: 'bench' }],
      ['processOrder', { orderId: 'o-bench', amount: 5 }],
    ] as const) {
      const started = await api.start(wf, input);
      if (started.status !== 201) throw new Error(`start ${wf}: ${started.status} ${JSON.stringify(started.body)}`);
      const done = await api.waitForEnd(started.body.id, 120_000);
      if (done.status !== 'completed') throw new Error(`${wf} ended ${done.status}`);
    }
    await new Promise((r) => setTimeout(r, 1000)); // let the last log lines reach the file
    const rows = new Map<string, { ms: number[]; calls: Record<string, number>; bytes: number }>();
    for (const line of readFileSync(emu.logFile, 'utf8').split('\n')) {
      const m = /CURRANT_METRICS (\{.*\})\s*$/.exec(line);
      if (!m) continue;
      const r = JSON.parse(m[1]!) as { outcome: string; result?: string; ms: number; calls: Record<string, number>; bytesWritten: number; event: string };
      const kind = r.outcome === 'wake' ? `wake-up (${r.result})` : `${r.outcome} ${r.event.startsWith('timer:') ? 'timer' : r.event.startsWith('signal') ? 'signal' : 'task result'}`;
      const row = rows.get(kind) ?? { ms: [], calls: {}, bytes: 0 };
      row.ms.push(r.ms);
      for (const [k, v] of Object.entries(r.calls)) row.calls[k] = (row.calls[k] ?? 0) + v;
      row.bytes += r.bytesWritten;
      rows.set(kind, row);
    }
    return [...rows.entries()].map(([outcome, r]) => ({
      outcome,
      records: r.ms.length,
      medianMs: median(r.ms),
      callsPerRecord: perAwait(r.calls, r.ms.length),
      bytesPerRecord: r.bytes / r.ms.length,
    }));
  } finally {
    await emu.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Cost per million awaits
// ---------------------------------------------------------------------------------------------

interface CostLine {
  what: string;
  perAwait: number;
  dollarsPerMillion: number;
}

function costModel(r: Awaited<ReturnType<typeof sequentialAwaits>>, batch: number) {
  const results = r.samples.filter((s) => s.kind === 'result');
  const others = r.samples.filter((s) => s.kind !== 'result'); // wake-ups (and per-timer messages, if any)
  const n = results.length;
  const stepCalls = sumCalls(r.samples);
  const gets = (stepCalls.GetItem ?? 0) / n;
  const itemBytes = Math.max(...results.map((s) => s.bytesWritten).filter((b) => b > 0));
  const writes = r.samples.reduce((w, s) => w + (s.bytesWritten > 0 ? writeUnits(s.bytesWritten) : 0), 0) / n;
  const stepSends = ((stepCalls.SendMessage ?? 0) + (stepCalls.SendMessageBatch ?? 0)) / n;
  // Messages the Lambda pollers receive and delete per await: the task message, its result, and the wake-ups.
  const polled = (2 * results.length + others.length) / n;
  const stepMs = median(results.slice(1).map((s) => s.ms)) + others.reduce((t, s) => t + s.ms, 0) / n;
  const taskMs = median(r.replyMs);
  const lines: CostLine[] = [
    { what: `Lambda requests (step: ${f2((n + others.length) / n)} records; task: 1)`, perAwait: (n + others.length) / n / batch + 1 / batch, dollarsPerMillion: 0 },
    { what: `Lambda GB-s (arm64; step ${stepMs.toFixed(1)} ms at ${STEP_GB} GB + task reply ${taskMs.toFixed(1)} ms at ${TASK_GB} GB)`, perAwait: (stepMs / 1000) * STEP_GB + (taskMs / 1000) * TASK_GB, dollarsPerMillion: 0 },
    { what: `DynamoDB read units (GetItem strongly consistent, item ${itemBytes} B)`, perAwait: gets * readUnits(itemBytes), dollarsPerMillion: 0 },
    { what: 'DynamoDB write units (UpdateItem, 1 per started KB; wake-up re-arms included)', perAwait: writes, dollarsPerMillion: 0 },
    { what: 'SQS sends (step: tasks and wake-ups; task: result)', perAwait: stepSends + 1, dollarsPerMillion: 0 },
    { what: `SQS receives + deletes by the Lambda pollers (${f2(polled)} messages, batches of ${batch})`, perAwait: (2 * polled) / batch, dollarsPerMillion: 0 },
  ];
  const price = [PRICES.lambdaRequest, PRICES.lambdaGbSecondArm, PRICES.dynamoReadUnit, PRICES.dynamoWriteUnit, PRICES.sqsRequest, PRICES.sqsRequest];
  lines.forEach((l, k) => (l.dollarsPerMillion = l.perAwait * price[k]! * 1e6));
  return { batch, lines, total: lines.reduce((s, l) => s + l.dollarsPerMillion, 0) };
}

// ---------------------------------------------------------------------------------------------
// 4. Long sleeps: what a 1-hour, 1-day and 30-day sleep costs per million instances
// ---------------------------------------------------------------------------------------------

/** Instances per sleep length: enough that the sweep's pages and batches fill as they would under load. */
const SLEEPERS = Number(process.env.CURRANT_BENCH_SLEEPERS ?? 100);
const SLEEPS = [
  { label: '1 hour', ms: 3_600_000 },
  { label: '1 day', ms: 86_400_000 },
  { label: '30 days', ms: 30 * 86_400_000 },
];
/** Price of one EventBridge Scheduler invocation (https://aws.amazon.com/eventbridge/pricing/ — $1.00 per million after 14 million free a month). */
const SCHEDULER_INVOCATION = 1 / 1e6;
/** Memory of the reconciler (cdk/functions.ts default). */
const RECONCILE_GB = 0.5;
/** Bytes DynamoDB bills for a byPark index entry: its keys, the projected wake id and the 100-byte index overhead. */
const INDEX_ENTRY_BYTES = 200;

interface SleepRun {
  label: string;
  ms: number;
  instances: number;
  /** AWS calls per sleeping instance, from its park to its firing (the sweep's per-run queries apart). */
  callsPerSleep: Record<string, number>;
  /** Step time per wake-up record (ms, median) and the sweep's time per wake-up. */
  stepMs: number;
  sweepMsPerWake: number;
  /** Hops the previous design (a wake-up re-sent every 15 minutes) needs for this sleep. */
  hops: number;
}

async function longSleeps(): Promise<{ runs: SleepRun[]; idleSweep: { calls: Record<string, number>; ms: number }; hop: { calls: Record<string, number>; ms: number } }> {
  const emu = await startEmulator();
  try {
    Object.assign(process.env, emu.env);
    const plain = { endpoint: emu.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    const ddb = new DynamoDBClient(plain);
    const sqs = new SQSClient(plain);
    const runs: SleepRun[] = [];
    const source = 'workflow nap(ms: number): string { await sleep(ms)\n return "rested" }';
    let idleSweep = { calls: {} as Record<string, number>, ms: 0 };
    let hop = { calls: {} as Record<string, number>, ms: 0 };
    for (const [k, sleep] of SLEEPS.entries()) {
      const table = `currant-bench-sleep-${k}`;
      await createTable(ddb, table);
      const eventQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `currant-bench-sleep-${k}` }))).QueueUrl!;
      const clock = { nowMs: Date.now(), now: () => new Date(clock.nowMs) };
      const rt = createRuntime({ table, eventQueueUrl, resultQueueUrl: eventQueueUrl, taskQueueUrls: {}, metrics: true, reconcileGraceMs: 300_000 }, clock);
      const t0 = clock.nowMs;
      for (let n = 0; n < SLEEPERS; n++) await startWorkflow(rt.deps, { source, file: 'nap.workflow' }, { ms: sleep.ms }, { id: `nap-${k}-${n}` });
      const perSleep = newMetrics();
      // A sweep a minute later finds nothing due: the cost of a run, whatever is parked.
      clock.nowMs = t0 + 60_000;
      const idle = newMetrics();
      const i0 = performance.now();
      await currentMetrics.run(idle, () => sweepParked(rt.deps.wakes, { now: clock.now }));
      if (k === 0) idleSweep = { calls: idle.calls, ms: performance.now() - i0 };
      // 3 s before due (inside the 14-minute horizon): the sweep claims and sends them all.
      clock.nowMs = t0 + sleep.ms - 3_000;
      let sent = 0;
      let sweepMs = 0;
      let sweeps = 0;
      for (let tries = 0; sent < SLEEPERS && tries < 50; tries++, sweeps++) {
        const s0 = performance.now();
        sent += (await currentMetrics.run(perSleep, () => sweepParked(rt.deps.wakes, { now: clock.now }))).sent;
        sweepMs += performance.now() - s0;
        if (sent < SLEEPERS) await new Promise((r) => setTimeout(r, 100)); // the index is eventually consistent
      }
      if (sent !== SLEEPERS) throw new Error(`the sweep sent ${sent} of ${SLEEPERS} wake-ups`);
      // Each run's own reads (the marks, a query per shard) are the idle cost above, whatever it
      // finds; keep only what the pages added (the claims and the sends).
      for (const [kind, n] of Object.entries(idle.calls)) perSleep.calls[kind] = (perSleep.calls[kind] ?? 0) - sweeps * n;
      // The step function: each wake-up when due.
      const stepMs: number[] = [];
      let fired = 0;
      const deadline = Date.now() + 60_000;
      while (fired < SLEEPERS) {
        if (Date.now() > deadline) throw new Error(`only ${fired} of ${SLEEPERS} wake-ups arrived`);
        const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: eventQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        for (const m of got.Messages ?? []) {
          clock.nowMs = t0 + sleep.ms + 500;
          const s0 = performance.now();
          const out = await currentMetrics.run(perSleep, () => processBody(rt.deps, m.Body!, { source: 'events' }));
          stepMs.push(performance.now() - s0);
          if (out.outcome === 'wake' && out.fired === 1) fired++;
          await sqs.send(new DeleteMessageCommand({ QueueUrl: eventQueueUrl, ReceiptHandle: m.ReceiptHandle! }));
        }
      }
      for (let n = 0; n < SLEEPERS; n++) {
        const i = await rt.store.load(`nap-${k}-${n}`);
        if (i?.status !== 'completed') throw new Error(`nap-${k}-${n} ended ${i?.status}`);
      }
      if (k === 0) {
        // One hop of the previous design, measured: a wake-up arriving 10 minutes early is sent on.
        const i = (await rt.store.load('nap-0-0'))!;
        const h = newMetrics();
        const h0 = performance.now();
        await currentMetrics.run(h, () => processBody(rt.deps, JSON.stringify({ type: 'wake', instanceId: i.id, wakeId: 'hop', at: new Date(clock.nowMs + 600_000).toISOString() }), { source: 'events' }));
        hop = { calls: h.calls, ms: performance.now() - h0 };
      }
      runs.push({
        label: sleep.label,
        ms: sleep.ms,
        instances: SLEEPERS,
        callsPerSleep: perAwait(perSleep.calls, SLEEPERS),
        stepMs: median(stepMs),
        sweepMsPerWake: sweepMs / SLEEPERS,
        hops: Math.ceil(sleep.ms / 900_000) - 1,
      });
      rt.dynamodb.destroy();
      rt.sqs.destroy();
    }
    ddb.destroy();
    sqs.destroy();
    return { runs, idleSweep, hop };
  } finally {
    await emu.stop();
  }
}

interface SleepCost {
  label: string;
  /** Before: the wake-up re-sent every 15 minutes. */
  hopping: number;
  /** Now: parked, swept, sent once. */
  parked: number;
  /** The alternative not chosen: an EventBridge Scheduler one-time schedule per long timer (a model). */
  scheduler: number;
  hops: number;
}

/**
 * Dollars per million instances sleeping once for each length. Both designs end with the same
 * delivery of the due wake-up and the same firing save (measured: `stepMs`, the step's calls), so the
 * difference is the hops against the park: index entry, the sweep's share, one batched send.
 */
function sleepCosts(r: Awaited<ReturnType<typeof longSleeps>>, batch: number) {
  const rows: SleepCost[] = [];
  const pollPerMsg = (2 * PRICES.sqsRequest) / batch; // the Lambda poller's receive + delete, in batches
  const invokePerMsg = PRICES.lambdaRequest / batch;
  for (const run of r.runs) {
    const c = run.callsPerSleep;
    // The firing, identical in every design: the delivery of the due wake-up and the step's work.
    const fire =
      pollPerMsg +
      invokePerMsg +
      (run.stepMs / 1000) * STEP_GB * PRICES.lambdaGbSecondArm +
      (c.GetItem ?? 0) * PRICES.dynamoReadUnit +
      1 * PRICES.dynamoWriteUnit; // the save that fires the sleep (a ≤ 1 KB item)
    // Parked: the byPark entry written and removed (2 index write units), the sweep's claim (one
    // small write per page), its queries' share, its SendMessageBatch share, and its run time.
    const claims = (c.UpdateItem ?? 0) - 1; // UpdateItem calls beyond the firing save
    const parked =
      fire +
      2 * PRICES.dynamoWriteUnit +
      claims * PRICES.dynamoWriteUnit +
      (INDEX_ENTRY_BYTES / 4096) * 0.5 * PRICES.dynamoReadUnit + // its share of a page read (eventually consistent)
      ((c.SendMessageBatch ?? 0) + (c.SendMessage ?? 0)) * PRICES.sqsRequest +
      (run.sweepMsPerWake / 1000) * RECONCILE_GB * PRICES.lambdaGbSecondArm;
    // Hopping: every 15 minutes a send, a receive and a delete, an invocation and the hop's time.
    const hopCost = PRICES.sqsRequest + pollPerMsg + invokePerMsg + (r.hop.ms / 1000) * STEP_GB * PRICES.lambdaGbSecondArm;
    const hopping = fire + PRICES.sqsRequest + run.hops * hopCost;
    // Scheduler: a one-time schedule (its API calls are not billed; invocations are), its send to
    // the event queue, then the same delivery and firing.
    const scheduler = fire + SCHEDULER_INVOCATION + PRICES.sqsRequest;
    rows.push({ label: run.label, hopping: hopping * 1e6, parked: parked * 1e6, scheduler: scheduler * 1e6, hops: run.hops });
  }
  // The sweep's fixed cost: a run a minute, whatever is parked (43,200 runs a month).
  const idle = r.idleSweep;
  const perRun = PRICES.lambdaRequest + (idle.calls.GetItem ?? 0) * PRICES.dynamoReadUnit + (idle.calls.Query ?? 0) * 0.5 * PRICES.dynamoReadUnit + (Math.max(idle.ms, 1) / 1000) * RECONCILE_GB * PRICES.lambdaGbSecondArm;
  return { batch, rows, sweepPerMonth: perRun * 43_200 };
}
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const sizes = await exampleItemSizes();
  const run = await sequentialAwaits();
  const sleeps = await longSleeps();
  const sleepCost = [sleepCosts(sleeps, 1), sleepCosts(sleeps, 10)];
  const deployed = DEPLOYED ? await deployedCrossCheck() : undefined;
  const results = run.samples.filter((s) => s.kind === 'result');
  const others = run.samples.filter((s) => s.kind !== 'result');
  const warm = results.slice(1); // the first record compiles the program (cold cache)
  const stepMedian = median(warm.map((s) => s.ms));
  const rawMedian = median(run.rawMs);
  const costs = [costModel(run, 1), costModel(run, 10)];
  const report = {
    awaits: results.length,
    sizes,
    start: { ms: run.startMs, calls: run.startCalls, bytesWritten: run.startBytes },
    perAwait: {
      stepCallsResult: perAwait(sumCalls(results), results.length),
      stepCallsOther: perAwait(sumCalls(others), results.length),
      otherRecords: Object.fromEntries([...new Set(others.map((s) => s.outcome))].map((o) => [o, others.filter((s) => s.outcome === o).length])),
      bytesWritten: warm.reduce((s, x) => s + x.bytesWritten, 0) / warm.length,
      bytesWrittenRange: [Math.min(...results.map((s) => s.bytesWritten)), Math.max(...results.map((s) => s.bytesWritten))],
      stepMs: { first: results[0]?.ms, median: stepMedian, p90: p90(warm.map((s) => s.ms)) },
      otherMs: { median: median(others.map((s) => s.ms)) },
      rawMs: { median: rawMedian, p90: p90(run.rawMs) },
      ratio: stepMedian / rawMedian,
    },
    costs,
    sleeps: { ...sleeps, costs: sleepCost },
    deployed,
    prices: PRICES,
    targets: { dollarsPerMillion: 4, ratio: 1.5 },
  };
  mkdirSync(INFRA_DIR, { recursive: true });
  writeFileSync(join(INFRA_DIR, 'bench-result.json'), JSON.stringify(report, null, 2));
  if (JSON_OUT) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const f = (x: number, d = 1) => x.toFixed(d);
  const out: string[] = [];
  out.push('# currant on AWS: cost of one await (emulator: ministack, in-process step code)', '');
  out.push('## DynamoDB item size of each example instance (bytes as DynamoDB bills them)', '');
  out.push('| example | status | steps | after start | largest | final | write units (largest) |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const s of sizes) out.push(`| ${s.example} | ${s.status} | ${s.steps} | ${s.afterStart} | ${s.largest} | ${s.final} | ${s.largestWriteUnits} |`);
  out.push('', '(examples with Python tasks, such as mixed, are left out here: sizes come from the embedded engine, which runs Node tasks; `npm run test:infra` prints theirs from the emulator)');
  out.push('', `## ${results.length} sequential awaits (infra-test/bench/chain.workflow)`, '');
  out.push(`start (api: definition + create + first sends): ${f(run.startMs)} ms, calls ${JSON.stringify(run.startCalls)}, ${run.startBytes} B written`);
  out.push(`AWS calls per await, step on the task result:  ${JSON.stringify(report.perAwait.stepCallsResult)}`);
  out.push(`wake-up records: ${JSON.stringify(report.perAwait.otherRecords)} (task timeout 2 s, each task ${TASK_MS} ms: the chain outlives several timeouts); their AWS calls per await: ${JSON.stringify(report.perAwait.stepCallsOther)}`);
  out.push(`bytes written to DynamoDB per await: ${f(report.perAwait.bytesWritten, 0)} (range ${report.perAwait.bytesWrittenRange.join('–')}; final item ${run.finalItemBytes})`);
  out.push(`step time per await: median ${f(stepMedian)} ms, p90 ${f(report.perAwait.stepMs.p90)} ms (first, compiling the program: ${f(results[0]?.ms ?? NaN)} ms); wake-up record median ${f(report.perAwait.otherMs.median)} ms`);
  out.push(`raw calls (GetItem + conditional PutItem + SendMessage, sequential): median ${f(rawMedian)} ms, p90 ${f(report.perAwait.rawMs.p90)} ms`);
  out.push(`step / raw = ${f(report.perAwait.ratio, 2)} (target ≤ 1.5) ${report.perAwait.ratio <= 1.5 ? 'MET' : 'NOT MET'}`);
  if (deployed) {
    out.push('', '## cross-check: the deployed step function (examples stack, CURRANT_METRICS=1; polling + order)', '');
    out.push('| record | count | median ms (in the Lambda) | AWS calls per record | bytes written per record |', '| --- | --- | --- | --- | --- |');
    for (const d of deployed) out.push(`| ${d.outcome} | ${d.records} | ${f(d.medianMs)} | ${JSON.stringify(d.callsPerRecord)} | ${f(d.bytesPerRecord, 0)} |`);
  }
  for (const c of costs) {
    const title = c.batch === 1 ? 'one record per Lambda invocation (a lone sequential instance)' : `batches of ${c.batch} (many instances at once)`;
    out.push('', `## cost per million awaits, ${title}`, '');
    out.push('| item | per await | $ per million awaits |', '| --- | --- | --- |');
    for (const l of c.lines) out.push(`| ${l.what} | ${f(l.perAwait, 4)} | ${f(l.dollarsPerMillion, 3)} |`);
    out.push(`| **total** | | **${f(c.total, 2)}** (target ≤ 4: ${c.total <= 4 ? 'MET' : 'NOT MET'}) |`);
  }
  out.push('', `## long sleeps: ${SLEEPERS} instances per length on the emulator, clock skipped to the due time`, '');
  out.push('Timers due more than 15 minutes ahead are parked in the byPark index (no message); the reconciler\'s sweep (every minute) claims those due within 14 minutes a page at a time and sends them in batches; the step fires them (adapters/aws/wake.ts).', '');
  out.push('| sleep | AWS calls per sleeping instance (park → fired; the sweep\'s per-run reads apart) | step ms per wake-up | hops before (15-minute re-sends) |', '| --- | --- | --- | --- |');
  for (const s of sleeps.runs) out.push(`| ${s.label} | ${JSON.stringify(Object.fromEntries(Object.entries(s.callsPerSleep).filter(([, v]) => v > 0).map(([k, v]) => [k, Math.round(v * 100) / 100])))} | ${f(s.stepMs)} | ${s.hops} |`);
  out.push('', `one sweep run with nothing due: ${JSON.stringify(sleeps.idleSweep.calls)} in ${f(sleeps.idleSweep.ms)} ms; one hop of the previous design: ${JSON.stringify(sleeps.hop.calls)} in ${f(sleeps.hop.ms)} ms`);
  for (const c of sleepCost) {
    out.push('', `### $ per million instances sleeping once, ${c.batch === 1 ? 'one record per Lambda invocation' : `Lambda batches of ${c.batch}`}`, '');
    out.push('| sleep | before: re-sent every 15 minutes | now: parked and swept | EventBridge Scheduler one-time schedule (model) |', '| --- | --- | --- | --- |');
    for (const r of c.rows) out.push(`| ${r.label} | ${f(r.hopping, 2)} (${r.hops} hops) | ${f(r.parked, 2)} | ${f(r.scheduler, 2)} |`);
    out.push('', `plus the sweep's fixed cost: $${f(c.sweepPerMonth, 3)} a month (a run a minute, whatever is parked).`);
  }
  out.push('', 'The firing itself (delivery of the due wake-up, the step\'s reads and the save that ends the sleep) is in every column. Scheduler is priced at $1.00 per million invocations (aws.amazon.com/eventbridge/pricing) plus its send to the event queue; it was not chosen (docs/operations.md, "Long timers").');
  out.push('', 'Prices (us-east-1, on-demand): Lambda $0.20 per 1M requests and $0.0000133334 per GB-s on arm64 (aws.amazon.com/lambda/pricing); DynamoDB $0.625 per 1M write request units and $0.125 per 1M read request units (aws.amazon.com/dynamodb/pricing/on-demand); SQS standard $0.40 per 1M requests (aws.amazon.com/sqs/pricing). Free tiers ignored; API Gateway is per start/query, not per await; idle long-polling of the pollers is a fixed monthly cost, not per await.');
  console.log(out.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
