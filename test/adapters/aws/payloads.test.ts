// Large values on AWS, engine side (adapters/aws/payloads.ts), over the in-memory blob store:
// which task messages carry references, and results read back from the one key their attempt may write.
import { describe, expect, it } from 'vitest';
import { MemoryBlobStore, blobKeys } from '../../../adapters/aws/blobs.ts';
import { plan, SqsDispatcher } from '../../../adapters/aws/dispatcher.ts';
import { INLINE_ARGS_MAX, readResult, taskRefs, urlSeconds } from '../../../adapters/aws/payloads.ts';
import { MAX_VALUE_BYTES, type DispatchCommand, type TaskResultEvent } from '../../../runtime/index.ts';

type SendTask = Extract<DispatchCommand, { type: 'sendTask' }>;
const send = (args: unknown[], over: Partial<SendTask> = {}): SendTask => ({
  type: 'sendTask',
  instanceId: 'o1',
  taskId: 'n3.s1',
  task: 'work',
  args: args as never,
  attempt: 2,
  timeoutMs: 30_000,
  token: 'tok',
  ...over,
});
const config = { eventQueueUrl: 'https://q/events', resultQueueUrl: 'https://q/results.fifo', taskQueueUrls: { work: 'https://q/work' } };

describe('task messages with a blob store', () => {
  it('carry a URL to store the result of this attempt only; small arguments stay inline', async () => {
    const blobs = new MemoryBlobStore();
    const refs = await taskRefs(blobs, send(['small', 1]));
    expect(refs).toEqual({ resultUpload: { url: `memory://put/${blobKeys.result('o1', 'n3.s1', 2)}`, maxBytes: MAX_VALUE_BYTES } });
    expect(blobKeys.result('o1', 'n3.s1', 2)).toBe('results/o1/n3.s1-2.json');
    expect(blobs.objects.size).toBe(0);
  });

  it('store arguments over 200 KiB under their content hash and carry a URL to read them instead', async () => {
    const blobs = new MemoryBlobStore();
    const big = ['x'.repeat(INLINE_ARGS_MAX), { n: 1 }];
    const refs = await taskRefs(blobs, send(big));
    const json = JSON.stringify(big);
    expect(refs.argsRef).toEqual({ url: expect.stringMatching(/^memory:\/\/get\/args\/o1\/[0-9a-f]{64}\.json$/), bytes: Buffer.byteLength(json) });
    expect(blobs.fetchUrl(refs.argsRef!.url)!.toString()).toBe(json);
    // the message: no `args`, the references instead, far under SQS's limit
    const c = send(big);
    const [withRefs] = plan([c], config, 0, { kind: 'perTimer' }, new Map([[c, refs]]));
    const body = JSON.parse(withRefs!.body);
    expect(body.args).toBeUndefined();
    expect(body).toMatchObject({ argsRef: refs.argsRef, resultUpload: refs.resultUpload, token: 'tok', attempt: 2 });
    expect(withRefs!.body.length).toBeLessThan(2000);
  });

  it('a dispatcher without a blob store refuses a task message over SQS\'s 256 KiB with a clear error', () => {
    const big = ['x'.repeat(300 * 1024)];
    expect(() => plan([send(big)], config, 0)).toThrow(/over SQS's 262144: configure a blob store/);
  });

  it('the dispatcher sends what taskRefs gives', async () => {
    const blobs = new MemoryBlobStore();
    const sent: { QueueUrl: string; MessageBody: string }[] = [];
    const client = { send: async (cmd: { input: { QueueUrl: string; MessageBody: string } }) => (sent.push(cmd.input), {}) };
    const d = new SqsDispatcher(client as never, { ...config, blobs });
    await d.dispatch([send(['y'.repeat(INLINE_ARGS_MAX + 10)])]);
    const body = JSON.parse(sent[0]!.MessageBody);
    expect(body.argsRef.url).toMatch(/^memory:\/\/get\/args\/o1\//);
    expect(body.resultUpload.url).toBe('memory://put/results/o1/n3.s1-2.json');
  });

  it('URLs live an hour past the attempt\'s timeout, at least an hour, at most 7 days', () => {
    expect(urlSeconds(30_000)).toBe(3630);
    expect(urlSeconds(1)).toBe(3601);
    expect(urlSeconds(30 * 24 * 3600_000)).toBe(7 * 24 * 3600);
  });
});

describe('readResult', () => {
  const event: TaskResultEvent = { type: 'taskResult', id: 'n3.s1#2', taskId: 'n3.s1', attempt: 2, token: 'tok', ok: true, result: null };

  it('reads the result the task stored for its attempt', async () => {
    const blobs = new MemoryBlobStore();
    const value = { rows: 'z'.repeat(5 * 1024 * 1024) };
    blobs.putUrl(`memory://put/${blobKeys.result('o1', 'n3.s1', 2)}`, JSON.stringify(value));
    expect(await readResult(blobs, 'o1', event)).toEqual({ ...event, result: value });
    expect(blobs.calls).toEqual(['get results/o1/n3.s1-2.json']);
  });

  it('makes a failed attempt of a missing, oversize or non-JSON stored result (the token stays: the runtime checks it)', async () => {
    const blobs = new MemoryBlobStore();
    expect(await readResult(blobs, 'o1', event)).toMatchObject({ ok: false, token: 'tok', error: { type: 'RESULT_MISSING', retryable: true } });
    await blobs.put(blobKeys.result('o1', 'n3.s1', 2), 'not json');
    expect(await readResult(blobs, 'o1', event)).toMatchObject({ ok: false, error: { type: 'InvalidResult', retryable: false } });
    await blobs.put(blobKeys.result('o1', 'n3.s1', 2), Buffer.alloc(MAX_VALUE_BYTES + 1, 0x20));
    expect(await readResult(blobs, 'o1', event)).toMatchObject({ ok: false, error: { type: 'RESULT_TOO_LARGE', retryable: false } });
    expect(await readResult(undefined, 'o1', event)).toMatchObject({ ok: false, error: { type: 'RESULT_MISSING' } });
  });
});
