/**
 * Long sleeps on the emulator: real DynamoDB (the byPark index, conditional writes) and SQS (delayed
 * messages), driven by the step function's and the reconciler's own code in this process with a
 * clock the test moves, so a 30-day sleep takes seconds. The AWS calls are counted with the same
 * middleware the deployed functions use (CURRANT_METRICS).
 *
 * Proves: a long sleep costs a handful of AWS requests whatever its length (parked, swept once,
 * fired by one wake-up), retried starts during a sleep send nothing, and a wake-up left hopping by an
 * older version is parked on arrival while its copies die. What the emulator cannot show: real
 * 13-minute SQS delays (the sweep here runs 3 s before the due time, inside its 14-minute horizon,
 * so the delayed message arrives in 3 real seconds) and the EventBridge rule that runs the sweep
 * every minute (the deployed rule is exercised by engine.test.ts).
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR } from '../adapters/aws/schema.ts';
import type { AwsInstance } from '../adapters/aws/wake.ts';
import { processBody } from '../functions/step.ts';
import { sweepParked } from '../functions/reconcile.ts';
import { createRuntime, currentMetrics, newMetrics, type Metrics, type Runtime } from '../functions/wiring.ts';
import { startWorkflow } from '../runtime/index.ts';
import { createTable } from './aws-setup.ts';
import { REGION, startEmulator, type Emulator } from './emulator.ts';

let emu: Emulator | undefined;
let ddb: DynamoDBClient;
let sqs: SQSClient;
let tables = 0;

beforeAll(async () => {
  emu = await startEmulator();
  Object.assign(process.env, emu.env); // the runtime's own clients find the emulator through AWS_ENDPOINT_URL
  const common = { endpoint: emu.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  ddb = new DynamoDBClient(common);
  sqs = new SQSClient(common);
}, 120_000);

afterAll(async () => {
  ddb?.destroy();
  sqs?.destroy();
  await emu?.stop();
});

const NAP = 'workflow nap(days: number): string { await sleep(days * 86400000)\n return "rested" }';
const DAY = 86_400_000;

/** A table and an event queue of their own, and the runtime over them on a clock the test moves. */
async function setup() {
  const n = ++tables;
  const table = `currant-timers-${n}`;
  await createTable(ddb, table);
  const eventQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `currant-timers-events-${n}` }))).QueueUrl!;
  const clock = { nowMs: Date.now(), now: () => new Date(clock.nowMs) };
  const rt = createRuntime({ table, eventQueueUrl, resultQueueUrl: eventQueueUrl, taskQueueUrls: {}, metrics: true, reconcileGraceMs: 300_000 }, clock);
  return { table, eventQueueUrl, clock, rt };
}

async function counted<T>(m: Metrics, fn: () => Promise<T>): Promise<T> {
  return currentMetrics.run(m, fn);
}

/** Messages on a queue, visible, in flight or delayed. */
async function depth(url: string): Promise<number> {
  const a = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
  );
  return Object.values(a.Attributes ?? {}).reduce((s, v) => s + Number(v), 0);
}

/** Waits (real time) for the next message on the queue and deletes it, as the Lambda poller would. */
async function receiveOne(url: string, timeoutMs = 15_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    const m = r.Messages?.[0];
    if (m) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
      return m.Body!;
    }
  }
  throw new Error(`no message on ${url} within ${timeoutMs} ms`);
}

async function rawItem(table: string, id: string) {
  return (await ddb.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }))).Item!;
}

/** Sweeps (as the reconciler would at the clock's time) until the GSI shows what it must, at most ~3 s. */
async function sweepAt(rt: Runtime, m: Metrics, want: (sent: number) => boolean) {
  let sent = 0;
  for (let k = 0; k < 30; k++) {
    sent += (await counted(m, () => sweepParked(rt.deps.wakes, { now: rt.deps.clock.now }))).sent;
    if (want(sent)) return sent;
    await new Promise((r) => setTimeout(r, 100)); // the index is eventually consistent
  }
  return sent;
}

