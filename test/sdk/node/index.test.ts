import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { captureLogs } from '../../capture-logs.ts';
import {
  MAX_MESSAGE_BYTES,
  TaskError,
  createTaskHandler,
  errorInfo,
  invokeTask,
  parseTaskMessage,
  runTaskMessage,
  type ResultMessage,
  type TaskContext,
  type TaskModule,
} from '../../../sdk/node/index.ts';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/000000000000/currant-events';

function taskMessage(over: Record<string, unknown> = {}) {
  return {
    protocol: 'currant.task.v1',
    instanceId: 'i-1',
    taskId: 'n12.s3',
    task: 'chargeCard',
    args: ['o1', 5],
    attempt: 1,
    timeoutMs: 5_000,
    replyTo: QUEUE,
    token: 'tok-abc',
    ...over,
  };
}

/** A sender that records what it was asked to send. */
function recorder() {
  const sent: { queueUrl: string; message: ResultMessage }[] = [];
  const send = async (queueUrl: string, message: ResultMessage) => {
    sent.push({ queueUrl, message: JSON.parse(JSON.stringify(message)) });
  };
  return { sent, send };
}

function errorOf(result: ResultMessage) {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result.error;
}

async function run(tasks: TaskModule, over: Record<string, unknown> = {}) {
  const { sent, send } = recorder();
  const outcome = await runTaskMessage(tasks, JSON.stringify(taskMessage(over)), send);
  return { outcome, sent };
}

