// The api handler through its whole middy stack, over the runtime's in-memory reference store and
// a recording dispatcher (no AWS: DynamoDB/SQS behaviour is tested on the emulator in infra-test/).
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApiHandler, type ApiServices } from '../../functions/api.ts';
import { captureLogs } from '../capture-logs.ts';
import { indexWorkflows } from '../../functions/workflows.ts';
import { advance, attemptToken, MemoryStore, ProgramCache, RecordingDispatcher, type RuntimeEvent } from '../../runtime/index.ts';

const source = (p: string) => readFileSync(new URL(`../../examples/${p}`, import.meta.url), 'utf8');
const registry = indexWorkflows([
  { file: 'order.workflow', source: source('order/order.workflow') },
  { file: 'approval.workflow', source: source('approval/approval.workflow') },
]);

let store: MemoryStore;
let dispatcher: RecordingDispatcher;
let services: ApiServices;
let n = 0;

beforeEach(() => {
  store = new MemoryStore();
  dispatcher = new RecordingDispatcher();
  let t = Date.parse('2026-01-01T00:00:00.000Z');
  services = {
    deps: { store, dispatcher, programs: new ProgramCache(store), clock: { now: () => new Date((t += 1000)), uuid: () => `u${++n}` } },
    workflows: () => registry,
  };
});

const handler = createApiHandler(() => services);

/** The successful result of the instance's one outstanding task, as its task function would send it. */
async function nextResult(id: string): Promise<RuntimeEvent> {
  const i = (await store.load(id))!;
  const [[taskId, t]] = Object.entries(i.tasks);
  return { type: 'taskResult', id: `${taskId}#${t!.attempt}`, taskId: taskId!, attempt: t!.attempt, token: attemptToken(i.secret!, taskId!, t!.attempt), ok: true, result: null };
}

interface Req {
  body?: string | null;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

async function call(method: string, path: string, req: Req = {}): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const event = {
    httpMethod: method,
    path,
    body: req.body ?? null,
    headers: req.body !== undefined && req.headers === undefined ? { 'Content-Type': 'application/json' } : (req.headers ?? {}),
    queryStringParameters: req.query ?? null,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEvent;
  const res = (await handler(event, {} as Context)) as APIGatewayProxyResult;
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: (res.headers ?? {}) as Record<string, unknown> };
}

const start = (name: string, body: unknown) => call('POST', `/workflows/${name}/instances`, { body: JSON.stringify(body) });

