// The step function's record processing over the runtime's in-memory reference store and a
// recording dispatcher: message → event mapping, duplicates, unknown instances, poison messages,
// and the per-instance ordering of a batch. (SQS/DynamoDB behaviour: infra-test/ on the emulator.)
import { readFileSync } from 'node:fs';
import type { SQSRecord } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { instanceKey, PoisonMessageError, processBatch, processBody, type StepDeps } from '../../functions/step.ts';
import type { AwsInstance } from '../../adapters/aws/wake.ts';
import { WakeDispatcher, WakeStore } from './wake-fakes.ts';
import { attemptToken, MemoryStore, ProgramCache, RecordingDispatcher, startWorkflow, type DispatchCommand, type RuntimeDeps } from '../../runtime/index.ts';

const order = readFileSync(new URL('../../examples/order/order.workflow', import.meta.url), 'utf8');
const approval = readFileSync(new URL('../../examples/approval/approval.workflow', import.meta.url), 'utf8');

let deps: RuntimeDeps;
let store: MemoryStore;
let dispatcher: RecordingDispatcher;
let nowMs: number;

beforeEach(() => {
  store = new MemoryStore();
  dispatcher = new RecordingDispatcher();
  nowMs = Date.parse('2026-01-01T00:00:00.000Z');
  let n = 0;
  deps = { store, dispatcher, programs: new ProgramCache(store), clock: { now: () => new Date(nowMs), uuid: () => `u${++n}` } };
});

const sendTask = (cmds: DispatchCommand[]) => cmds.find((c) => c.type === 'sendTask') as Extract<DispatchCommand, { type: 'sendTask' }>;
const result = (c: { instanceId: string; taskId: string; attempt: number; token?: string }, value: unknown) =>
  JSON.stringify({ protocol: 'currant.result.v1', type: 'taskResult', instanceId: c.instanceId, taskId: c.taskId, attempt: c.attempt, token: c.token, ok: true, result: value });