describe('runTaskMessage', () => {
  it('runs the task with the args and a context, and sends an ok result to replyTo', async () => {
    let seen: TaskContext | undefined;
    const tasks = {
      async chargeCard(orderId: string, amount: number, ctx: TaskContext) {
        seen = ctx;
        return { success: true, paymentId: `${orderId}-${amount * 2}` };
      },
    };
    const { outcome, sent } = await run(tasks, { attempt: 3 });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.queueUrl).toBe(QUEUE);
    const { durationMs, ...rest } = sent[0]!.message;
    expect(rest).toEqual({
      protocol: 'currant.result.v1',
      type: 'taskResult',
      instanceId: 'i-1',
      taskId: 'n12.s3',
      attempt: 3,
      token: 'tok-abc', // echoed: without it the engine drops the result
      ok: true,
      result: { success: true, paymentId: 'o1-10' },
    });
    expect(typeof durationMs).toBe('number');
    expect(outcome.outcome).toBe('sent');
    expect(seen).toMatchObject({ instanceId: 'i-1', taskId: 'n12.s3', task: 'chargeCard', idempotencyKey: 'i-1/n12.s3', attempt: 3 });
    expect(seen!.signal.aborted).toBe(false);
    expect(seen!.deadline).toBeGreaterThan(Date.now() - 60_000);
  });

  it('accepts an already-parsed message object', async () => {
    const { sent, send } = recorder();
    await runTaskMessage({ chargeCard: async (id: string) => id.toUpperCase() }, taskMessage(), send);
    expect(sent[0]!.message).toMatchObject({ ok: true, result: 'O1' });
  });

  it('turns a void result into null', async () => {
    const { sent } = await run({ chargeCard: async () => undefined });
    expect(sent[0]!.message).toMatchObject({ ok: true, result: null });
  });

  it('reports a thrown error as a retryable failure with its name as type', async () => {
    const tasks = {
      async chargeCard() {
        const e = new Error('gateway unavailable');
        e.name = 'GatewayDown';
        throw e;
      },
    };
    const { sent } = await run(tasks);
    expect(errorOf(sent[0]!.message)).toEqual({ message: 'gateway unavailable', type: 'GatewayDown', retryable: true });
  });

  it('reports a synchronous throw the same way', async () => {
    const { sent } = await run({
      chargeCard: () => {
        throw new RangeError('bad amount');
      },
    });
    expect(errorOf(sent[0]!.message)).toEqual({ message: 'bad amount', type: 'RangeError', retryable: true });
  });

  it('marks TaskError({ retryable: false }) as not retryable', async () => {
    const { sent } = await run({
      chargeCard: async () => {
        throw new TaskError('card declined', { type: 'CardDeclined', retryable: false });
      },
    });
    expect(errorOf(sent[0]!.message)).toEqual({ message: 'card declined', type: 'CardDeclined', retryable: false });
  });

  it('honours retryable === false and nonRetryable === true on any error', async () => {
    const a = Object.assign(new Error('no'), { retryable: false });
    const b = Object.assign(new Error('never'), { nonRetryable: true });
    const c = Object.assign(new Error('maybe'), { retryable: true });
    expect(errorInfo(a).retryable).toBe(false);
    expect(errorInfo(b).retryable).toBe(false);
    expect(errorInfo(c).retryable).toBe(true);
  });

  it('uses the class name of an Error subclass that does not set name', () => {
    class CardDeclined extends Error {}
    expect(errorInfo(new CardDeclined('declined')).type).toBe('CardDeclined');
    expect(errorInfo(new Error('plain')).type).toBe('Error');
  });

  it('reports thrown non-errors as messages', () => {
    expect(errorInfo('boom')).toEqual({ message: 'boom', type: 'Error', retryable: true });
    expect(errorInfo({ code: 7 })).toEqual({ message: '{"code":7}', type: 'Error', retryable: true });
    expect(errorInfo({ message: 'shaped', name: 'Shaped', retryable: false })).toEqual({ message: 'shaped', type: 'Shaped', retryable: false });
    // A string `type` wins over `name` (the embedded runtime's NonRetryableError carries one).
    expect(errorInfo(Object.assign(new Error('declined'), { type: 'CardDeclined', retryable: false }))).toEqual({ message: 'declined', type: 'CardDeclined', retryable: false });
  });

  it('answers an unknown task with a non-retryable failure', async () => {
    const { sent, outcome } = await run({ refund: async () => 1 }, { task: 'chargeCrad' });
    expect(outcome.outcome).toBe('sent');
    const error = errorOf(sent[0]!.message);
    expect(error.type).toBe('TaskNotFound');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("'chargeCrad'");
    expect(error.message).toContain('refund');
  });

  it('does not treat inherited properties as tasks', async () => {
    const { sent } = await run({ refund: async () => 1 }, { task: 'toString' });
    expect(errorOf(sent[0]!.message).type).toBe('TaskNotFound');
  });

  it('times out after timeoutMs, aborts the signal and reports a retryable Timeout', async () => {
    let signal: AbortSignal | undefined;
    const tasks = {
      // Ends only when aborted: without the timeout this test would hang.
      chargeCard: (_id: string, _amount: number, ctx: TaskContext) =>
        new Promise((_resolve, reject) => {
          signal = ctx.signal;
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }),
    };
    const { sent } = await run(tasks, { timeoutMs: 20 });
    expect(errorOf(sent[0]!.message)).toEqual({ message: "task 'chargeCard' timed out after 20 ms", type: 'Timeout', retryable: true });
    expect(signal!.aborted).toBe(true);
    expect((signal!.reason as Error).name).toBe('TimeoutError');
  });

  it('caps the deadline at latestDeadline', async () => {
    const { sent, send } = recorder();
    let deadline = 0;
    const tasks = {
      chargeCard: (_id: string, _amount: number, ctx: TaskContext) => {
        deadline = ctx.deadline;
        return new Promise(() => {});
      },
    };
    const now = Date.now();
    await runTaskMessage(tasks, taskMessage({ timeoutMs: 60_000 }), send, { now: () => now, latestDeadline: now + 15 });
    expect(deadline).toBe(now + 15);
    expect(errorOf(sent[0]!.message)).toMatchObject({ type: 'Timeout', message: "task 'chargeCard' timed out after 15 ms" });
  });

  it('reports a result that is not JSON as a non-retryable InvalidResult', async () => {
    const { sent } = await run({ chargeCard: async () => ({ n: 10n }) });
    expect(errorOf(sent[0]!.message)).toMatchObject({ type: 'InvalidResult', retryable: false });
  });

  it('replaces a result over the SQS size limit by a non-retryable ResultTooLarge failure', async () => {
    const { sent } = await run({ chargeCard: async () => 'x'.repeat(MAX_MESSAGE_BYTES) });
    expect(errorOf(sent[0]!.message)).toMatchObject({ type: 'ResultTooLarge', retryable: false });
    expect(Buffer.byteLength(JSON.stringify(sent[0]!.message))).toBeLessThan(MAX_MESSAGE_BYTES);
  });

  describe('large values (argsRef, resultUpload)', () => {
    /** A blob transport over a map of URL → body, recording what it did. */
    function store(objects: Record<string, string> = {}) {
      const calls: string[] = [];
      const blobs = {
        async get(url: string) {
          calls.push(`get ${url}`);
          if (!(url in objects)) throw new Error('GET of the stored arguments answered 403 Forbidden');
          return objects[url]!;
        },
        async put(url: string, body: string) {
          calls.push(`put ${url} ${body.length}`);
          if (url.includes('expired')) throw new Error('PUT of the result answered 403 Forbidden');
          objects[url] = body;
        },
      };
      return { objects, calls, blobs };
    }
    const upload = { url: 'https://bucket.s3/results/i-1/n12.s3-1.json?X-Amz-Signature=s', maxBytes: 10 * 1024 * 1024 };

    it('fetches arguments stored aside and stores a 5 MB result aside, sending a reference', async () => {
      const big = 'a'.repeat(300 * 1024);
      const { objects, calls, blobs } = store({ 'https://bucket.s3/args/i-1/abc.json?sig': JSON.stringify([big, 2]) });
      const { sent, send } = recorder();
      const tasks = { chargeCard: async (s: string, n: number) => s.repeat(n * 9).slice(0, 5 * 1024 * 1024) };
      const msg = taskMessage({ args: undefined, argsRef: { url: 'https://bucket.s3/args/i-1/abc.json?sig', bytes: big.length + 6 }, resultUpload: upload });
      await runTaskMessage(tasks, JSON.stringify(msg), send, { blobs });
      const m = sent[0]!.message;
      expect(m).toMatchObject({ ok: true, token: 'tok-abc', resultRef: { bytes: 5 * 1024 * 1024 + 2 } });
      expect('result' in m).toBe(false);
      expect(JSON.parse(objects[upload.url]!)).toHaveLength(5 * 1024 * 1024);
      expect(calls).toEqual(['get https://bucket.s3/args/i-1/abc.json?sig', `put ${upload.url} ${5 * 1024 * 1024 + 2}`]);
    });

    it('keeps a small result inline even when it could upload', async () => {
      const { calls, blobs } = store();
      const { sent, send } = recorder();
      await runTaskMessage({ chargeCard: async () => 'small' }, JSON.stringify(taskMessage({ resultUpload: upload })), send, { blobs });
      expect(sent[0]!.message).toMatchObject({ ok: true, result: 'small' });
      expect(calls).toEqual([]);
    });

    it('turns what can go wrong into failed attempts: arguments unreachable (retryable), over maxBytes (not), upload refused (retryable)', async () => {
      const { blobs } = store();
      const { sent, send } = recorder();
      const never = { chargeCard: async () => 'x'.repeat(MAX_MESSAGE_BYTES) };
      await runTaskMessage(never, JSON.stringify(taskMessage({ args: undefined, argsRef: { url: 'https://gone', bytes: 10 } })), send, { blobs });
      expect(errorOf(sent[0]!.message)).toMatchObject({ type: 'ArgsUnavailable', retryable: true });
      await runTaskMessage(never, JSON.stringify(taskMessage({ resultUpload: { ...upload, maxBytes: 1000 } })), send, { blobs });
      expect(errorOf(sent[1]!.message)).toMatchObject({ type: 'ResultTooLarge', retryable: false });
      expect(errorOf(sent[1]!.message).message).toMatch(/over the engine's limit of 1000/);
      await runTaskMessage(never, JSON.stringify(taskMessage({ resultUpload: { ...upload, url: 'https://expired' } })), send, { blobs });
      expect(errorOf(sent[2]!.message)).toMatchObject({ type: 'ResultUploadFailed', retryable: true });
      // no transport: arguments by reference cannot be had
      await runTaskMessage(never, JSON.stringify(taskMessage({ args: undefined, argsRef: { url: 'https://x', bytes: 1 } })), send);
      expect(errorOf(sent[3]!.message)).toMatchObject({ type: 'ArgsUnavailable', retryable: false });
    });

    it('refuses a message with both args and argsRef, or a malformed reference (BadTaskMessage)', async () => {
      expect(parseTaskMessage(taskMessage({ argsRef: { url: 'u', bytes: 1 } }))).toMatchObject({ ok: false, problems: ['a message has either args or argsRef, not both'] });
      expect(parseTaskMessage(taskMessage({ args: undefined, argsRef: { url: '', bytes: -1 } }))).toMatchObject({ ok: false, problems: [expect.stringMatching(/^argsRef must be/)] });
      expect(parseTaskMessage(taskMessage({ resultUpload: { url: 'u', maxBytes: 0 } }))).toMatchObject({ ok: false, problems: [expect.stringMatching(/^resultUpload must be/)] });
    });
  });

  it('truncates huge error messages', async () => {
    const { sent } = await run({
      chargeCard: async () => {
        throw new Error('y'.repeat(MAX_MESSAGE_BYTES * 2));
      },
    });
    const error = errorOf(sent[0]!.message);
    expect(error.type).toBe('Error');
    expect(error.message.length).toBeLessThan(10_000);
  });

  it('rejects a body that is not JSON without sending anything', async () => {
    const { sent, send } = recorder();
    const outcome = await runTaskMessage({ chargeCard: async () => 1 }, '{"protocol":', send);
    expect(outcome.outcome).toBe('rejected');
    expect(sent).toHaveLength(0);
  });

  it('answers a malformed message that has a reply address with a non-retryable BadTaskMessage', async () => {
    let ran = false;
    const { sent, outcome } = await run(
      {
        chargeCard: async () => {
          ran = true;
        },
      },
      { args: 'o1', timeoutMs: -1 },
    );
    expect(ran).toBe(false);
    expect(outcome.outcome).toBe('sent');
    expect(sent[0]!.message).toMatchObject({ instanceId: 'i-1', taskId: 'n12.s3', attempt: 1, token: 'tok-abc', ok: false });
    const error = errorOf(sent[0]!.message);
    expect(error).toMatchObject({ type: 'BadTaskMessage', retryable: false });
    expect(error.message).toContain('args must be an array');
    expect(error.message).toContain('timeoutMs must be a positive number');
  });

  it('propagates a failing send (so the caller can have the message redelivered)', async () => {
    const send = async () => {
      throw new Error('SQS unavailable');
    };
    await expect(runTaskMessage({ chargeCard: async () => 1 }, taskMessage(), send)).rejects.toThrow('SQS unavailable');
  });
});

