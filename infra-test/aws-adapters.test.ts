/**
 * adapters/aws against real DynamoDB and SQS semantics (the emulator): the shared Store contract on
 * `DynamoStore`, racing conditional saves, the table layout from `schema.ts`, and `SqsDispatcher`'s
 * messages, delays and batches. No CDK here: the table and queues are created with the SDK from the
 * same schema the construct uses, so this runs in seconds.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { S3BlobStore } from '../adapters/aws/blobs.ts';
import { httpBlobs } from '../sdk/node/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsDispatcher } from '../adapters/aws/dispatcher.ts';
import { ATTR, dueShard } from '../adapters/aws/schema.ts';
import { createTable } from './aws-setup.ts';
import { DynamoStore } from '../adapters/aws/store.ts';
import { wakePlans, type AwsInstance } from '../adapters/aws/wake.ts';
import { InputError, VersionConflictError, type DispatchCommand } from '../runtime/index.ts';
import { fakeInstance, storeContract } from '../test/runtime/store-contract.ts';
import { REGION, startEmulator, type Emulator } from './emulator.ts';

let emu: Emulator | undefined;
let ddb: DynamoDBClient;
let sqs: SQSClient;
let s3: S3Client;
let tables = 0;

beforeAll(async () => {
  emu = await startEmulator();
  const common = { endpoint: emu.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  ddb = new DynamoDBClient(common);
  sqs = new SQSClient(common);
  s3 = new S3Client({ ...common, forcePathStyle: true });
}, 120_000);

afterAll(async () => {
  ddb?.destroy();
  sqs?.destroy();
  s3?.destroy();
  await emu?.stop();
});

async function freshStore(): Promise<DynamoStore> {
  const name = `currant-test-${++tables}`;
  await createTable(ddb, name);
  return new DynamoStore(ddb, name);
}

storeContract('DynamoStore', freshStore);

describe('DynamoStore on DynamoDB', () => {
  it('lets exactly one of two racing saves of the same version win', async () => {
    const s = await freshStore();
    await s.create(fakeInstance('race'));
    const results = await Promise.allSettled([
      s.save(fakeInstance('race', { version: 2, status: 'waiting' }), 1),
      s.save(fakeInstance('race', { version: 2, status: 'completed' }), 1),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(VersionConflictError);
    expect((await s.load('race'))!.version).toBe(2);
  });

  it('switches between the plain and the compressed document without leaving the other behind', async () => {
    const s = await freshStore();
    await s.create(fakeInstance('doc'));
    const big = fakeInstance('doc', {
      version: 2,
      steps: Array.from({ length: 150 }, (_, k) => ({ at: '2026-01-01T00:00:00.000Z', kind: 'task' as const, task: 't', taskId: `n1.s${k}`, outcome: 'ok' })),
    });
    await s.save(big, 1);
    const table = `currant-test-${tables}`;
    const raw = async () => (await ddb.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'doc' } }, ConsistentRead: true }))).Item!;
    expect(Object.keys(await raw())).toContain(ATTR.docz);
    expect(Object.keys(await raw())).not.toContain(ATTR.doc);
    expect(await s.load('doc')).toEqual(big);
    await s.save(fakeInstance('doc', { version: 3 }), 2);
    expect(Object.keys(await raw())).toContain(ATTR.doc);
    expect(Object.keys(await raw())).not.toContain(ATTR.docz);
  });

  it('records one wake-up per instance: planned on create, kept for later timers, replaced for earlier ones', async () => {
    const s = await freshStore();
    const timer = (fireAt: string) => ({ fireAt, purpose: 'taskTimeout' as const, producedBy: 'start' });
    const table = `currant-test-${tables}`;
    const rawWake = async () => {
      const it = (await ddb.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'w' } }, ConsistentRead: true }))).Item!;
      return it[ATTR.wakeId] ? { id: it[ATTR.wakeId]!.S, at: it[ATTR.wakeAt]!.S } : undefined;
    };
    const created = fakeInstance('w', { timers: { a: timer('2026-01-01T00:05:00.000Z') } }) as AwsInstance;
    await s.create(created);
    const first = await rawWake();
    expect(first).toEqual({ id: expect.any(String), at: '2026-01-01T00:05:00.000Z' });
    expect(created.wake).toEqual(first);
    const loaded = (await s.load('w'))!;
    expect(loaded.wake).toEqual(first);
    // A later timer: covered by the wake-up in flight, nothing changes.
    await s.save({ ...loaded, version: 2, timers: { b: timer('2026-01-01T00:06:00.000Z') } }, 1);
    expect(await rawWake()).toEqual(first);
    // An earlier one: a new wake-up, written with the transition.
    const l2 = (await s.load('w'))!;
    await s.save({ ...l2, version: 3, timers: { b: timer('2026-01-01T00:06:00.000Z'), c: timer('2026-01-01T00:01:00.000Z') } }, 2);
    const second = await rawWake();
    expect(second).toEqual({ id: expect.any(String), at: '2026-01-01T00:01:00.000Z' });
    expect(second!.id).not.toBe(first!.id);
    // Re-arming is conditional on the version and bumps it (a stale re-arm fails).
    const l3 = (await s.load('w'))!;
    await expect(s.setWake(l3, 2, undefined)).rejects.toBeInstanceOf(VersionConflictError);
    await s.setWake(l3, 3, { id: 'w9', at: '2026-01-01T00:06:00.000Z' });
    expect(await rawWake()).toEqual({ id: 'w9', at: '2026-01-01T00:06:00.000Z' });
    expect((await s.load('w'))!.version).toBe(4);
    await s.setWake((await s.load('w'))!, 4, undefined);
    expect(await rawWake()).toBeUndefined();
    expect((await s.load('w'))!.timers).toEqual(l3.timers); // the document is untouched
  });

  it('finds overdue wake-ups through the byDue index across its shards; a finished instance leaves it', async () => {
    const s = await freshStore();
    const timer = (fireAt: string) => ({ fireAt, purpose: 'taskTimeout' as const, producedBy: 'start' });
    // 20 ids spread over the shards; wake-ups one minute apart from 00:00.
    for (let k = 0; k < 20; k++) {
      const at = `2026-01-01T00:${String(k).padStart(2, '0')}:00.000Z`;
      await s.create(fakeInstance(`d${k}`, { timers: { t: timer(at) } }));
    }
    const ids = (xs: { instanceId: string }[]) => xs.map((x) => x.instanceId).sort();
    const before = await s.overdueWakes('2026-01-01T00:10:00.000Z', 100);
    expect(ids(before)).toEqual(Array.from({ length: 10 }, (_, k) => `d${k}`).sort());
    expect(before.every((w) => w.wake.at < '2026-01-01T00:10:00.000Z' && w.wake.id.length > 0)).toBe(true);
    expect(await s.overdueWakes('2026-01-01T00:10:00.000Z', 4)).toHaveLength(4);
    // Finishing removes the wake-up: the item leaves the index.
    const d3 = (await s.load('d3'))!;
    await s.save({ ...d3, version: 2, status: 'completed', timers: {} }, 1);
    const raw = (await ddb.send(new GetItemCommand({ TableName: `currant-test-${tables}`, Key: { id: { S: 'd3' } }, ConsistentRead: true }))).Item!;
    expect(raw[ATTR.wakeId]).toBeUndefined();
    expect(raw[ATTR.wakeAt]).toBeUndefined();
    expect((await s.load('d3'))!.wake).toBeUndefined();
    // GSIs are eventually consistent: give the index a moment.
    let after = await s.overdueWakes('2026-01-01T00:10:00.000Z', 100);
    for (let k = 0; k < 20 && ids(after).includes('d3'); k++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await s.overdueWakes('2026-01-01T00:10:00.000Z', 100);
    }
    expect(ids(after)).toEqual(ids(before).filter((id) => id !== 'd3'));
  });

  it('parks a wake-up due beyond 15 minutes in byPark (no message), pages a shard after a mark, claims marks once; finishing leaves the index', async () => {
    const name = `currant-test-${++tables}`;
    await createTable(ddb, name);
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    const s = new DynamoStore(ddb, name, { nowMs: () => now });
    const timer = (fireAt: string) => ({ fireAt, purpose: 'sleep' as const, producedBy: 'start' });
    const raw = async (id: string) => (await ddb.send(new GetItemCommand({ TableName: name, Key: { id: { S: id } }, ConsistentRead: true }))).Item!;
    // A 30-day sleep and a 10-minute one: the first is parked, the second goes as a message.
    const far = fakeInstance('far', { status: 'waiting', timers: { s: timer('2026-01-31T00:00:00.000Z') } }) as AwsInstance;
    const near = fakeInstance('near', { status: 'waiting', timers: { s: timer('2026-01-01T00:10:00.000Z') } }) as AwsInstance;
    await s.create(far);
    await s.create(near);
    expect(far.wake).toEqual({ id: expect.any(String), at: '2026-01-31T00:00:00.000Z', parked: true });
    expect(wakePlans.get(far)).toEqual({ send: false });
    expect(wakePlans.get(near)).toEqual({ send: true });
    expect((await raw('far'))[ATTR.parkAt]).toEqual({ S: '2026-01-31T00:00:00.000Z#far' });
    expect((await raw('near'))[ATTR.parkAt]).toBeUndefined();
    expect((await s.load('far'))!.wake).toEqual(far.wake);
    // The sweep's question, per shard, after a mark, up to a horizon (the index is eventually consistent).
    const shard = Number(dueShard('far'));
    const page = async (after: string | undefined, before: string, want: number) => {
      let got: Awaited<ReturnType<DynamoStore['parkedWakes']>> = [];
      for (let k = 0; k < 30; k++) {
        got = await s.parkedWakes(shard, after, before, 100);
        if (got.length === want) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      return got;
    };
    expect(await page(undefined, '2026-01-30T23:46:00.000Z', 0)).toEqual([]);
    const found = await page(undefined, '2026-01-31T00:00:01.000Z', 1);
    expect(found).toEqual([{ instanceId: 'far', wake: far.wake, key: '2026-01-31T00:00:00.000Z#far' }]);
    expect(await s.parkedWakes(shard, found[0]!.key, '2026-02-01T00:00:00.000Z', 100)).toEqual([]); // after its own key: nothing
    expect(await s.parkedWakes(shard, '2026-01-31T00:00:00.000Z', '2026-02-01T00:00:00.000Z', 100)).toHaveLength(1); // after a bare time: it
    expect(await s.parkedWakes(shard, '2026-03-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z', 100)).toEqual([]); // a mark past the horizon
    // Marks: one small item; a claim moves a mark only from its current value.
    expect(await s.sweepMarks()).toEqual(Array.from({ length: 8 }, () => undefined));
    expect(await s.claimSweep(shard, undefined, found[0]!.key)).toBe(true);
    expect(await s.claimSweep(shard, undefined, found[0]!.key)).toBe(false); // an overlapping run
    expect(await s.claimSweep(shard, 'not the mark', 'x')).toBe(false);
    expect((await s.sweepMarks())[shard]).toBe(found[0]!.key);
    expect((await s.list({})).items.map((i) => i.id).sort()).toEqual(['far', 'near']); // the state item is not an instance
    // Park (an old hop arriving early) only the stored, unparked wake-up, once; no version bump.
    const n = (await s.load('near'))!;
    expect(await s.park('near', { id: 'stale', at: n.wake!.at })).toBe(false);
    expect(await s.park('near', n.wake!)).toBe(true);
    expect(await s.park('near', n.wake!)).toBe(false);
    expect((await raw('near'))[ATTR.parkAt]).toEqual({ S: `${n.wake!.at}#near` });
    expect((await s.load('near'))!.version).toBe(1);
    // A transition that replaces the parked wake-up with a near one sends it and leaves byPark.
    const f2 = (await s.load('far'))!;
    await s.save({ ...f2, version: 2, timers: { ...f2.timers, t: timer('2026-01-01T00:05:00.000Z') } }, 1);
    expect((await raw('far'))[ATTR.parkAt]).toBeUndefined();
    expect((await raw('far'))[ATTR.wakeAt]).toEqual({ S: '2026-01-01T00:05:00.000Z' });
    // setWake parks a far re-arm; finishing removes everything.
    const f3 = (await s.load('far'))!;
    await s.setWake(f3, 2, { id: 'w-far', at: '2026-01-31T00:00:00.000Z', parked: true });
    expect((await raw('far'))[ATTR.parkAt]).toEqual({ S: '2026-01-31T00:00:00.000Z#far' });
    const f4 = (await s.load('far'))!;
    expect(f4.wake).toEqual({ id: 'w-far', at: '2026-01-31T00:00:00.000Z', parked: true });
    await s.save({ ...f4, version: 4, status: 'completed', timers: {} }, 3);
    const done = await raw('far');
    expect([done[ATTR.parkAt], done[ATTR.wakeId], done[ATTR.wakeAt]]).toEqual([undefined, undefined, undefined]);
    expect(await page(undefined, '2026-12-31T00:00:00.000Z', 0)).toEqual([]);
  });

  it('pages a filtered listing past short index pages and refuses foreign cursors', async () => {
    const s = await freshStore();
    for (let k = 0; k < 12; k++) {
      await s.create(fakeInstance(`i${String(k).padStart(2, '0')}`, { workflow: 'w', status: k % 3 === 0 ? 'failed' : 'running', createdAt: `2026-01-01T00:00:${String(k).padStart(2, '0')}.000Z` }));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.list({ workflow: 'w', status: 'failed', limit: 2, cursor });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.cursor;
    } while (cursor);
    expect(seen).toEqual(['i09', 'i06', 'i03', 'i00']);
    const first = await s.list({ status: 'running', limit: 1 });
    await expect(s.list({ workflow: 'w', cursor: first.cursor })).rejects.toBeInstanceOf(InputError);
  });
});

describe('values stored aside in S3', () => {
  let buckets = 0;
  async function freshBlobs(): Promise<S3BlobStore> {
    const bucket = `currant-payloads-${++buckets}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    return new S3BlobStore(s3, bucket);
  }
  const keys = async (bucket: string, prefix: string) => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);

  it('DynamoStore keeps a document too large for an item in the bucket, replaces it on save and cleans up after a conflict', async () => {
    const blobs = await freshBlobs();
    const name = `currant-test-${++tables}`;
    await createTable(ddb, name);
    const s = new DynamoStore(ddb, name, { blobs });
    const raw = async () => (await ddb.send(new GetItemCommand({ TableName: name, Key: { id: { S: 'big' } }, ConsistentRead: true }))).Item!;
    const payload = randomBytes(1_200_000).toString('base64'); // 1.6 MB that brotli cannot shrink much
    const first = fakeInstance('big', { input: { payload } }) as AwsInstance;
    await s.create(first);
    const item1 = await raw();
    expect(item1[ATTR.docRef]?.S).toMatch(/^state\/big\/1-/);
    expect(item1[ATTR.doc] ?? item1[ATTR.docz]).toBeUndefined();
    expect(JSON.parse(item1[ATTR.sum]!.S!)).toMatchObject({ id: 'big', status: 'running' });
    const loaded = (await s.load('big'))!;
    expect(loaded.input).toEqual({ payload });
    // A save writes a new blob and deletes the one it replaced.
    await s.save({ ...loaded, version: 2, status: 'waiting' }, 1);
    const item2 = await raw();
    expect(item2[ATTR.docRef]!.S).not.toBe(item1[ATTR.docRef]!.S);
    expect(await keys(blobs.bucket, 'state/big/')).toEqual([item2[ATTR.docRef]!.S]);
    // A losing save deletes its own blob; the winner's stays.
    await expect(s.save({ ...loaded, version: 2, status: 'completed' }, 1)).rejects.toBeInstanceOf(VersionConflictError);
    expect(await keys(blobs.bucket, 'state/big/')).toEqual([item2[ATTR.docRef]!.S]);
    // Listing reads the summary on the item, not the blob.
    expect((await s.list({})).items).toEqual([expect.objectContaining({ id: 'big', status: 'waiting' })]);
    // Small again: back in the item, the blob deleted.
    const l2 = (await s.load('big'))!;
    await s.save({ ...l2, version: 3, input: { payload: 'small' } }, 2);
    const item3 = await raw();
    expect(item3[ATTR.docRef]).toBeUndefined();
    expect(item3[ATTR.sum]).toBeUndefined();
    expect(item3[ATTR.doc] ?? item3[ATTR.docz]).toBeDefined();
    expect(await keys(blobs.bucket, 'state/big/')).toEqual([]);
    expect((await s.load('big'))!.input).toEqual({ payload: 'small' });
  });

  it('a task message carries presigned URLs the task SDK can use over plain HTTP: read the arguments, write its result', async () => {
    const blobs = await freshBlobs();
    const queue = (await sqs.send(new CreateQueueCommand({ QueueName: 'bulk-tasks' }))).QueueUrl!;
    const d = new SqsDispatcher(sqs, { eventQueueUrl: queue, resultQueueUrl: queue, taskQueueUrls: { work: queue }, blobs });
    const big = 'x'.repeat(300 * 1024);
    await d.dispatch([{ type: 'sendTask', instanceId: 'o1', taskId: 'n2.s1', task: 'work', args: [big, 7], attempt: 1, timeoutMs: 30_000, token: 't' }]);
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 1, WaitTimeSeconds: 2 }));
    const m = JSON.parse(r.Messages![0]!.Body!);
    expect(m.args).toBeUndefined();
    expect(JSON.parse(await httpBlobs.get(m.argsRef.url))).toEqual([big, 7]);
    await httpBlobs.put(m.resultUpload.url, JSON.stringify({ rows: big }));
    expect(await blobs.get('results/o1/n2.s1-1.json', 10 * 2 ** 20)).toEqual({ body: Buffer.from(JSON.stringify({ rows: big })) });
    // The URL writes that one key only: a PUT to another key with its signature is refused.
    const other = m.resultUpload.url.replace('n2.s1-1.json', 'n2.s1-2.json');
    await expect(httpBlobs.put(other, '"forged"')).rejects.toThrow(/answered 403/);
    expect(await blobs.get('results/o1/n2.s1-2.json', 100)).toEqual({ missing: true });
  });
});

describe('SqsDispatcher on SQS', () => {
  it('sends task messages to their queue, timers delayed to the event queue, fan-out in batches', async () => {
    const url = async (n: string) => (await sqs.send(new CreateQueueCommand({ QueueName: n }))).QueueUrl!;
    const events = await url('events-1');
    const charge = await url('charge-1');
    const results = await url('results-1');
    const d = new SqsDispatcher(sqs, { eventQueueUrl: events, resultQueueUrl: results, taskQueueUrls: { chargeCard: charge } });
    const fireAt = new Date(Date.now() + 2_000).toISOString();
    const cmds: DispatchCommand[] = [
      ...Array.from({ length: 12 }, (_, k): DispatchCommand => ({ type: 'sendTask', instanceId: 'o1', taskId: `n5.s1.${k}`, task: 'chargeCard', args: [k], attempt: 1, timeoutMs: 1000 })),
      { type: 'scheduleTimer', instanceId: 'o1', timerId: 'n9.s2', fireAt },
      { type: 'cancelTimer', instanceId: 'o1', timerId: 'gone' },
    ];
    await d.dispatch(cmds);
    const drain = async (q: string, waitSeconds: number) => {
      const got: Record<string, unknown>[] = [];
      for (let k = 0; k < 10; k++) {
        const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }));
        for (const m of r.Messages ?? []) {
          got.push(JSON.parse(m.Body!));
          await sqs.send(new DeleteMessageCommand({ QueueUrl: q, ReceiptHandle: m.ReceiptHandle! }));
        }
        if ((r.Messages ?? []).length === 0) break;
      }
      return got;
    };
    const tasks = await drain(charge, 1);
    expect(tasks.map((t) => t.taskId).sort()).toEqual(cmds.slice(0, 12).map((c) => (c as { taskId: string }).taskId).sort());
    expect(tasks[0]).toMatchObject({ protocol: 'currant.task.v1', replyTo: results });
    // The timer is delayed: not visible at once, visible after its delay.
    expect(await drain(events, 0)).toEqual([]);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await drain(events, 2)).toEqual([{ type: 'timer', instanceId: 'o1', timerId: 'n9.s2', fireAt }]);
  });
});
