/**
 * End to end on a fresh emulator: start ministack, `cdklocal bootstrap` + `deploy` the examples
 * stack (cdk/app.ts), then drive every example through the IAM-signed REST API and check results,
 * final states and step logs. The emulator is stopped (by its pid) whatever happens.
 *
 * Covers: Node tasks, a workflow with Node and Python tasks, a signal, a signal timeout, a sleep,
 * a parallel fan-out with a concurrency limit, a retry, cancel, API errors, listing, and a task
 * result delivered twice (and after the fact) that must not advance the instance twice, forged
 * results, signals and cancels (as a task function could send them) that must change nothing, and the
 * table's contents (definitions once by hash; the size of each instance item is reported), and a
 * lost wake-up repaired by the scheduled reconciler; handles (a timer racing a task, a quorum of task
 * handles) and a cancel with compensation (the catch's task runs, then the instance ends cancelled;
 * a second cancel ends it at once).
 */
import { CloudWatchClient, GetDashboardCommand, paginateDescribeAlarms, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, paginateFilterLogEvents, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, GetItemCommand, paginateScan, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ListQueuesCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetBucketLifecycleConfigurationCommand, ListObjectsV2Command, PutBucketLifecycleConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDefinition, decodeInstance, itemSize, writeUnits, type Item } from '../adapters/aws/item.ts';
import { DEFINITION_PREFIX } from '../adapters/aws/schema.ts';
import { attemptToken } from '../runtime/tokens.ts';
import { CurrantApi, type InstanceView } from './client.ts';
import { bootstrap, deployStack, REGION, restApiUrl, startEmulator, type Emulator } from './emulator.ts';

let emu: Emulator | undefined;
let out: Record<string, string>;
let api: CurrantApi;
let sqs: SQSClient;
let dynamo: DynamoDBClient;
let s3: S3Client;
let failed = false;

beforeAll(async () => {
  emu = await startEmulator();
  await bootstrap(emu);
  // A reconciler grace of 2 s (default 5 min) so the lost-wake-up test is done within a schedule tick.
  out = await deployStack(emu, { stack: 'CurrantExamples', context: { 'currant:reconcileGraceSeconds': '2' } });
  api = new CurrantApi(restApiUrl(emu, out.ApiId!, out.ApiStage!), { region: REGION });
  const client = clientConfig();
  sqs = new SQSClient(client);
  dynamo = new DynamoDBClient(client);
  s3 = new S3Client({ ...client, forcePathStyle: true });
}, 600_000);

afterAll(async () => {
  if (failed && emu) {
    // The emulator's log holds the Lambdas' output: the first place to look when a test fails.
    const lines = readFileSync(emu.logFile, 'utf8').split('\n');
    process.stderr.write(`--- last lines of ${emu.logFile} ---\n${lines.slice(-80).join('\n')}\n`);
  }
  sqs?.destroy();
  dynamo?.destroy();
  s3?.destroy();
  await emu?.stop();
});

/** SDK client settings for the emulator. */
function clientConfig() {
  return { endpoint: emu!.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
}

/** Marks the run as failed so afterAll prints the emulator log. */
async function step<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    failed = true;
    throw e;
  }
}

const taskSteps = (i: InstanceView, task?: string) => i.steps.filter((s) => s.kind === 'task' && (task === undefined || s.task === task));