describe('processBody', () => {
  it('applies a task result: the instance advances one version and the next task is dispatched', async () => {
    await startWorkflow(deps, { source: order, file: 'order.workflow' }, { orderId: 'o1', amount: 5 }, { id: 'o1' });
    const charge = sendTask(dispatcher.take());
    const out = await processBody(deps, result(charge, { success: true, paymentId: 'p1' }));
    expect(out).toEqual({ outcome: 'applied', instanceId: 'o1', workflow: 'processOrder', event: `${charge.taskId}#1`, eventType: 'taskResult', version: 2, status: 'running', commands: expect.any(Number) });
    expect(sendTask(dispatcher.take())).toMatchObject({ task: 'shipOrder', args: ['o1'] });
  });

  it('treats a redelivered result as a duplicate and resends what it produced that is still outstanding', async () => {
    await startWorkflow(deps, { source: order, file: 'order.workflow' }, { orderId: 'o1', amount: 5 }, { id: 'o1' });
    const charge = sendTask(dispatcher.take());
    const body = result(charge, { success: true, paymentId: 'p1' });
    await processBody(deps, body);
    const first = dispatcher.take();
    // Same message again (SQS at-least-once, or a crash after the save but before the sends).
    const again = await processBody(deps, body);
    expect(again).toMatchObject({ outcome: 'duplicate', resent: first.filter((c) => c.type !== 'cancelTimer').length });
    expect(dispatcher.take()).toEqual(first.filter((c) => c.type !== 'cancelTimer'));
    expect((await store.load('o1'))!.version).toBe(2);
  });

  it('re-sends an early timer with the time left instead of firing it', async () => {
    await startWorkflow(deps, { source: order, file: 'order.workflow' }, { orderId: 'o1', amount: 5 }, { id: 'o1' });
    const timer = dispatcher.take().find((c) => c.type === 'scheduleTimer') as Extract<DispatchCommand, { type: 'scheduleTimer' }>;
    const body = JSON.stringify({ type: 'timer', instanceId: 'o1', timerId: timer.timerId, fireAt: timer.fireAt });
    const early = await processBody(deps, body);
    expect(early).toMatchObject({ outcome: 'duplicate', resent: 1 });
    expect(dispatcher.take()).toEqual([{ type: 'scheduleTimer', instanceId: 'o1', timerId: timer.timerId, fireAt: timer.fireAt }]);
    nowMs = Date.parse(timer.fireAt); // due now: the task attempt times out and a retry is scheduled
    expect(await processBody(deps, body)).toMatchObject({ outcome: 'applied', version: 2 });
    expect((await store.load('o1'))!.tasks[timer.timerId.split('#')[0]!]).toMatchObject({ lastError: { type: 'Timeout' } });
  });

  it('drops a result without the attempt token, or with a wrong one, and resends nothing', async () => {
    await startWorkflow(deps, { source: order, file: 'order.workflow' }, { orderId: 'o1', amount: 5 }, { id: 'o1' });
    const charge = sendTask(dispatcher.take());
    expect(charge.token).toEqual(expect.any(String));
    // The previous format (no token), as a task function that was not sent this attempt would forge it.
    const forged = await processBody(deps, result({ ...charge, token: undefined }, { success: true, paymentId: 'evil' }), { source: 'results' });
    expect(forged).toMatchObject({ outcome: 'refused', instanceId: 'o1', reason: expect.stringMatching(/has no token/) });
    const guessed = await processBody(deps, result({ ...charge, token: 'u1' }, { success: true, paymentId: 'evil' }), { source: 'results' });
    expect(guessed).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/wrong token/) });
    expect(dispatcher.take()).toEqual([]);
    expect((await store.load('o1'))!).toMatchObject({ version: 1, status: 'running' });
    // The legitimate result still applies; a forged replay of it afterwards makes nothing resend.
    expect(await processBody(deps, result(charge, { success: true, paymentId: 'p1' }), { source: 'results' })).toMatchObject({ outcome: 'applied', version: 2 });
    dispatcher.take();
    expect(await processBody(deps, result({ ...charge, token: 'nope' }, { success: true }), { source: 'results' })).toMatchObject({ outcome: 'refused' });
    expect(dispatcher.take()).toEqual([]);
    // …while the real redelivery still resends what it produced (crash repair).
    expect(await processBody(deps, result(charge, { success: true, paymentId: 'p1' }), { source: 'results' })).toMatchObject({ outcome: 'duplicate', resent: 2 });
  });

  it('drops signals and cancels from either queue: they come only through the api', async () => {
    await startWorkflow(deps, { source: approval, file: 'approval.workflow' }, { requestId: 'r', amount: 1 }, { id: 'r' });
    const ask = sendTask(dispatcher.take());
    await processBody(deps, result(ask, null));
    const signal = JSON.stringify({ type: 'signal', instanceId: 'r', name: 'approval', payload: { approved: true, by: 'eve' }, signalId: 'signal:1' });
    const cancel = JSON.stringify({ type: 'cancel', instanceId: 'r', reason: 'forged' });
    for (const source of ['results', 'events'] as const) {
      for (const body of [signal, cancel]) expect(await processBody(deps, body, { source })).toMatchObject({ outcome: 'refused', instanceId: 'r' });
    }
    // A task's result on the event queue, or a wake-up on the result queue, is refused too.
    expect(await processBody(deps, result(ask, null), { source: 'events' })).toMatchObject({ outcome: 'refused' });
    expect(await processBody(deps, JSON.stringify({ type: 'wake', instanceId: 'r', wakeId: 'w', at: new Date(nowMs).toISOString() }), { source: 'results' })).toMatchObject({ outcome: 'refused' });
    expect((await store.load('r'))!).toMatchObject({ status: 'waiting', version: 2 });
    expect(dispatcher.take().filter((c) => c.type === 'sendTask')).toEqual([]);
  });

  it('drops events for unknown instances and rejects unprocessable messages (so they reach the DLQ)', async () => {
    expect(await processBody(deps, result({ instanceId: 'ghost', taskId: 'n1.s1', attempt: 1 }, null))).toEqual({ outcome: 'unknown-instance', instanceId: 'ghost', event: 'n1.s1#1' });
    await expect(processBody(deps, 'not json')).rejects.toBeInstanceOf(PoisonMessageError);
    await expect(processBody(deps, JSON.stringify({ type: 'start', instanceId: 'x' }))).rejects.toThrow(/unknown message type "start"/);
  });
});