describe('POST /workflows/{name}/instances', () => {
  it('starts an instance, runs its first activation and dispatches its first task (201)', async () => {
    const r = await start('processOrder', { input: { orderId: 'o1', amount: 5 }, id: 'o1' });
    expect(r.status).toBe(201);
    expect(r.headers.Location).toBe('/instances/o1');
    expect(r.body).toMatchObject({ id: 'o1', workflow: 'processOrder', status: 'running', input: { orderId: 'o1', amount: 5 }, version: 1 });
    expect(r.body.pending.tasks).toEqual([expect.objectContaining({ task: 'chargeCard', attempt: 1, of: 3 })]);
    expect(r.body).not.toHaveProperty('state');
    const cmds = dispatcher.take();
    expect(cmds.filter((c) => c.type === 'sendTask')).toEqual([expect.objectContaining({ task: 'chargeCard', args: ['o1', 5] })]);
    expect(await store.load('o1')).toMatchObject({ status: 'running' });
  });

  it('is idempotent by id: same input gives 200 with the same instance and resends its first task', async () => {
    await start('processOrder', { input: { orderId: 'o1', amount: 5 }, id: 'o1' });
    dispatcher.take();
    const again = await start('processOrder', { input: { amount: 5, orderId: 'o1' }, id: 'o1' });
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(1);
    // A start that crashed after create but before sending is repaired by the retry.
    expect(dispatcher.take().filter((c) => c.type === 'sendTask')).toHaveLength(1);
  });

  it('answers 409 for the same id with another input', async () => {
    await start('processOrder', { input: { orderId: 'o1', amount: 5 }, id: 'o1' });
    const r = await start('processOrder', { input: { orderId: 'o1', amount: 6 }, id: 'o1' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('INSTANCE_CONFLICT');
  });

  it('makes an id when none is given', async () => {
    const r = await start('processOrder', { input: { orderId: 'o1', amount: 5 } });
    expect(r.status).toBe(201);
    expect(typeof r.body.id).toBe('string');
    expect(await store.load(r.body.id)).toBeDefined();
  });

  it('answers 404 for an unknown workflow', async () => {
    const r = await start('nope', { input: {} });
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'UNKNOWN_WORKFLOW', message: "no deployed workflow 'nope'" });
  });

  it('answers 400 listing the problems when the input does not match the parameters', async () => {
    const r = await start('processOrder', { input: { orderId: 5 } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INPUT_INVALID');
    expect(r.body.error.problems.length).toBeGreaterThanOrEqual(2); // orderId's type and the missing amount
    expect(r.body.error.problems.join('\n')).toMatch(/orderId/);
    expect(r.body.error.problems.join('\n')).toMatch(/amount/);
    expect(store.instances.size).toBe(0);
  });

  it('answers 400 for a body that is the bare input instead of { input }', async () => {
    const r = await start('processOrder', { orderId: 'o1', amount: 5 });
    expect(r.status).toBe(400);
    expect(r.body.error.problems).toEqual([expect.stringMatching(/unknown field 'orderId'/), expect.stringMatching(/unknown field 'amount'/)]);
  });

  it('answers 400 for invalid JSON, 415 for a non-JSON body, 413 for an oversize body', async () => {
    const bad = await call('POST', '/workflows/processOrder/instances', { body: '{"input": ', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_JSON');
    const text = await call('POST', '/workflows/processOrder/instances', { body: 'input=1', headers: { 'Content-Type': 'text/plain' } });
    expect(text.status).toBe(415);
    const big = await start('processOrder', { input: { orderId: 'x'.repeat(5 * 1024 * 1024), amount: 1 } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('BODY_TOO_LARGE');
  });

  it('accepts a JSON content type in any header case and with parameters', async () => {
    const r = await call('POST', '/workflows/processOrder/instances', {
      body: JSON.stringify({ input: { orderId: 'o1', amount: 5 } }),
      headers: { 'CONTENT-TYPE': 'application/json; charset=utf-8' },
    });
    expect(r.status).toBe(201);
  });
});

describe('GET /instances/{id} and /instances', () => {
  it('shows status, current line, pending work and the step log; 404 for unknown ids', async () => {
    await start('processOrder', { input: { orderId: 'o1', amount: 5 }, id: 'o1' });
    const r = await call('GET', '/instances/o1');
    expect(r.status).toBe(200);
    expect(r.body.at).toEqual({ line: expect.any(Number), col: expect.any(Number) });
    expect(r.body.pending.timers).toEqual([expect.objectContaining({ purpose: 'taskTimeout' })]);
    expect(r.body.steps[0]).toMatchObject({ kind: 'start' });
    expect((await call('GET', '/instances/missing')).status).toBe(404);
    expect((await call('GET', '/instances/has%23hash')).status).toBe(404);
  });

  it('shows the result once completed', async () => {
    await start('processOrder', { input: { orderId: 'o1', amount: 5 }, id: 'o1' });
    const task = (id: string) => dispatcher.take().find((c) => c.type === 'sendTask' && c.instanceId === id) as { taskId: string; attempt: number; token: string };
    let t = task('o1');
    await advance(services.deps, 'o1', { type: 'taskResult', id: `${t.taskId}#1`, taskId: t.taskId, attempt: 1, token: t.token, ok: true, result: { success: true, paymentId: 'p1' } });
    t = task('o1');
    await advance(services.deps, 'o1', { type: 'taskResult', id: `${t.taskId}#1`, taskId: t.taskId, attempt: 1, token: t.token, ok: true, result: { success: true, trackingId: 'T-1' } });
    const r = await call('GET', '/instances/o1');
    expect(r.body).toMatchObject({ status: 'completed', result: 'T-1', pending: { tasks: [], timers: [], signals: [] } });
  });

  it('lists newest first with filters and a cursor; refuses bad parameters', async () => {
    for (const id of ['a', 'b', 'c']) await start('processOrder', { input: { orderId: id, amount: 1 }, id });
    await start('approval', { input: { requestId: 'r', amount: 1 }, id: 'd' });
    const all = await call('GET', '/instances');
    expect(all.body.items.map((i: { id: string }) => i.id)).toEqual(['d', 'c', 'b', 'a']);
    const page = await call('GET', '/instances', { query: { workflow: 'processOrder', limit: '2' } });
    expect(page.body.items.map((i: { id: string }) => i.id)).toEqual(['c', 'b']);
    const next = await call('GET', '/instances', { query: { workflow: 'processOrder', limit: '2', cursor: page.body.cursor } });
    expect(next.body.items.map((i: { id: string }) => i.id)).toEqual(['a']);
    expect((await call('GET', '/instances', { query: { status: 'running' } })).body.items).toHaveLength(4);
    const bad = await call('GET', '/instances', { query: { status: 'done', limit: '0', wokflow: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems).toHaveLength(3);
  });
});

describe('signals and cancel', () => {
  it('applies a signal itself (200, nothing queued), once per idempotency key', async () => {
    await start('approval', { input: { requestId: 'r1', amount: 5 }, id: 'r1' });
    dispatcher.take();
    const headers = { 'content-type': 'application/json', 'Idempotency-Key': 'k-1' };
    const r = await call('POST', '/instances/r1/signals/approval', { body: JSON.stringify({ approved: true, by: 'ann' }), headers });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: 'r1', signal: 'approval', signalId: 'signal:k-1', duplicate: false });
    expect((await store.load('r1'))!.steps.at(-1)).toMatchObject({ kind: 'signal', outcome: 'received "approval"' });
    const again = await call('POST', '/instances/r1/signals/approval', { body: JSON.stringify({ approved: false }), headers });
    expect(again.body).toMatchObject({ duplicate: true });
    expect(dispatcher.take()).toEqual([]); // a buffered signal sends nothing
    // The buffered signal is the one the workflow gets once its first task is done.
    await advance(services.deps, 'r1', await nextResult('r1'));
    const done = await advance(services.deps, 'r1', await nextResult('r1'));
    expect(done.instance).toMatchObject({ status: 'completed', result: 'approved by ann' });
    expect((await call('POST', '/instances/nope/signals/approval')).status).toBe(404);
  });

  it('refuses a payload that does not match the workflow\'s signal<Decision> (400, the paths) and changes nothing', async () => {
    await start('approval', { input: { requestId: 'r1', amount: 5 }, id: 'r1' });
    const before = await store.load('r1');
    const r = await call('POST', '/instances/r1/signals/approval', { body: '42' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'SIGNAL_PAYLOAD_INVALID', problems: ['$: expected Decision, got number'] });
    const fields = await call('POST', '/instances/r1/signals/approval', { body: JSON.stringify({ approved: 'yes', by: 7 }) });
    expect(fields.body.error.problems).toEqual(['$.approved: expected boolean, got string', '$.by: expected string, got number']);
    expect(await store.load('r1')).toEqual(before);
  });

  it('takes a 2 MB signal payload for a waiting workflow, which gets it whole', async () => {
    await start('approval', { input: { requestId: 'r2', amount: 5 }, id: 'r2' });
    await advance(services.deps, 'r2', await nextResult('r2')); // requestApproval done: it waits for the signal
    const by = 'b'.repeat(2 * 1024 * 1024);
    const r = await call('POST', '/instances/r2/signals/approval', { body: JSON.stringify({ approved: true, by }) });
    expect(r.status).toBe(200);
    const done = await advance(services.deps, 'r2', await nextResult('r2'));
    expect(done.instance).toMatchObject({ status: 'completed', result: `approved by ${by}` });
  });

  it('stamps the arrival: a signal after its timeout loses to it (409, timeout applied), one in time wins', async () => {
    let t = Date.parse('2026-01-01T00:00:00.000Z');
    services = {
      deps: { store, dispatcher, programs: new ProgramCache(store), clock: { now: () => new Date(t), uuid: () => `u${++n}` } },
      workflows: () => indexWorkflows([{ file: 'gate.workflow', source: 'workflow gate(): any { const r = await signal("go", { timeout: "5s" })\n return r }' }]),
    };
    await start('gate', { id: 'late' });
    await start('gate', { id: 'on-time' });
    t += 4_000;
    expect((await call('POST', '/instances/on-time/signals/go', { body: '1' })).status).toBe(200);
    t += 10_000; // nothing fired the 5 s timeouts (a lost or late wake-up): the late signal must still lose
    const late = await call('POST', '/instances/late/signals/go', { body: '2' });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'INSTANCE_FINISHED', message: expect.stringMatching(/completed: the instance completed before the signal arrived/) });
    expect(await store.load('late')).toMatchObject({ status: 'completed', result: { timedOut: true, payload: null } });
    expect(await store.load('on-time')).toMatchObject({ status: 'completed', result: { timedOut: false, payload: 1 } });
  });

  it('takes a JSON string or no body as the payload', async () => {
    await start('approval', { input: { requestId: 'r1', amount: 5 }, id: 'r1' });
    expect((await call('POST', '/instances/r1/signals/note', { body: '"hello"' })).status).toBe(200);
    expect((await call('POST', '/instances/r1/signals/ping')).status).toBe(200);
    expect((await store.load('r1'))!.steps.slice(-2).map((s) => s.outcome)).toEqual(['received "note"', 'received "ping"']);
  });

  it('cancels (200), is idempotent, and refuses to cancel or signal a finished instance (409)', async () => {
    await start('processOrder', { input: { orderId: 'o1', amount: 5 }, id: 'o1' });
    const r = await call('POST', '/instances/o1/cancel', { body: JSON.stringify({ reason: 'changed my mind' }) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED', message: 'changed my mind' } });
    expect((await call('POST', '/instances/o1/cancel')).status).toBe(200);
    const s = await call('POST', '/instances/o1/signals/x');
    expect(s.status).toBe(409);
    expect(s.body.error.code).toBe('INSTANCE_FINISHED');
    expect((await call('POST', '/instances/missing/cancel')).status).toBe(404);
    expect((await call('POST', '/instances/o1/cancel', { body: JSON.stringify({ why: 1 }) })).status).toBe(400);
  });
});

describe('redrive and definitions', () => {
  /** Fails the order's first task permanently (three failed attempts, retry timers fired). */
  async function failOrder(id: string): Promise<void> {
    await start('processOrder', { input: { orderId: id, amount: 5 }, id });
    for (let k = 0; k < 3; k++) {
      const i = (await store.load(id))!;
      const [[taskId, t]] = Object.entries(i.tasks);
      if (t!.retryAt !== undefined) {
        await advance(services.deps, id, { type: 'timerFired', id: `timer:${taskId}#${t!.attempt}:retry`, timerId: `${taskId}#${t!.attempt}:retry` });
        k--;
        continue;
      }
      const token = attemptToken(i.secret!, taskId!, t!.attempt);
      await advance(services.deps, id, { type: 'taskResult', id: `${taskId}#${t!.attempt}`, taskId: taskId!, attempt: t!.attempt, token, ok: false, error: { message: 'psp down' } });
    }
    expect((await store.load(id))!.status).toBe('failed');
  }

  it('redrives a failed instance (200, running, the task re-sent), once per Idempotency-Key', async () => {
    await failOrder('o1');
    const failed = await call('GET', '/instances/o1');
    expect(failed.body.redrive).toMatchObject({ possible: true, task: 'chargeCard' });
    dispatcher.take();
    const headers = { 'Idempotency-Key': 'click-1' };
    const r = await call('POST', '/instances/o1/redrive', { headers });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: 'o1', status: 'running', duplicate: false });
    expect(r.body.pending.tasks).toEqual([expect.objectContaining({ task: 'chargeCard', attempt: 0, of: 3, retryAt: expect.any(String) })]);
    expect(dispatcher.take()).toEqual([expect.objectContaining({ type: 'scheduleTimer', timerId: expect.stringMatching(/#0:retry$/) })]);
    const again = await call('POST', '/instances/o1/redrive', { headers });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'running', duplicate: true, version: r.body.version });
    const other = await call('POST', '/instances/o1/redrive', { headers: { 'Idempotency-Key': 'click-2' } });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('INSTANCE_NOT_FAILED');
  });

  it('refuses what cannot be redriven with 409 and a code, a body with fields with 400, an unknown id with 404', async () => {
    await start('processOrder', { input: { orderId: 'o2', amount: 5 }, id: 'o2' });
    const running = await call('POST', '/instances/o2/redrive');
    expect(running.status).toBe(409);
    expect(running.body.error).toMatchObject({ code: 'INSTANCE_NOT_FAILED', message: expect.stringContaining('it is running') });
    expect((await call('POST', '/instances/nope/redrive')).status).toBe(404);
    await failOrder('o3');
    expect((await call('POST', '/instances/o3/redrive', { body: JSON.stringify({ force: true }) })).status).toBe(400);
    expect((await call('POST', '/instances/o3/redrive', { body: '{}' })).status).toBe(200);
  });

  it('serves the definition an instance runs by hash; a malformed or unknown hash is 404', async () => {
    const r = await start('processOrder', { input: { orderId: 'o4', amount: 5 }, id: 'o4' });
    const d = await call('GET', `/definitions/${encodeURIComponent(r.body.definitionHash)}`);
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ hash: r.body.definitionHash, workflow: 'processOrder', file: 'order.workflow', source: source('order/order.workflow') });
    expect((await call('GET', '/definitions/sha256:' + '0'.repeat(64))).status).toBe(404);
    const bad = await call('GET', '/definitions/' + encodeURIComponent('<script>'));
    expect(bad.status).toBe(404);
    expect(bad.body.error.code).toBe('DEFINITION_NOT_FOUND');
  });
});

describe('routing', () => {
  it('answers 404 for unknown routes and 405 for wrong methods, as JSON', async () => {
    const r = await call('GET', '/nope');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
    expect((await call('DELETE', '/instances/o1')).status).toBe(405);
  });

  it('lists the deployed workflows', async () => {
    const r = await call('GET', '/workflows');
    expect(r.body.items.map((w: { name: string }) => w.name).sort()).toEqual(['approval', 'processOrder']);
    expect(r.body.items[0].hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('hides the details of real faults behind a 500', async () => {
    services.workflows = () => {
      throw new Error('disk on fire');
    };
    const logged = captureLogs();
    const r = await call('GET', '/workflows');
    logged.restore();
    expect(logged.text()).toMatch(/disk on fire/); // in the logs, not in the response
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('INTERNAL');
    expect(JSON.stringify(r.body)).not.toMatch(/disk/);
  });
});

describe('hostile input at the api (issue 7)', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  it('refuses a start input nested 3,000 deep with 400 VALUE_TOO_DEEP and creates nothing', async () => {
    const res = await call('POST', '/workflows/processOrder/instances', { body: `{"id":"deep-1","input":{"orderId":${deep(3000)}}}` });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALUE_TOO_DEEP');
    expect(await store.load('deep-1')).toBeUndefined();
  });

  it('refuses a start input over 10 MiB with VALUE_TOO_LARGE; takes one of 2 MB', async () => {
    // Under the 5 MiB body limit the input alone cannot be larger; check through the limit helper.
    const { checkValue, LIMITS } = await import('../../runtime/index.ts');
    expect(checkValue({ s: 'x'.repeat(10 * 1024 * 1024) }, LIMITS.input)).toMatchObject({ ok: false, code: 'VALUE_TOO_LARGE' });
    const two = await start('processOrder', { id: 'two-mb', input: { orderId: 'x'.repeat(2 * 1024 * 1024), amount: 1 } });
    expect(two.status).toBe(201);
    expect((two.body.input as { orderId: string }).orderId).toHaveLength(2 * 1024 * 1024);
  });

  it('refuses a signal payload nested 3,000 deep with 4xx and a code', async () => {
    const s = await start('approval', { id: 'deep-2', input: { requestId: 'r', amount: 5 } });
    expect(s.status).toBeLessThan(300);
    const res = await call('POST', '/instances/deep-2/signals/approval', { body: deep(3000) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(['VALUE_TOO_DEEP', 'SIGNAL_TOO_LARGE']).toContain(res.body.error.code);
  });

  it('refuses a cancel body nested 3,000 deep and an over-long reason with 400', async () => {
    await start('approval', { id: 'deep-3', input: { requestId: 'r', amount: 5 } });
    const deepRes = await call('POST', '/instances/deep-3/cancel', { body: `{"reason":${deep(3000)}}` });
    expect(deepRes.status).toBe(400);
    const longRes = await call('POST', '/instances/deep-3/cancel', { body: JSON.stringify({ reason: 'x'.repeat(5000) }) });
    expect(longRes.status).toBe(400);
    expect(longRes.body.error.code).toBe('VALUE_TOO_LARGE');
    expect((await store.load('deep-3'))!.status).not.toBe('cancelled');
  });
});

describe('forged list cursors (issue 7)', () => {
  it('answers 400 for a cursor that is not base64url or too long', async () => {
    for (const cursor of ['{"q":"byCreated"}', 'x'.repeat(3000), 'a b']) {
      const res = await call('GET', '/instances', { query: { cursor } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INPUT_INVALID');
    }
  });
});