async function queueDepth(url: string): Promise<number> {
  const r = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(r.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(r.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** SendMessage params for a queue: FIFO queues (the result queue) need a group and a deduplication id. */
function sendParams(QueueUrl: string, MessageBody: string) {
  const fifo = QueueUrl.endsWith('.fifo');
  const instanceId = (JSON.parse(MessageBody) as { instanceId?: string }).instanceId ?? 'none';
  return { QueueUrl, MessageBody, ...(fifo ? { MessageGroupId: instanceId, MessageDeduplicationId: createHash('sha256').update(MessageBody + Math.random()).digest('hex') } : {}) };
}

/** Waits (up to 20 s) until a queue holds no more than `ok` allows (default: nothing at all). */
async function drained(url: string, ok: (n: number) => boolean = (n) => n === 0): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!ok(await queueDepth(url)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
}

/** The instance as stored (with fields no view shows, like its token secret). */
async function storedInstance(id: string) {
  const r = await dynamo.send(new GetItemCommand({ TableName: out.TableName!, Key: { id: { S: id } }, ConsistentRead: true }));
  return decodeInstance(r.Item as Item);
}

/** How many messages the step function logged as refused so far (its log lines are in the emulator's log). */
async function refusedCount(): Promise<number> {
  return readFileSync(emu!.logFile, 'utf8').split('\n').filter((l) => l.includes('message refused and dropped') && l.includes('"outcome":"refused"')).length;
}

describe('currant on the emulator', () => {
  it('order: charges, ships and returns the tracking id (Node tasks)', () =>
    step(async () => {
      const started = await api.start('processOrder', { orderId: 'o-1001', amount: 42 }, 'order-1');
      expect(started.status).toBe(201);
      expect(started.body.id).toBe('order-1');
      const done = await api.waitForEnd('order-1');
      expect(done.status).toBe('completed');
      expect(done.result).toBe('TRK-o-1001');
      expect(taskSteps(done).map((s) => s.task)).toEqual(['chargeCard', 'shipOrder']);
    }));

  it('order: a shipping failure takes the refund path', () =>
    step(async () => {
      const started = await api.start('processOrder', { orderId: 'backorder-7', amount: 42 });
      expect(started.status).toBe(201);
      const done = await api.waitForEnd(started.body.id);
      expect(done).toMatchObject({ status: 'completed', result: 'refunded' });
      expect(taskSteps(done).map((s) => s.task)).toEqual(['chargeCard', 'shipOrder', 'refundOrder']);
    }));

  it('mixed: one workflow, Node and Python tasks, the two counts in parallel', () =>
    step(async () => {
      const text = '  Durable   workflows in TWO languages ';
      const started = await api.start('mixed', { text });
      expect(started.status).toBe(201);
      const done = await api.waitForEnd(started.body.id);
      const clean = 'durable workflows in two languages';
      const letters = clean.replace(/ /g, '').length;
      expect(done.status).toBe('completed');
      expect(done.result).toEqual({ text: clean, words: 5, letters, headline: `${clean.toUpperCase()} (5 words, ${letters} letters)` });
      expect(taskSteps(done).map((s) => s.task).sort()).toEqual(['countLetters', 'countWords', 'headline', 'normalize']);
    }));

  it('approval: a signal delivers its payload to the waiting workflow', () =>
    step(async () => {
      const { body } = await api.start('approval', { requestId: 'req-1', amount: 250 });
      // The workflow waits 3 s for the signal; send it as soon as the wait is visible.
      const waiting = await api.waitFor(body.id, (i) => i.pending.signals.some((s) => s.name === 'approval'));
      expect(waiting.status).toBe('waiting');
      const sent = await api.signal(body.id, 'approval', { approved: true, by: 'ana' });
      expect(sent.status).toBe(200); // applied by the api itself
      const done = await api.waitForEnd(body.id);
      expect(done).toMatchObject({ status: 'completed', result: 'approved by ana' });
    }));

  it('approval: a payload that is not a Decision (signal<Decision>) is refused with 400 and the path, the instance unchanged', () =>
    step(async () => {
      const { body } = await api.start('approval', { requestId: 'req-typed', amount: 5 });
      const waiting = await api.waitFor(body.id, (i) => i.pending.signals.some((s) => s.name === 'approval'));
      const refused = await api.signal(body.id, 'approval', 42);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'SIGNAL_PAYLOAD_INVALID', problems: ['$: expected Decision, got number'] });
      const fields = await api.signal(body.id, 'approval', { approved: 'yes' });
      expect(fields.status).toBe(400);
      expect(fields.body.error.problems).toEqual(['$.approved: expected boolean, got string']);
      // refused at the door: nothing received or refused in the steps (the 5 s timeout may fire meanwhile)
      const after = await api.get(body.id);
      expect(after.body.steps.filter((s) => s.kind === 'signal' && /^(received|refused)/.test(s.outcome))).toEqual([]);
      expect(waiting.status).toBe('waiting');
    }));

  it('approval: nobody answers, the signal timeout fires and the workflow moves on', () =>
    step(async () => {
      const { body } = await api.start('approval', { requestId: 'req-2', amount: 10 });
      const done = await api.waitForEnd(body.id);
      expect(done).toMatchObject({ status: 'completed', result: 'expired: nobody answered in time' });
      expect(done.steps.some((s) => s.kind === 'timer' && /timed out/.test(s.outcome))).toBe(true);
    }));

  it('a lost wake-up: the scheduled reconciler finds it overdue and the instance moves on', () =>
    step(async () => {
      const { body } = await api.start('approval', { requestId: 'req-lost', amount: 10 });
      const waiting = await api.waitFor(body.id, (i) => i.pending.signals.some((s) => s.name === 'approval'));
      // The wake-up now in flight is for the signal's 5 s timeout. Lose it: give the item another
      // wake-up id (as setWake would, bumping the version), so the real message arrives stale and
      // is dropped. Nothing else will ever move this instance: only the reconciler can.
      const item = await storedInstance(body.id);
      expect(item.wake?.at).toBeDefined();
      await dynamo.send(
        new UpdateItemCommand({
          TableName: out.TableName!,
          Key: { id: { S: body.id } },
          UpdateExpression: 'SET wakeId = :lost, version = :next',
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':lost': { S: 'lost-wake' }, ':v': { N: String(item.version) }, ':next': { N: String(item.version + 1) } },
        }),
      );
      expect(waiting.status).toBe('waiting');
      const reconcilerRuns = () => readFileSync(emu!.logFile, 'utf8').split('\n').filter((l) => l.includes('instance repaired: the reconciler re-sent its lost wake-up') && l.includes(body.id)).length;
      expect(reconcilerRuns()).toBe(0);
      // The schedule runs every minute; the grace is 2 s after the 5 s timeout.
      const done = await api.waitForEnd(body.id, 100_000);
      expect(done).toMatchObject({ status: 'completed', result: 'expired: nobody answered in time' });
      // The emulator writes a function's output when its invocation ends: the repairing step may
      // still be re-arming (or the log line still on its way) after the instance has completed.
      for (let k = 0; k < 100 && reconcilerRuns() === 0; k++) await new Promise((r) => setTimeout(r, 100));
      expect(reconcilerRuns()).toBeGreaterThan(0);
      const final = await storedInstance(body.id);
      expect(final.wake).toBeUndefined(); // finished: out of the byDue index
    }), 120_000);

  it('polling: durable sleeps between checks (timers on the event queue)', () =>
    step(async () => {
      const { body } = await api.start('polling', { name: 'report' });
      const done = await api.waitForEnd(body.id);
      expect(done).toMatchObject({ status: 'completed', result: { jobId: 'job-report', checks: 3, result: 'job-report: 3 pages, 42 rows' } });
      const sleeps = done.steps.filter((s) => s.kind === 'sleep');
      const wakes = done.steps.filter((s) => s.kind === 'timer');
      expect(sleeps).toHaveLength(2);
      expect(wakes).toHaveLength(2);
      // a sleep of 1 s really waited: each wake-up is at least 1 s after its sleep began
      for (let k = 0; k < 2; k++) {
        expect(Date.parse(wakes[k]!.at) - Date.parse(sleeps[k]!.at)).toBeGreaterThanOrEqual(1000);
      }
    }));

  it('fanout: eight items, at most three in flight, results in order', () =>
    step(async () => {
      const items = ['apple', 'banana', 'cherry', 'damson', 'elder', 'fig', 'grape', 'huckleberry'];
      const { body } = await api.start('fanout', { items });
      const done = await api.waitForEnd(body.id, 90_000);
      expect(done.status).toBe('completed');
      const result = done.result as { count: number; totalSize: number; peakInFlight: number };
      expect(result.count).toBe(8);
      expect(result.totalSize).toBe(items.join('').length);
      expect(result.peakInFlight).toBeGreaterThanOrEqual(1);
      expect(result.peakInFlight).toBeLessThanOrEqual(3);
      expect(taskSteps(done, 'processItem')).toHaveLength(8);
    }));

  it('fanin: 300 results arriving together complete in seconds, each task run once, nothing in a DLQ', () =>
    step(async () => {
      const items = Array.from({ length: 300 }, (_, k) => k + 1);
      const t0 = Date.now();
      const { body } = await api.start('fanin', { items });
      const done = await api.waitForEnd(body.id, 180_000);
      const seconds = (Date.now() - t0) / 1000;
      process.stderr.write(`[infra] fanin of 300: completed in ${seconds.toFixed(1)} s, version ${done.version}\n`);
      expect(done).toMatchObject({ status: 'completed', result: { count: 300, sum: (300 * 301 * 601) / 6 } });
      const squares = taskSteps(done, 'square');
      expect(squares.every((s) => s.attempt === 1 && s.outcome === 'ok')).toBe(true); // no retry, no timeout
      expect(done.steps.filter((s) => s.kind === 'retry')).toEqual([]);
      expect(await queueDepth(out.ResultDlqUrl!)).toBe(0);
      expect(await queueDepth(out.EventDlqUrl!)).toBe(0);
    }));

  it('bulk: a 2 MB input through the API and a 5 MB task result, stored aside in S3 and travelling as references', () =>
    step(async () => {
      const text = randomBytes(1_572_864).toString('base64'); // 2 MiB of characters that do not compress away
      const bytes = 5 * 1024 * 1024;
      const started = await api.start('bulk', { text, bytes });
      expect(started.status, JSON.stringify(started.body).slice(0, 300)).toBe(201);
      expect((started.body.input as { text: string }).text).toBe(text);
      const id = started.body.id;
      const done = await api.waitForEnd(id, 120_000);
      const report = text.repeat(Math.ceil(bytes / text.length)).slice(0, bytes);
      expect(done).toMatchObject({ status: 'completed', result: { inputChars: text.length, reportChars: bytes, digest: { bytes, sha256: createHash('sha256').update(report).digest('hex') } } });
      expect(taskSteps(done).map((s) => [s.task, s.attempt, s.outcome])).toEqual([['render', 1, 'ok'], ['digest', 1, 'ok']]);
      // The item points at its document in the bucket: too large for a DynamoDB item.
      const raw = (await dynamo.send(new GetItemCommand({ TableName: out.TableName!, Key: { id: { S: id } }, ConsistentRead: true }))).Item!;
      expect(raw.docRef?.S).toMatch(new RegExp(`^state/${id}/\\d+-[A-Za-z0-9_-]+\\.json\\.br$`));
      expect(raw.doc ?? raw.docz).toBeUndefined();
      const keys = async (prefix: string) => ((await s3.send(new ListObjectsV2Command({ Bucket: out.PayloadBucket!, Prefix: prefix }))).Contents ?? []).map((o) => [o.Key!, o.Size!] as const);
      // Only the current document is kept (each save deletes the one it replaced).
      expect((await keys(`state/${id}/`)).map(([k]) => k)).toEqual([raw.docRef!.S]);
      // Both calls' arguments (2 MB, 5 MB) went by reference; render's 5 MB result was stored by the task.
      expect((await keys(`args/${id}/`)).map(([, size]) => size).sort((a, b) => a - b)).toEqual([Buffer.byteLength(JSON.stringify([text, bytes])), Buffer.byteLength(JSON.stringify([report]))]);
      const results = await keys(`results/${id}/`);
      expect(results).toHaveLength(1);
      expect(results[0]![1]).toBe(bytes + 2); // the JSON string
    }), 180_000);

  it('the payload bucket: lifecycle configuration as the construct declares it is accepted by the emulator', () =>
    step(async () => {
      // ministack's CloudFormation keeps no bucket lifecycle configuration (the assertion test in
      // test/cdk checks the template); its S3 API stores and returns one, which is checked here.
      const Rules = [
        { ID: 'args-in-transit', Filter: { Prefix: 'args/' }, Status: 'Enabled' as const, Expiration: { Days: 30 } },
        { ID: 'results-in-transit', Filter: { Prefix: 'results/' }, Status: 'Enabled' as const, Expiration: { Days: 30 } },
      ];
      await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: out.PayloadBucket!, LifecycleConfiguration: { Rules } }));
      const got = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: out.PayloadBucket! }));
      expect(got.Rules?.map((r) => [r.ID, r.Filter?.Prefix, r.Expiration?.Days])).toEqual([['args-in-transit', 'args/', 30], ['results-in-transit', 'results/', 30]]);
    }));

  it('flaky: two failed attempts are retried with backoff, the third succeeds', () =>
    step(async () => {
      const symbol = `ACME${Date.now() % 100000}`;
      const { body } = await api.start('flaky', { symbol });
      const done = await api.waitForEnd(body.id);
      expect(done).toMatchObject({ status: 'completed', result: `${symbol} at 101.5 (attempt 3)` });
      expect(done.steps.filter((s) => s.kind === 'retry').map((s) => s.attempt)).toEqual([2, 3]);
      expect(taskSteps(done, 'fetchQuote').map((s) => s.attempt)).toEqual([1, 2, 3]);
    }));

  it('redrive: a task failure resumes from its await through the API, once per key; a second redrive is refused (409)', () =>
    step(async () => {
      // fetchQuote fails the first two calls per symbol; quoteOnce allows two attempts, so it fails
      const symbol = `RDRV${Date.now() % 100000}`;
      const { body } = await api.start('quoteOnce', { symbol });
      const failed = await api.waitForEnd(body.id);
      expect(failed).toMatchObject({ status: 'failed', error: { code: 'CR007', task: 'fetchQuote', attempts: 2 }, redrive: { possible: true, task: 'fetchQuote' } });
      const key = { 'Idempotency-Key': `redrive-${symbol}` };
      const r = await api.request('POST', `/instances/${encodeURIComponent(body.id)}/redrive`, {}, key);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ duplicate: false });
      const again = await api.request('POST', `/instances/${encodeURIComponent(body.id)}/redrive`, {}, key);
      expect(again.status).toBe(200);
      const done = await api.waitForEnd(body.id);
      // the variable computed before the failure is still there; the third call answers
      expect(done).toMatchObject({ status: 'completed', result: `quote for ${symbol}: 101.5 (call 3)` });
      expect(done.steps.filter((s) => s.kind === 'redrive')).toHaveLength(1);
      expect(taskSteps(done, 'fetchQuote').map((s) => s.attempt)).toEqual([1, 2, 1]);
      const twice = await api.request('POST', `/instances/${encodeURIComponent(body.id)}/redrive`, {}, { 'Idempotency-Key': 'another' });
      expect(twice.status).toBe(409);
      expect(twice.body.error.code).toBe('INSTANCE_NOT_FAILED');
    }));

  it('the viewer reads a deployed engine through the signed API (currant ui --api)', () =>
    step(async () => {
      const { remoteBackend } = await import('../ui/remote.ts');
      const backend = await remoteBackend(restApiUrl(emu!, out.ApiId!, out.ApiStage!), { region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const caps = await backend.capabilities();
      expect(caps.workflows).toEqual(expect.arrayContaining(['processOrder', 'quoteOnce']));
      const { body } = await api.start('processOrder', { orderId: 'ui-1', amount: 5 });
      await api.waitForEnd(body.id);
      const page = await backend.instance(body.id);
      expect(page?.instance).toMatchObject({ id: body.id, status: 'completed' });
      expect(page?.definition?.workflow).toBe('processOrder');
      expect(page?.graph?.nodes.some((n) => n.label === 'chargeCard')).toBe(true);
      expect((await backend.list({ workflow: 'processOrder' })).items.map((i) => i.id)).toContain(body.id);
    }));

  it('saga: a permanent task failure is caught, the hotel cancelled, and the instance fails at its throw', () =>
    step(async () => {
      const { body } = await api.start('bookTrip', { trip: 't9', to: 'Atlantis' });
      const done = await api.waitForEnd(body.id);
      expect(done).toMatchObject({ status: 'failed', error: { code: 'CR017', message: 'trip t9 not booked (NoSeats: no seats to Atlantis)', line: 20 } });
      expect(taskSteps(done).map((s) => s.task)).toEqual(['bookHotel', 'bookFlight', 'cancelHotel']);
    }));

  it('children: the order pays through a child workflow (its own instance) and mails through a detached one', () =>
    step(async () => {
      const { body } = await api.start('order', { orderId: 'c-1', amount: 25 }, 'kids-1');
      const done = await api.waitForEnd(body.id);
      expect(done).toMatchObject({ status: 'completed', result: { paymentId: 'pay-c-1-1', tracking: 'track-c-1', mail: 'mail-c-1' } });
      const charge = done.children!.find((c) => c.workflow === 'charge')!;
      expect(charge).toMatchObject({ status: 'completed', line: expect.any(Number) });
      expect(charge.id).toMatch(/^kids-1:n\d+\.s\d+$/);
      expect(done.children!.find((c) => c.workflow === 'notify')).toMatchObject({ id: 'mail-c-1', status: 'detached' });
      const child = (await api.get(charge.id)).body;
      expect(child).toMatchObject({ workflow: 'charge', status: 'completed', parent: { id: 'kids-1', awaited: true }, result: { paymentId: 'pay-c-1-1' } });
      // the detached child runs to its end on its own
      const mail = await api.waitForEnd('mail-c-1');
      expect(mail).toMatchObject({ status: 'completed', parent: { id: 'kids-1', awaited: false } });
      expect(taskSteps(mail).map((s) => s.task)).toEqual(['sendMail']);
    }));

  it('children: a declined card fails the child; the parent catches CR040 and fails at its throw', () =>
    step(async () => {
      const { body } = await api.start('order', { orderId: 'stolen-c2', amount: 50 }, 'kids-2');
      const done = await api.waitForEnd(body.id);
      expect(done).toMatchObject({ status: 'failed', error: { code: 'CR017', message: 'order stolen-c2 not paid (CR007)' } });
      const charge = done.children!.find((c) => c.workflow === 'charge')!;
      expect(charge.status).toBe('failed');
      expect((await api.get(charge.id)).body).toMatchObject({ status: 'failed', error: { code: 'CR007' } });
    }));

  it('children: a big order waits for its review child; a signal to the child lets the order go on', () =>
    step(async () => {
      const { body } = await api.start('order', { orderId: 'c-3', amount: 900 }, 'kids-3');
      const waiting = await api.waitFor(body.id, (i) => (i.children ?? []).some((c) => c.workflow === 'review'));
      const review = waiting.children!.find((c) => c.workflow === 'review')!;
      await api.waitFor(review.id, (i) => i.pending.signals.some((s) => s.name === 'decision'));
      expect((await api.signal(review.id, 'decision', { approved: true, by: 'ann' })).status).toBe(200);
      const done = await api.waitForEnd(body.id);
      expect(done).toMatchObject({ status: 'completed', result: { paymentId: 'pay-c-3-1', mail: 'mail-c-3' } });
      expect(done.children!.map((c) => [c.workflow, c.status])).toEqual([
        ['review', 'completed'],
        ['charge', 'completed'],
        ['notify', 'detached'],
      ]);
    }));

  it('children: cancelling the order cancels the review it awaits (through the event queue)', () =>
    step(async () => {
      const { body } = await api.start('order', { orderId: 'c-4', amount: 900 }, 'kids-4');
      const waiting = await api.waitFor(body.id, (i) => (i.children ?? []).some((c) => c.workflow === 'review'));
      const review = waiting.children!.find((c) => c.workflow === 'review')!;
      await api.waitFor(review.id, (i) => i.status === 'waiting');
      expect((await api.cancel(body.id, 'customer left')).status).toBe(200);
      const child = await api.waitForEnd(review.id);
      expect(child).toMatchObject({ status: 'cancelled', parent: { id: 'kids-4', awaited: true } });
      expect(child.error!.message).toContain('customer left');
      expect((await api.waitForEnd(body.id)).status).toBe('cancelled');
    }));

  it('a task result delivered twice (and again later) advances the instance once', () =>
    step(async () => {
      const { body } = await api.start('polling', { name: 'dup' });
      // Wait until the first check is done and the instance sleeps: startJob and checkJob #1 answered.
      const sleeping = await api.waitFor(body.id, (i) => i.steps.some((s) => s.kind === 'sleep'));
      const [startJob, firstCheck] = taskSteps(sleeping);
      expect(startJob?.task).toBe('startJob');
      expect(firstCheck?.task).toBe('checkJob');
      // Real duplicates carry the attempt's token, as the task function got it in its message.
      const { secret } = await storedInstance(body.id);
      const resultMessage = (taskId: string, result: unknown) =>
        JSON.stringify({ protocol: 'currant.result.v1', type: 'taskResult', instanceId: body.id, taskId, attempt: 1, token: attemptToken(secret!, taskId, 1), ok: true, result });
      const dupes = [
        resultMessage(startJob!.taskId!, 'job-dup'),
        resultMessage(startJob!.taskId!, 'job-dup'),
        resultMessage(firstCheck!.taskId!, { done: false, progress: 33 }),
        resultMessage(firstCheck!.taskId!, { done: false, progress: 33 }),
      ];
      await Promise.all(dupes.map((MessageBody) => sqs.send(new SendMessageCommand(sendParams(out.ResultQueueUrl!, MessageBody)))));

      const done = await api.waitForEnd(body.id);
      // Had a duplicate advanced the loop, there would be an extra check (checks 4) or a second startJob.
      expect(done).toMatchObject({ status: 'completed', result: { jobId: 'job-dup', checks: 3 } });
      expect(taskSteps(done).map((s) => s.task)).toEqual(['startJob', 'checkJob', 'checkJob', 'checkJob', 'fetchResult']);
      expect(new Set(taskSteps(done).map((s) => s.taskId)).size).toBe(5);

      // And once more after the end: nothing changes, nothing fails into the DLQ.
      await sqs.send(new SendMessageCommand(sendParams(out.ResultQueueUrl!, dupes[0]!)));
      await drained(out.ResultQueueUrl!);
      const after = (await api.get(body.id)).body;
      expect(after.version).toBe(done.version);
      expect(after.steps).toEqual(done.steps);
      expect(await queueDepth(out.ResultDlqUrl!)).toBe(0);
    }));

  it('forged results (no token, a wrong token) on either queue are dropped; the real ones complete the fan-out', () =>
    step(async () => {
      const items = Array.from({ length: 24 }, (_, k) => `item-${k}`);
      const { body } = await api.start('fanout', { items });
      // Task ids are predictable (the await's id plus the item's index): forge a result for every
      // item while the fan-out runs, in the previous format (no token) and with a guessed token.
      const running = await api.waitFor(body.id, (i) => i.pending.tasks.length > 0);
      const prefix = running.pending.tasks[0]!.taskId.replace(/\.\d+$/, '.');
      const forged = items.flatMap((_, k) =>
        [undefined, 'AAAAAAAAAAAAAAAAAAAAAA'].map((token) =>
          JSON.stringify({ protocol: 'currant.result.v1', type: 'taskResult', instanceId: body.id, taskId: `${prefix}${k}`, attempt: 1, token, ok: true, result: { item: 'evil', size: 1000, inFlight: 99 } }),
        ),
      );
      for (const QueueUrl of [out.ResultQueueUrl!, out.EventQueueUrl!]) {
        for (let k = 0; k < forged.length; k += 10) {
          await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: forged.slice(k, k + 10).map((MessageBody, n) => ({ Id: String(n), ...sendParams(QueueUrl, MessageBody), QueueUrl: undefined })) }));
        }
      }
      const done = await api.waitForEnd(body.id, 120_000);
      expect(done.status).toBe('completed');
      expect(done.result).toEqual({ count: 24, totalSize: items.join('').length, peakInFlight: expect.any(Number) });
      expect((done.result as { peakInFlight: number }).peakInFlight).toBeLessThanOrEqual(3);
      expect(taskSteps(done, 'processItem')).toHaveLength(24);
      await drained(out.ResultQueueUrl!);
      await drained(out.EventQueueUrl!);
      expect(await refusedCount()).toBeGreaterThanOrEqual(forged.length * 2);
    }));

  it('forged signals and cancels on either queue are dropped; a signal through the api still works', () =>
    step(async () => {
      const { body } = await api.start('approval', { requestId: 'req-forge', amount: 7 });
      const waiting = await api.waitFor(body.id, (i) => i.pending.signals.some((s) => s.name === 'approval'));
      const signal = JSON.stringify({ type: 'signal', instanceId: body.id, name: 'approval', payload: { approved: true, by: 'mallory' }, signalId: 'signal:forged' });
      const cancel = JSON.stringify({ type: 'cancel', instanceId: body.id, reason: 'forged' });
      for (const QueueUrl of [out.ResultQueueUrl!, out.EventQueueUrl!]) {
        for (const MessageBody of [signal, cancel]) await sqs.send(new SendMessageCommand(sendParams(QueueUrl, MessageBody)));
      }
      await drained(out.ResultQueueUrl!);
      await drained(out.EventQueueUrl!, (n) => n <= 1); // the signal timeout's wake-up stays delayed there
      const still = (await api.get(body.id)).body;
      expect(still).toMatchObject({ status: 'waiting', version: waiting.version });
      const sent = await api.signal(body.id, 'approval', { approved: true, by: 'ann' });
      expect(sent.status).toBe(200);
      const done = await api.waitForEnd(body.id);
      expect(done).toMatchObject({ status: 'completed', result: 'approved by ann' });
    }));

  it('cancel stops a waiting instance; a late signal is refused', () =>
    step(async () => {
      const { body } = await api.start('approval', { requestId: 'req-3', amount: 1 });
      await api.waitFor(body.id, (i) => i.pending.signals.length > 0);
      const cancelled = await api.cancel(body.id, 'changed my mind');
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      const late = await api.signal(body.id, 'approval', { approved: true, by: 'late' });
      expect(late.status).toBe(409);
      // the signal timeout still fires on the event queue, and is ignored
      await new Promise((r) => setTimeout(r, 3500));
      expect((await api.get(body.id)).body.status).toBe('cancelled');
    }));

  it('reservation: a cancel throws at the await, the catch releases the reservation (a task), then the instance ends cancelled', () =>
    step(async () => {
      const { body } = await api.start('holdItem', { item: 'lamp' });
      await api.waitFor(body.id, (i) => i.status === 'waiting' && i.pending.signals.some((s) => s.name === 'confirm'));
      const r = await api.cancel(body.id, 'customer left');
      expect(r.status).toBe(200);
      // the answer is the instance compensating: the release task is already sent
      expect(r.body.status).toBe('running');
      expect(r.body.cancelling).toMatchObject({ reason: 'customer left' });
      expect(r.body.pending.tasks.map((t) => t.task)).toEqual(['release']);
      expect(r.body.variables).toMatchObject({ reservation: 'res-lamp', e: { name: 'CancelledError', code: 'CANCELLED', message: 'customer left' } });
      const done = await api.waitForEnd(body.id);
      expect(done).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED', message: 'customer left' } });
      expect(done.cancelling).toBeUndefined();
      expect(taskSteps(done).map((s) => `${s.task} ${s.outcome}`)).toEqual(['reserve ok', 'release ok']);
      expect(done.steps.filter((s) => s.kind === 'log').map((s) => s.outcome)).toEqual(['CancelledError: customer left; releasing res-lamp']);
      // nothing left behind: the grace timer was cancelled with the end
      expect(done.pending).toEqual({ tasks: [], timers: [], signals: [] });
    }));

  it('reservation: a second cancel while the release runs ends it at once', () =>
    step(async () => {
      const { body } = await api.start('holdItem', { item: 'sofa' });
      await api.waitFor(body.id, (i) => i.status === 'waiting' && i.pending.signals.length > 0);
      const first = await api.cancel(body.id, 'first');
      expect(first.body.cancelling).toBeDefined();
      const second = await api.cancel(body.id, 'second');
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED', message: 'first (cancelled again while compensating)' } });
    }));

  it('race: a slow supplier loses to the timer; its late quote is accepted and ignored', () =>
    step(async () => {
      const { body } = await api.start('bestPrice', { supplier: 'slow', sku: 'sku-9' });
      const done = await api.waitForEnd(body.id);
      expect(done).toMatchObject({ status: 'completed', result: { price: 15, from: 'list' } });
      expect(done.steps.filter((s) => s.kind === 'log').map((s) => s.outcome)).toEqual(['slow did not answer within 1s; using the list price']);
    }));

  it('quorum: five task handles raced one answer at a time; approved at 3 yes', () =>
    step(async () => {
      const { body } = await api.start('quorum', { request: 'q-1', approvers: ['yes-300', 'no-50', 'yes-100', 'away', 'yes-200'], needed: 3 });
      const done = await api.waitForEnd(body.id);
      expect(done).toMatchObject({ status: 'completed', result: { decision: 'approved', yes: 3, no: 1 } });
    }));

  it('answers bad requests with JSON 4xx errors', () =>
    step(async () => {
      const unknown = await api.start('noSuchWorkflow', {});
      expect(unknown.status).toBe(404);
      expect((unknown.body as unknown as { error: { code: string } }).error.code).toBeTruthy();
      const badInput = await api.start('processOrder', { orderId: 7 });
      expect(badInput.status).toBe(400);
      const badJson = await api.request('POST', '/workflows/processOrder/instances', '{"input": ');
      expect(badJson.status).toBe(400);
      const missing = await api.get('no-such-instance');
      expect(missing.status).toBe(404);
    }));

  it('refuses unsigned requests (IAM authorization is on)', () =>
    step(async () => {
      const res = await fetch(`${api.baseUrl}/instances/order-1`);
      expect(res.status).toBe(403);
    }));

  it('is idempotent on start with the same id and input, and lists instances by workflow', () =>
    step(async () => {
      const again = await api.start('processOrder', { orderId: 'o-1001', amount: 42 }, 'order-1');
      expect(again.status).toBe(200);
      expect(again.body.status).toBe('completed');
      const conflict = await api.start('processOrder', { orderId: 'o-1001', amount: 43 }, 'order-1');
      expect(conflict.status).toBe(409);
      const listed = await api.list({ workflow: 'processOrder' });
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((i) => i.id)).toContain('order-1');
      expect(listed.body.items.every((i) => i.workflow === 'processOrder')).toBe(true);
    }));

  it('stores each definition once by content hash; instances point at it (item sizes reported)', () =>
    step(async () => {
      const items: Item[] = [];
      for await (const page of paginateScan({ client: dynamo }, { TableName: out.TableName! })) items.push(...(page.Items ?? []));
      const defs = items.filter((i) => i.id?.S?.startsWith(DEFINITION_PREFIX)).map(decodeDefinition);
      const instances = items.filter((i) => !i.id?.S?.startsWith(DEFINITION_PREFIX));
      // one definition per workflow started above, each under its own hash
      expect(defs.map((d) => d.workflow).sort()).toEqual(['approval', 'bestPrice', 'bookTrip', 'bulk', 'charge', 'fanin', 'fanout', 'flaky', 'holdItem', 'mixed', 'notify', 'order', 'polling', 'processOrder', 'quorum', 'quoteOnce', 'review']);
      expect(new Set(defs.map((d) => d.hash)).size).toBe(defs.length);
      const sources = new Map(defs.map((d) => [d.hash, d.source]));
      const report: string[] = [];
      for (const item of instances) {
        if (item.docRef) continue; // stored aside (bulk): checked by its own test
        const i = decodeInstance(item);
        expect(sources.has(i.definitionHash), `${i.id} points at a stored definition`).toBe(true);
        // the source lives only in the definition item, never in the per-step instance item
        // (checked on the decoded instance: large documents are stored deflated)
        expect(JSON.stringify(i)).not.toContain(sources.get(i.definitionHash)!.slice(0, 80));
        const size = itemSize(item);
        report.push(`${i.workflow.padEnd(13)} ${i.id.padEnd(38)} ${i.status.padEnd(9)} ${String(size).padStart(6)} B  ${writeUnits(size)} WCU`);
      }
      process.stderr.write(`[infra] instance item sizes (final state):\n${report.sort().join('\n')}\n`);
    }));

  it('logs: one instance read back through the CloudWatch Logs API — api, step and task lines name its instance, event and outcome; metrics ride along as EMF', () =>
    step(async () => {
      const id = `obs-${Date.now()}`;
      expect((await api.start('processOrder', { orderId: id, amount: 7 }, id)).status).toBe(201);
      expect((await api.waitForEnd(id)).status).toBe('completed');
      const logs = new CloudWatchLogsClient(clientConfig());
      try {
        /** The JSON lines of a log group that mention `text` (START/END/REPORT and other plain lines skipped). */
        const lines = async (group: string, text: string): Promise<Record<string, any>[]> => {
          const events: FilteredLogEvent[] = [];
          for await (const page of paginateFilterLogEvents({ client: logs }, { logGroupName: group, filterPattern: `"${text}"` })) events.push(...(page.events ?? []));
          return events.flatMap((e) => {
            try {
              return [JSON.parse(e.message ?? '')];
            } catch {
              return [];
            }
          });
        };
        // Lambda output reaches CloudWatch Logs when the invocation ends: wait for the last step.
        const deadline = Date.now() + 20_000;
        let stepLines: Record<string, any>[] = [];
        while (Date.now() < deadline) {
          stepLines = (await lines(out.StepLogGroupName!, id)).filter((l) => l.instanceId === id);
          if (stepLines.some((l) => l.status === 'completed')) break;
          await new Promise((r) => setTimeout(r, 300));
        }
        const apiLines = (await lines(out.ApiHandlerLogGroupName!, id)).filter((l) => l.instanceId === id);
        process.stderr.write(`[infra] log lines of instance ${id}:\n${[...apiLines, ...stepLines].map((l) => JSON.stringify(l)).join('\n')}\n`);

        // The start, answered by the api function (its own log group, with the Lambda context).
        expect(apiLines).toContainEqual(
          expect.objectContaining({
            level: 'INFO',
            message: 'request',
            service: 'CurrantExamples',
            function_name: out.ApiFunctionName,
            instanceId: id,
            workflow: 'processOrder',
            event: 'start',
            outcome: 'ok',
            statusCode: 201,
          }),
        );
        // Each task result applied by the step function: one line each, in order, the last one completing it.
        const applied = stepLines.filter((l) => l.message === 'event applied');
        expect(applied.map((l) => [l.workflow, l.eventType, l.outcome, l.status, l.version])).toEqual([
          ['processOrder', 'taskResult', 'applied', 'running', 2],
          ['processOrder', 'taskResult', 'applied', 'completed', 3],
        ]);
        expect(applied.every((l) => l.function_name === out.StepFunctionName && typeof l.durationMs === 'number' && typeof l.event === 'string')).toBe(true);

        // The task function (Lambda's default log group): one line per attempt, same fields.
        const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/CurrantExamples-OrderTasks' }));
        expect(groups.logGroups?.length).toBe(1);
        const taskLines = (await lines(groups.logGroups![0]!.logGroupName!, id)).filter((l) => l.instanceId === id);
        expect(taskLines.map((l) => [l.message, l.task, l.event, l.outcome, l.attempt])).toEqual([
          ['task succeeded', 'chargeCard', 'task', 'succeeded', 1],
          ['task succeeded', 'shipOrder', 'task', 'succeeded', 1],
        ]);

        // The metrics: embedded-metric-format lines in the same log groups, per workflow (CloudWatch
        // turns these into metrics; the emulator stores them as lines).
        const emf = [...(await lines(out.ApiHandlerLogGroupName!, 'WorkflowsStarted')), ...(await lines(out.StepLogGroupName!, 'WorkflowsCompleted'))];
        const forOrder = emf.filter((l) => l._aws && l.workflow === 'processOrder' && l.service === 'CurrantExamples');
        expect(forOrder.some((l) => l.WorkflowsStarted >= 1 && l._aws.CloudWatchMetrics[0].Namespace === 'currant')).toBe(true);
        expect(forOrder.some((l) => l.WorkflowsCompleted >= 1 && l.Awaits >= 1 && l.StepDuration !== undefined)).toBe(true);
        expect(forOrder[0]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'workflow']]);
        // The step function's DynamoDB write units, on the engine's line (dimension service only).
        const writes = (await lines(out.StepLogGroupName!, 'StepWriteUnits')).filter((l) => l._aws && l.service === 'CurrantExamples');
        expect(writes.some((l) => l.StepWriteUnits >= 1 && l._aws.CloudWatchMetrics[0].Dimensions[0].length === 1)).toBe(true);
      } finally {
        logs.destroy();
      }
    }));

  it('alarms and dashboard: deployed by the construct, watching the DLQs, step errors and each workflow', () =>
    step(async () => {
      const cw = new CloudWatchClient(clientConfig());
      try {
        const alarms: MetricAlarm[] = [];
        for await (const page of paginateDescribeAlarms({ client: cw }, { AlarmNamePrefix: 'CurrantExamples-' })) alarms.push(...(page.MetricAlarms ?? []));
        const on = (ns: string, name: string) => alarms.filter((a) => a.Namespace === ns && a.MetricName === name);
        const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'CurrantExamples-' }));
        const dlqNames = QueueUrls.filter((u) => /Dlq/.test(u)).map((u) => u.slice(u.lastIndexOf('/') + 1));
        // One alarm per dead-letter queue, on the queue's own name.
        expect(on('AWS/SQS', 'ApproximateNumberOfMessagesVisible').map((a) => a.Dimensions?.[0]?.Value).sort()).toEqual(dlqNames.sort());
        expect(on('currant', 'StepErrors')).toEqual([expect.objectContaining({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Dimensions: [{ Name: 'service', Value: 'CurrantExamples' }] })]);
        // One on each engine function (the schedule function too: the examples declare schedules).
        const engineFns = [out.StepFunctionName, out.ApiFunctionName, out.ReconcileFunctionName, out.ScheduleFunctionName].filter((n): n is string => n !== undefined);
        expect(on('AWS/Lambda', 'Errors').map((a) => a.Dimensions?.[0]?.Value).sort()).toEqual(engineFns.sort());
        const dashboard = await cw.send(new GetDashboardCommand({ DashboardName: out.DashboardName! }));
        const body = JSON.parse(dashboard.DashboardBody!) as { widgets: { properties: { metrics?: unknown[][] } }[] };
        const metrics = body.widgets.flatMap((w) => w.properties.metrics ?? []);
        expect(metrics).toContainEqual(['currant', 'WorkflowsStarted', 'service', 'CurrantExamples', 'workflow', 'processOrder', expect.anything()]);
      } finally {
        cw.destroy();
      }
    }));

  it('left nothing in any dead-letter queue (failures travel as data, not as poison messages)', () =>
    step(async () => {
      const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'CurrantExamples-' }));
      const dlqs = QueueUrls.filter((u) => /Dlq/.test(u));
      // the event DLQ and one per task (compared by name: the host part may be spelled differently)
      const name = (u: string) => u.slice(u.lastIndexOf('/') + 1);
      expect(dlqs.map(name)).toContain(name(out.EventDlqUrl!));
      expect(dlqs.length).toBeGreaterThan(10);
      for (const url of dlqs) expect(await queueDepth(url), url).toBe(0);
    }));
});
