// The step function's record processing over the runtime's in-memory reference store and a
// recording dispatcher: message → event mapping, duplicates, unknown instances, poison messages,
// and the per-instance ordering of a batch. (SQS/DynamoDB behaviour: infra-test/ on the emulator.)
import { readFileSync } from 'node:fs';
import type { SQSRecord } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { instanceKey, PoisonMessageError, processBatch, processBody } from '../../functions/step.ts';
import { MemoryStore, ProgramCache, RecordingDispatcher, startWorkflow, type DispatchCommand, type RuntimeDeps } from '../../runtime/index.ts';

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
const result = (c: { instanceId: string; taskId: string; attempt: number }, value: unknown) =>
  JSON.stringify({ protocol: 'currant.result.v1', type: 'taskResult', instanceId: c.instanceId, taskId: c.taskId, attempt: c.attempt, ok: true, result: value });

describe('processBody', () => {
  it('applies a task result: the instance advances one version and the next task is dispatched', async () => {
    await startWorkflow(deps, { source: order, file: 'order.workflow' }, { orderId: 'o1', amount: 5 }, { id: 'o1' });
    const charge = sendTask(dispatcher.take());
    const out = await processBody(deps, result(charge, { success: true, paymentId: 'p1' }));
    expect(out).toEqual({ outcome: 'applied', instanceId: 'o1', event: `${charge.taskId}#1`, version: 2, status: 'running', commands: expect.any(Number) });
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

  it('delivers signals once per signal id', async () => {
    await startWorkflow(deps, { source: approval, file: 'approval.workflow' }, { requestId: 'r', amount: 1 }, { id: 'r' });
    const ask = sendTask(dispatcher.take());
    await processBody(deps, result(ask, null));
    const body = JSON.stringify({ type: 'signal', instanceId: 'r', name: 'approval', payload: { approved: true, by: 'ann' }, signalId: 'signal:1' });
    expect(await processBody(deps, body)).toMatchObject({ outcome: 'applied' });
    expect(await processBody(deps, body)).toMatchObject({ outcome: 'duplicate' });
    expect(sendTask(dispatcher.take())).toMatchObject({ task: 'notifyRequester', args: ['r', 'approved'] });
  });

  it('drops events for unknown instances and rejects unprocessable messages (so they reach the DLQ)', async () => {
    expect(await processBody(deps, JSON.stringify({ type: 'cancel', instanceId: 'ghost' }))).toEqual({ outcome: 'unknown-instance', instanceId: 'ghost', event: 'cancel' });
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