describe('long sleeps on the emulator', () => {
  it('a 30-day sleep is parked (no message), claimed and sent once by the sweep, and fired by one wake-up: a handful of calls', async () => {
    const { table, eventQueueUrl, clock, rt } = await setup();
    const { instance } = await startWorkflow(rt.deps, { source: NAP, file: 'nap.workflow' }, { days: 30 }, { id: 'nap-30' });
    const due = Date.parse(Object.values(instance.timers)[0]!.fireAt);
    expect(due - clock.nowMs).toBe(30 * DAY);
    expect(await depth(eventQueueUrl)).toBe(0); // nothing travels while it sleeps
    expect((await rawItem(table, 'nap-30'))[ATTR.parkAt]).toEqual({ S: `${new Date(due).toISOString()}#nap-30` });

    const sweeps = newMetrics(); // the fixed cost of a sweep: index queries, whatever is parked
    const perTimer = newMetrics(); // what this one timer costs
    // Sweeps through the month find nothing to send until the wake-up is within 14 minutes.
    for (const at of [clock.nowMs + 60_000, clock.nowMs + DAY, due - 20 * 60_000]) {
      clock.nowMs = at;
      expect((await counted(sweeps, () => sweepParked(rt.deps.wakes, { now: clock.now }))).due).toBe(0);
    }
    expect(await depth(eventQueueUrl)).toBe(0);
    // 3 s before due (inside the horizon): claimed by the sweep and sent, delayed until due.
    clock.nowMs = due - 3_000;
    expect(await sweepAt(rt, perTimer, (n) => n === 1)).toBe(1);
    // A later sweep (or an overlapping one) sends nothing more.
    expect((await counted(sweeps, () => sweepParked(rt.deps.wakes, { now: clock.now }))).sent).toBe(0);
    expect(await depth(eventQueueUrl)).toBe(1);

    const body = await receiveOne(eventQueueUrl);
    expect(JSON.parse(body)).toMatchObject({ type: 'wake', instanceId: 'nap-30', at: new Date(due).toISOString() });
    clock.nowMs = due + 500;
    const out = await counted(perTimer, () => processBody(rt.deps, body, { source: 'events' }));
    expect(out).toMatchObject({ outcome: 'wake', fired: 1 });
    expect(await rt.store.load('nap-30')).toMatchObject({ status: 'completed', result: 'rested' });
    expect(await depth(eventQueueUrl)).toBe(0);

    // The timer's own calls (besides the Lambda poller's receive + delete of its one message): the
    // sweep's claim of the page and its send (shared by up to 100 and 10 wake-ups under load); the
    // step's reads and the save that fires it. The sweep's reads of the marks and its 8 shard queries
    // are the cost of a run, whatever the number of sleepers (counted apart).
    const { Query: _q, GetItem: gets = 0, ...writes } = perTimer.calls;
    expect(writes).toEqual({ UpdateItem: 2, SendMessage: 1 }); // claim + the firing save; one message
    expect(gets).toBeLessThanOrEqual(1 + 3); // the marks; the step's loads
    expect(Object.keys(sweeps.calls).sort()).toEqual(['GetItem', 'Query']);
    process.stdout.write(`30-day sleep: calls for the timer ${JSON.stringify(perTimer.calls)}, sweeps ${JSON.stringify(sweeps.calls)} for 4 sweeps\n`);
  });

  it('retried starts during a long sleep send nothing (they used to start a hopping copy each)', async () => {
    const { eventQueueUrl, clock, rt } = await setup();
    await startWorkflow(rt.deps, { source: NAP, file: 'nap.workflow' }, { days: 30 }, { id: 'nap-retried' });
    const m = newMetrics();
    for (let k = 1; k <= 5; k++) {
      clock.nowMs += k * DAY;
      const again = await counted(m, () => startWorkflow(rt.deps, { source: NAP, file: 'nap.workflow' }, { days: 30 }, { id: 'nap-retried' }));
      expect(again.created).toBe(false);
    }
    expect(m.calls.SendMessage ?? 0).toBe(0);
    expect(await depth(eventQueueUrl)).toBe(0);
    expect(((await rt.store.load('nap-retried')) as AwsInstance).wake).toMatchObject({ parked: true });
  });

  it('a wake-up left hopping by an older version is parked when it arrives; its copies die instead of hopping', async () => {
    const { table, eventQueueUrl, clock, rt } = await setup();
    await startWorkflow(rt.deps, { source: NAP, file: 'nap.workflow' }, { days: 30 }, { id: 'nap-old' });
    // As an older version stored it: the wake-up in flight as a message, not parked.
    const i = (await rt.store.load('nap-old')) as AwsInstance;
    const old = { id: 'old-hop', at: i.wake!.at };
    await rt.store.setWake(i, i.version, old);
    const hop = JSON.stringify({ type: 'wake', instanceId: 'nap-old', wakeId: old.id, at: old.at });
    for (let k = 0; k < 3; k++) await sqs.send(new SendMessageCommand({ QueueUrl: eventQueueUrl, MessageBody: hop })); // the hop and two copies
    clock.nowMs += DAY;
    const m = newMetrics();
    const outcomes: string[] = [];
    for (let k = 0; k < 3; k++) {
      const body = await receiveOne(eventQueueUrl);
      const out = await counted(m, () => processBody(rt.deps, body, { source: 'events' }));
      outcomes.push(out.outcome === 'wake' ? out.result : out.outcome);
    }
    expect(outcomes).toEqual(['parked', 'stale', 'stale']);
    expect(m.calls).toEqual({ UpdateItem: 3 }); // one conditional write each, no read, no message
    expect(await depth(eventQueueUrl)).toBe(0);
    expect((await rawItem(table, 'nap-old'))[ATTR.parkAt]).toEqual({ S: `${old.at}#nap-old` });
  });
});