describe('processBatch', () => {
  const rec = (body: string, id: string) => ({ messageId: id, body }) as SQSRecord;

  it('runs records of one instance in order, other instances alongside, and reports each outcome in place', async () => {
    const log: string[] = [];
    const gate: Record<string, () => void> = {};
    const records = [
      rec(JSON.stringify({ instanceId: 'a', n: 1 }), 'm1'),
      rec(JSON.stringify({ instanceId: 'b', n: 1 }), 'm2'),
      rec(JSON.stringify({ instanceId: 'a', n: 2 }), 'm3'),
      rec('garbage', 'm4'),
    ];
    const out = processBatch(records, async (r) => {
      const m = instanceKey(r.body);
      if (!m) throw new Error('bad');
      log.push(`start ${r.messageId}`);
      if (r.messageId === 'm1') await new Promise<void>((ok) => (gate.m1 = ok));
      log.push(`end ${r.messageId}`);
      return r.messageId;
    });
    await new Promise((ok) => setTimeout(ok, 10));
    // m2 (instance b) ran while m1 (instance a) was still busy; m3 waits for m1.
    expect(log).toEqual(['start m1', 'start m2', 'end m2']);
    gate.m1!();
    const settled = await out;
    expect(log).toEqual(['start m1', 'start m2', 'end m2', 'end m1', 'start m3', 'end m3']);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
  });

  it('keeps going after a failed record of the same instance', async () => {
    const records = [rec(JSON.stringify({ instanceId: 'a' }), '1'), rec(JSON.stringify({ instanceId: 'a' }), '2')];
    const settled = await processBatch(records, async (r) => {
      if (r.messageId === '1') throw new Error('conflicts');
      return 'ok';
    });
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled']);
  });
});