describe('parseTaskMessage', () => {
  it('accepts a valid message and ignores unknown fields', () => {
    const parsed = parseTaskMessage(JSON.stringify({ ...taskMessage(), traceId: 'abc' }));
    expect(parsed.ok).toBe(true);
  });

  it('lists every problem and no reply address when the address is incomplete', () => {
    const parsed = parseTaskMessage({ protocol: 'currant.task.v2', taskId: 'n1.s1', attempt: 0 });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.replyTo).toBeUndefined();
    expect(parsed.problems).toEqual([
      'protocol must be "currant.task.v1", got "currant.task.v2"',
      'instanceId must be a non-empty string',
      'task must be a non-empty string',
      'args must be an array',
      'attempt must be an integer >= 1',
      'timeoutMs must be a positive number',
      'replyTo must be a non-empty string (an SQS queue URL)',
    ]);
  });

  it('refuses a token that is not a string, and sends no token when the message had none', async () => {
    const bad = parseTaskMessage(taskMessage({ token: 5 }));
    expect(!bad.ok && bad.problems).toEqual(['token must be a string']);
    const { sent } = await run({ chargeCard: async () => 1 }, { token: undefined });
    expect('token' in sent[0]!.message).toBe(false);
  });

  it('rejects JSON that is not an object', () => {
    expect(parseTaskMessage('[1,2]')).toEqual({ ok: false, problems: ['body is not a JSON object'] });
  });

  const nested = (depth: number): unknown => {
    let v: unknown = 0;
    for (let i = 0; i < depth; i++) v = [v];
    return v;
  };

  it('answers args nested past 128 levels as a bad message, and takes 128', async () => {
    expect(parseTaskMessage(taskMessage({ args: [nested(128)] })).ok).toBe(true);
    const { outcome, sent } = await run({ chargeCard: async () => 1 }, { args: [nested(129)] });
    expect(outcome.outcome).toBe('sent');
    const error = (sent[0]!.message as { error: { type: string; message: string; retryable: boolean } }).error;
    expect(error).toMatchObject({ type: 'BadTaskMessage', retryable: false });
    expect(error.message).toContain('args are nested deeper than 128 levels');
  });

  it('refuses a body far over the SQS limit without parsing it, and a 100,000-deep body without overflowing', () => {
    const huge = JSON.stringify(taskMessage({ args: ['x'.repeat(MAX_MESSAGE_BYTES * 4)] }));
    const parsed = parseTaskMessage(huge);
    expect(!parsed.ok && parsed.problems[0]).toContain('over the SQS limit');
    const deep = `{"args": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(() => parseTaskMessage(deep)).not.toThrow();
    expect(parseTaskMessage(deep).ok).toBe(false);
  });

  it('a result too deep to serialise is a failed attempt, not a crash', async () => {
    const { outcome, sent } = await run({ chargeCard: async () => nested(100_000) });
    expect(outcome.outcome).toBe('sent');
    expect(sent[0]!.message).toMatchObject({ ok: false, error: { type: 'InvalidResult' } });
  });
});

describe('invokeTask', () => {
  it('is usable without the protocol (the embedded engine calls tasks this way)', async () => {
    const outcome = await invokeTask(
      { add: async (a: number, b: number) => a + b },
      { instanceId: 'i', taskId: 'n1.s1', task: 'add', args: [2, 3], attempt: 1, timeoutMs: 1000 },
    );
    expect(outcome).toMatchObject({ ok: true, result: 5 });
  });
});

// ---------------------------------------------------------------------------------------------

function record(messageId: string, body: unknown): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:currant-task-chargeCard',
    awsRegion: 'us-east-1',
  };
}

const lambdaContext = (remainingMs = 60_000) =>
  ({ getRemainingTimeInMillis: () => remainingMs, functionName: 'tasks', awsRequestId: 'r-1' }) as unknown as Context;
const quiet = () => {};

describe('createTaskHandler', () => {
  const tasks = {
    chargeCard: async (orderId: string) => ({ orderId }),
    refund: async () => {
      throw new TaskError('nope', { retryable: false });
    },
  };

  it('reports exactly the record whose result could not be sent', async () => {
    const sent: string[] = [];
    const send = async (_url: string, m: ResultMessage) => {
      if (m.taskId === 'n2.s2') throw new Error('SQS unavailable');
      sent.push(m.taskId);
    };
    const handler = createTaskHandler(tasks, { send, log: quiet });
    const event: SQSEvent = {
      Records: [
        record('m1', taskMessage({ taskId: 'n1.s1' })),
        record('m2', taskMessage({ taskId: 'n2.s2' })),
        record('m3', taskMessage({ taskId: 'n3.s3', task: 'refund' })),
      ],
    };
    const response = await handler(event, lambdaContext());
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    expect(sent.sort()).toEqual(['n1.s1', 'n3.s3']);
  });

  it('acknowledges task failures, unknown tasks and answerable bad messages', async () => {
    const { sent, send } = recorder();
    const handler = createTaskHandler(tasks, { send, log: quiet });
    const response = await handler(
      { Records: [record('a', taskMessage({ task: 'refund' })), record('b', taskMessage({ task: 'nope' })), record('c', taskMessage({ args: null }))] },
      lambdaContext(),
    );
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sent.map((s) => (s.message.ok ? 'ok' : s.message.error.type)).sort()).toEqual(['BadTaskMessage', 'TaskError', 'TaskNotFound']);
  });

  it('fails a malformed message without a reply address (towards the DLQ) and logs it', async () => {
    const { sent, send } = recorder();
    const logged: unknown[] = [];
    const handler = createTaskHandler(tasks, { send, log: (e) => logged.push(e) });
    const response = await handler({ Records: [record('bad', 'not json'), record('good', taskMessage())] }, lambdaContext());
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(sent).toHaveLength(1);
    expect(logged).toContainEqual(expect.objectContaining({ level: 'error', messageId: 'bad' }));
  });

  it('logs one Powertools JSON line per attempt by default: instance, task, event, outcome and the Lambda context', async () => {
    const { send } = recorder();
    const handler = createTaskHandler(tasks, { send });
    const out = captureLogs();
    await handler({ Records: [record('m1', taskMessage()), record('m2', taskMessage({ task: 'refund', taskId: 'n3.s3', attempt: 2 }))] }, lambdaContext());
    out.restore();
    const lines = out.lines();
    expect(lines.find((l) => l.messageId === 'm1')).toMatchObject({
      level: 'INFO',
      message: 'task succeeded',
      service: 'currant-tasks',
      instanceId: 'i-1',
      task: 'chargeCard',
      taskId: 'n12.s3',
      attempt: 1,
      event: 'task',
      outcome: 'succeeded',
      durationMs: expect.any(Number),
      function_name: 'tasks',
      function_request_id: 'r-1',
    });
    expect(lines.find((l) => l.messageId === 'm2')).toMatchObject({
      level: 'ERROR',
      message: 'task failed',
      task: 'refund',
      attempt: 2,
      outcome: 'failed',
      error: { message: 'nope', retryable: false },
    });
  });

  it('times tasks out before the Lambda invocation ends', async () => {
    const { sent, send } = recorder();
    const handler = createTaskHandler({ chargeCard: () => new Promise(() => {}) }, { send, log: quiet, safetyMarginMs: 1000 });
    // 1,030 ms left, 1,000 kept for sending: the task gets about 30 ms although timeoutMs is 60 s.
    const response = await handler({ Records: [record('m1', taskMessage({ timeoutMs: 60_000 }))] }, lambdaContext(1030));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(errorOf(sent[0]!.message).type).toBe('Timeout');
  });

  it('accepts a real module namespace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'currant-sdk-'));
    const file = join(dir, 'tasks.mjs');
    writeFileSync(file, 'export const VERSION = 2;\nexport async function double(x, ctx) { return { value: x * 2, key: ctx.idempotencyKey }; }\n');
    const mod = await import(pathToFileURL(file).href);
    const { sent, send } = recorder();
    const handler = createTaskHandler(mod, { send, log: quiet });
    await handler({ Records: [record('m1', taskMessage({ task: 'double', args: [21] }))] }, lambdaContext());
    expect(sent[0]!.message).toMatchObject({ ok: true, result: { value: 42, key: 'i-1/n12.s3' } });
  });

  it('serves the functions of a default-exported object too, named exports winning', async () => {
    const { sent, send } = recorder();
    const mod = { default: { a: async () => 'default a', b: async () => 'default b' }, a: async () => 'named a' };
    const handler = createTaskHandler(mod, { send, log: quiet });
    await handler({ Records: [record('1', taskMessage({ task: 'a', taskId: 'x1' })), record('2', taskMessage({ task: 'b', taskId: 'x2' }))] }, lambdaContext());
    const results = Object.fromEntries(sent.map((s) => [s.message.taskId, 'result' in s.message ? s.message.result : s.message.ok ? s.message.resultRef : s.message.error]));
    expect(results).toEqual({ x1: 'named a', x2: 'default b' });
  });

  it('fails loudly on option typos and on a module without functions', () => {
    expect(() => createTaskHandler(tasks, { sned: async () => {} } as never)).toThrow("unknown option 'sned'");
    expect(() => createTaskHandler({ VERSION: 1 })).toThrow('exports no functions');
  });
});