describe('wake-ups', () => {
  let wstore: WakeStore;
  let wdispatcher: WakeDispatcher;
  let wdeps: StepDeps;

  beforeEach(async () => {
    wstore = new WakeStore();
    wdispatcher = new WakeDispatcher();
    let n = 0;
    wdeps = { store: wstore, dispatcher: wdispatcher, wakes: { store: wstore, sender: wdispatcher }, programs: new ProgramCache(wstore), clock: { now: () => new Date(nowMs), uuid: () => `u${++n}` } };
    await startWorkflow(wdeps, { source: order, file: 'order.workflow' }, { orderId: 'o1', amount: 5 }, { id: 'o1' });
    // As DynamoStore would have planned it: the wake-up is the first attempt's timeout.
    const i = (await wstore.load('o1')) as AwsInstance;
    const [, timeout] = Object.entries(i.timers)[0]!;
    i.wake = { id: 'w1', at: timeout.fireAt };
    wstore.instances.set('o1', JSON.stringify(i));
    wdispatcher.take();
  });

  const wakeBody = (id: string, at: string) => JSON.stringify({ type: 'wake', instanceId: 'o1', wakeId: id, at });

  it('sends an early wake-up on with the time left, without reading the instance', async () => {
    const i = (await wstore.load('o1')) as AwsInstance;
    const loads: string[] = [];
    const load = wstore.load.bind(wstore);
    wstore.load = async (id) => (loads.push(id), load(id));
    expect(await processBody(wdeps, wakeBody('w1', i.wake!.at))).toMatchObject({ outcome: 'wake', result: 'early' });
    expect(wdispatcher.wakes).toEqual([{ ...i.wake, instanceId: 'o1' }]);
    expect(loads).toEqual([]);
  });

  it('parks a wake-up that arrives with more than 15 minutes to go (an older hop), and drops its copies', async () => {
    // As an older version left it: a far wake-up in flight, not parked.
    const i = (await wstore.load('o1')) as AwsInstance;
    const far = '2026-01-31T00:00:00.000Z';
    i.wake = { id: 'w9', at: far };
    wstore.instances.set('o1', JSON.stringify(i));
    expect(await processBody(wdeps, wakeBody('w9', far))).toMatchObject({ outcome: 'wake', result: 'parked', fired: 0 });
    expect(((await wstore.load('o1')) as AwsInstance).wake).toEqual({ id: 'w9', at: far, parked: true });
    expect(wdispatcher.wakes).toEqual([]); // no hop
    // A copy of the same wake-up (a resend, a retried start) dies instead of hopping on.
    expect(await processBody(wdeps, wakeBody('w9', far))).toMatchObject({ outcome: 'wake', result: 'stale' });
    expect(await processBody(wdeps, wakeBody('w0', far))).toMatchObject({ outcome: 'wake', result: 'stale' });
    expect(wdispatcher.wakes).toEqual([]);
    expect((await wstore.load('o1'))!.version).toBe(1); // parking does not bump the version
  });

  it('re-arms a timer due more than 15 minutes ahead by parking it (no message)', async () => {
    const s = new WakeStore();
    const d = new WakeDispatcher();
    const sdeps: StepDeps = { store: s, dispatcher: d, wakes: { store: s, sender: d }, programs: new ProgramCache(s), clock: wdeps.clock };
    await startWorkflow(sdeps, { source: 'task t(): number\nworkflow w(): number { const x = await t()\n await sleep("30d")\n return x }', file: 'w.workflow' }, {}, { id: 's1' });
    const started = (await s.load('s1')) as AwsInstance;
    const [taskId, attempt] = Object.entries(started.tasks)[0]!;
    started.wake = { id: 'w1', at: Object.values(started.timers)[0]!.fireAt };
    s.instances.set('s1', JSON.stringify(started));
    nowMs += 1000;
    await processBody(sdeps, result({ instanceId: 's1', taskId, attempt: attempt.attempt, token: attemptToken(started.secret!, taskId, 1) }, 1));
    // The task's timeout passes (the wake-up arrives); only the 30-day sleep is left.
    nowMs = Date.parse(started.wake.at);
    expect(await processBody(sdeps, JSON.stringify({ type: 'wake', instanceId: 's1', wakeId: 'w1', at: started.wake.at }))).toMatchObject({ result: 'rearmed' });
    const after = (await s.load('s1')) as AwsInstance;
    expect(after.wake).toEqual({ id: expect.any(String), at: Object.values(after.timers)[0]!.fireAt, parked: true });
    expect(d.wakes).toEqual([]);
  });

  it('drops a stale wake-up (replaced, or the instance finished)', async () => {
    const i = (await wstore.load('o1')) as AwsInstance;
    nowMs = Date.parse(i.wake!.at);
    expect(await processBody(wdeps, wakeBody('w0', i.wake!.at))).toMatchObject({ outcome: 'wake', result: 'stale' });
    expect(wdispatcher.wakes).toEqual([]);
    expect((await wstore.load('o1'))!.version).toBe(1);
  });

  it('fires the due timers through the runtime and re-arms for the earliest one left', async () => {
    const i = (await wstore.load('o1')) as AwsInstance;
    nowMs = Date.parse(i.wake!.at); // the first attempt's timeout is due: attempt 1 failed, a retry is scheduled
    const out = await processBody(wdeps, wakeBody('w1', i.wake!.at));
    expect(out).toMatchObject({ outcome: 'wake', result: 'rearmed', fired: 1 });
    const after = (await wstore.load('o1')) as AwsInstance;
    const retry = Object.entries(after.timers).find(([id]) => id.endsWith(':retry'))!;
    expect(after.wake).toEqual({ id: expect.any(String), at: retry[1].fireAt });
    expect(after.wake!.id).not.toBe('w1');
    expect(wdispatcher.wakes).toEqual([{ ...after.wake, instanceId: 'o1' }]);
    // The old wake-up, delivered again, is now stale.
    expect(await processBody(wdeps, wakeBody('w1', i.wake!.at))).toMatchObject({ result: 'stale' });
  });

  it('a current wake-up delivered again re-sends the attempts that fired timers sent, not the others', async () => {
    const i = (await wstore.load('o1')) as AwsInstance;
    nowMs = Date.parse(i.wake!.at) - 500; // within the tolerance: processed, nothing due yet
    // The charge attempt was sent by the start: its own redelivery repairs it, not a wake-up's.
    await processBody(wdeps, wakeBody('w1', i.wake!.at), { receiveCount: 2 });
    expect(wdispatcher.take()).toEqual([]);
    // Its timeout fires (attempt 1 failed), then the retry timer sends attempt 2: work of timers.
    let j = (await wstore.load('o1')) as AwsInstance;
    nowMs = Date.parse(j.wake!.at);
    await processBody(wdeps, wakeBody(j.wake!.id, j.wake!.at));
    j = (await wstore.load('o1')) as AwsInstance;
    nowMs = Date.parse(j.wake!.at);
    await processBody(wdeps, wakeBody(j.wake!.id, j.wake!.at));
    j = (await wstore.load('o1')) as AwsInstance;
    expect(Object.values(j.tasks)).toMatchObject([{ attempt: 2, producedBy: expect.stringMatching(/^timer:.*:retry$/) }]);
    wdispatcher.take();
    // Had the delivery that sent it died after its save, the redelivered wake-up sends it again.
    nowMs = Date.parse(j.wake!.at) - 500;
    await processBody(wdeps, wakeBody(j.wake!.id, j.wake!.at), { receiveCount: 2 });
    expect(wdispatcher.take()).toEqual([expect.objectContaining({ type: 'sendTask', task: 'chargeCard', attempt: 2 })]);
    // A first delivery re-sends nothing.
    await processBody(wdeps, wakeBody(j.wake!.id, j.wake!.at), { receiveCount: 1 });
    expect(wdispatcher.take()).toEqual([]);
  });

  it('a repair wake-up from the reconciler re-sends every outstanding attempt', async () => {
    const i = (await wstore.load('o1')) as AwsInstance;
    nowMs = Date.parse(i.wake!.at) - 500;
    await processBody(wdeps, JSON.stringify({ type: 'wake', instanceId: 'o1', wakeId: 'w1', at: i.wake!.at, repair: true }));
    expect(wdispatcher.take()).toEqual([expect.objectContaining({ type: 'sendTask', task: 'chargeCard', attempt: 1 })]);
  });

  it('fires every due timer with one load and one save', async () => {
    await startWorkflow(wdeps, { source: readFileSync(new URL('../../examples/fanin/fanin.workflow', import.meta.url), 'utf8'), file: 'fanin.workflow' }, { items: [1, 2, 3, 4, 5] }, { id: 'f1' });
    const f = (await wstore.load('f1')) as AwsInstance;
    f.wake = { id: 'wf', at: Object.values(f.timers)[0]!.fireAt };
    wstore.instances.set('f1', JSON.stringify(f));
    nowMs = Date.parse(f.wake.at) + 1; // the five attempts' timeouts are all due
    let saves = 0;
    const save = wstore.save.bind(wstore);
    wstore.save = async (inst, v) => (saves++, save(inst, v));
    const out = await processBody(wdeps, JSON.stringify({ type: 'wake', instanceId: 'f1', wakeId: 'wf', at: f.wake.at }));
    expect(out).toMatchObject({ outcome: 'wake', result: 'rearmed', fired: 5 });
    expect(saves).toBe(1);
    const after = (await wstore.load('f1')) as AwsInstance;
    expect(Object.keys(after.timers).filter((t) => t.endsWith(':retry'))).toHaveLength(5);
  });

  it('re-arms without firing when nothing is due (the timers it was for were cancelled)', async () => {
    const i = (await wstore.load('o1')) as AwsInstance;
    const charge = Object.keys(i.tasks)[0]!;
    nowMs += 60_000; // the charge takes a minute
    await processBody(wdeps, result({ instanceId: 'o1', taskId: charge, attempt: 1, token: attemptToken(i.secret!, charge, 1) }, { success: true, paymentId: 'p' }));
    const mid = (await wstore.load('o1')) as AwsInstance;
    expect(mid.wake).toEqual(i.wake); // carried through the transition
    nowMs = Date.parse(i.wake!.at) + 10;
    expect(await processBody(wdeps, wakeBody('w1', i.wake!.at))).toMatchObject({ result: 'rearmed', fired: 0 });
    const after = (await wstore.load('o1')) as AwsInstance;
    expect(after.wake!.at).toBe(Object.values(after.timers)[0]!.fireAt); // the ship attempt's timeout
    expect(after.version).toBe(mid.version + 1);
  });
});
