// The reconciler over the in-memory wake-up port: what it finds overdue, what it sends, and the
// whole repair — a wake-up message lost, the reconciler re-sends it, the step function fires the
// due timer and re-sends the lost task attempt — with nothing but the stored instance to go on.
// (The byDue index query and the schedule: infra-test/engine.test.ts on the emulator.)
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { reconcile, sweepAll, sweepParked } from '../../functions/reconcile.ts';
import { processBody, type StepDeps } from '../../functions/step.ts';
import type { AwsInstance, WakePort } from '../../adapters/aws/wake.ts';
import { attemptToken, ProgramCache, startWorkflow, type DispatchCommand } from '../../runtime/index.ts';
import { WakeDispatcher, WakeStore } from './wake-fakes.ts';

const order = readFileSync(new URL('../../examples/order/order.workflow', import.meta.url), 'utf8');
const GRACE = 300_000;
/** The sweep's half of the port, for tests of the repair alone. */
const NO_PARKING = { parkedWakes: async () => [], unpark: async () => false, park: async () => false };

describe('reconcile', () => {
  it('re-sends, as repairs, exactly the wake-ups due before now minus the grace', async () => {
    const asked: { before: string; limit: number }[] = [];
    const sent: unknown[] = [];
    const port: WakePort = {
      store: {
        ...NO_PARKING,
        setWake: async () => {},
        overdueWakes: async (before, limit) => {
          asked.push({ before, limit });
          return [
            { instanceId: 'a', wake: { id: 'w1', at: '2026-01-01T00:00:00.000Z' } },
            { instanceId: 'b', wake: { id: 'w2', at: '2026-01-01T00:04:00.000Z' } },
          ];
        },
      },
      sender: { sendWake: async (id, wake, opts) => void sent.push({ id, wake, opts }) },
    };
    const report = await reconcile(port, { graceMs: GRACE, now: () => new Date('2026-01-01T00:10:00.000Z') });
    expect(asked).toEqual([{ before: '2026-01-01T00:05:00.000Z', limit: 5001 }]);
    expect(sent).toEqual([
      { id: 'a', wake: { id: 'w1', at: '2026-01-01T00:00:00.000Z' }, opts: { repair: true } },
      { id: 'b', wake: { id: 'w2', at: '2026-01-01T00:04:00.000Z' }, opts: { repair: true } },
    ]);
    expect(report).toEqual({ overdue: 2, resent: 2, failed: 0, truncated: false, oldestOverdueMs: 600_000, instanceIds: ['a', 'b'] });
  });

  it('counts failed sends and carries on; says when more were overdue than it may send', async () => {
    const port: WakePort = {
      store: {
        ...NO_PARKING,
        setWake: async () => {},
        overdueWakes: async (_b, limit) => Array.from({ length: limit }, (_, k) => ({ instanceId: `i${k}`, wake: { id: `w${k}`, at: '2026-01-01T00:00:00.000Z' } })),
      },
      sender: {
        sendWake: async (id) => {
          if (id === 'i1') throw new Error('throttled');
        },
      },
    };
    const report = await reconcile(port, { graceMs: 0, limit: 3, now: () => new Date('2026-01-01T00:01:00.000Z') });
    expect(report).toMatchObject({ overdue: 3, resent: 2, failed: 1, truncated: true });
  });
});

describe('sweepParked', () => {
  const NOW = new Date('2026-01-01T00:00:00.000Z');
  const parked = (id: string, at: string) => ({ instanceId: id, wake: { id: `w-${id}`, at, parked: true as const } });

  it('takes the parked wake-ups due within 14 minutes out of the index, then sends each (not as a repair)', async () => {
    const asked: string[] = [];
    const calls: string[] = [];
    const port: WakePort = {
      store: {
        setWake: async () => {},
        overdueWakes: async () => [],
        parkedWakes: async (before) => (asked.push(before), [parked('a', '2026-01-01T00:10:00.000Z'), parked('b', '2026-01-01T00:13:59.000Z')]),
        unpark: async (id) => (calls.push(`unpark ${id}`), true),
        park: async () => false,
      },
      sender: { sendWake: async (id, wake, opts) => void calls.push(`send ${id} ${JSON.stringify(wake)} ${JSON.stringify(opts ?? {})}`) },
    };
    const r = await sweepParked(port, { now: () => NOW });
    expect(asked).toEqual(['2026-01-01T00:14:00.000Z']);
    expect(r).toEqual({ due: 2, sent: 2, skipped: 0, failed: 0, truncated: false, instanceIds: ['a', 'b'] });
    // Take-out before send, and the message carries the wake-up as it is (same id, not parked).
    expect(calls.indexOf('unpark a')).toBeLessThan(calls.findIndex((c) => c.startsWith('send a')));
    expect(calls).toContain('send a {"id":"w-a","at":"2026-01-01T00:10:00.000Z"} {}');
  });

  it('sends nothing for one another run took first (or that was replaced); parks again one whose send failed', async () => {
    const parkedAgain: string[] = [];
    const sent: string[] = [];
    const port: WakePort = {
      store: {
        setWake: async () => {},
        overdueWakes: async () => [],
        parkedWakes: async () => [parked('taken', '2026-01-01T00:01:00.000Z'), parked('throttled', '2026-01-01T00:02:00.000Z'), parked('ok', '2026-01-01T00:03:00.000Z')],
        unpark: async (id) => id !== 'taken',
        park: async (id) => (parkedAgain.push(id), true),
      },
      sender: {
        sendWake: async (id) => {
          if (id === 'throttled') throw new Error('throttled');
          sent.push(id);
        },
      },
    };
    const r = await sweepParked(port, { now: () => NOW });
    expect(r).toMatchObject({ due: 3, sent: 1, skipped: 1, failed: 1, instanceIds: ['ok'] });
    expect(sent).toEqual(['ok']);
    expect(parkedAgain).toEqual(['throttled']);
  });

  it('sweeps on while pages come back full (a burst of wake-ups due together)', async () => {
    let left = 25;
    const port: WakePort = {
      store: {
        setWake: async () => {},
        overdueWakes: async () => [],
        parkedWakes: async (_b, limit) => Array.from({ length: Math.min(limit, left) }, (_, k) => parked(`i${left - k}`, '2026-01-01T00:05:00.000Z')),
        unpark: async () => (left--, true),
        park: async () => false,
      },
      sender: { sendWake: async () => {} },
    };
    const r = await sweepAll(port, { now: () => NOW, limit: 10 });
    expect(r).toMatchObject({ due: 25, sent: 25, truncated: false });
    expect(left).toBe(0);
  });

  it('the repair skips instances the sweep just sent', async () => {
    const sent: string[] = [];
    const port: WakePort = {
      store: { ...NO_PARKING, setWake: async () => {}, overdueWakes: async () => [parked('a', '2025-12-31T00:00:00.000Z'), parked('b', '2025-12-31T00:00:00.000Z')] },
      sender: { sendWake: async (id) => void sent.push(id) },
    };
    const r = await reconcile(port, { graceMs: GRACE, now: () => NOW, skip: new Set(['a']) });
    expect(r).toMatchObject({ overdue: 1, resent: 1, instanceIds: ['b'] });
    expect(sent).toEqual(['b']);
  });
});

describe('repair of a lost wake-up', () => {
  let store: WakeStore;
  let sender: WakeDispatcher;
  let deps: StepDeps;
  let nowMs: number;

  beforeEach(() => {
    store = new WakeStore();
    sender = new WakeDispatcher();
    nowMs = Date.parse('2026-01-01T00:00:00.000Z');
    let n = 0;
    deps = { store, dispatcher: sender, wakes: { store, sender }, programs: new ProgramCache(store), clock: { now: () => new Date(nowMs), uuid: () => `u${++n}` } };
  });

  it('a lost wake-up and a lost task message: the reconciler re-sends the wake-up, the instance moves on and completes', async () => {
    await startWorkflow(deps, { source: order, file: 'order.workflow' }, { orderId: 'o1', amount: 5 }, { id: 'o1' });
    // As DynamoStore plans it: the wake-up is the first attempt's timeout. Its message, and the
    // task message, are both lost (dead-lettered): nothing is in flight for this instance.
    const i = (await store.load('o1')) as AwsInstance;
    const timeout = Object.values(i.timers)[0]!;
    i.wake = { id: 'w1', at: timeout.fireAt };
    store.instances.set('o1', JSON.stringify(i));
    sender.take();

    // Before the grace has passed, nothing is overdue.
    nowMs = Date.parse(timeout.fireAt) + GRACE - 1000;
    expect(await reconcile(deps.wakes!, { graceMs: GRACE, now: () => new Date(nowMs) })).toMatchObject({ overdue: 0, resent: 0 });
    expect(sender.wakes).toEqual([]);

    nowMs = Date.parse(timeout.fireAt) + GRACE + 1000;
    expect(await reconcile(deps.wakes!, { graceMs: GRACE, now: () => new Date(nowMs) })).toMatchObject({ overdue: 1, resent: 1 });
    expect(sender.wakes).toEqual([{ instanceId: 'o1', id: 'w1', at: timeout.fireAt, repair: true }]);

    // The step function gets the repair: the overdue attempt times out, its retry is scheduled.
    const body = JSON.stringify({ type: 'wake', instanceId: 'o1', wakeId: 'w1', at: timeout.fireAt, repair: true });
    expect(await processBody(deps, body)).toMatchObject({ outcome: 'wake', result: 'rearmed', fired: 1 });
    const after = (await store.load('o1')) as AwsInstance;
    expect(after.wake!.id).not.toBe('w1');
    expect(after.steps.some((s) => /timed out/.test(s.outcome ?? ''))).toBe(true);

    // The retry's wake-up fires: the second attempt is sent; its result completes the charge.
    sender.take();
    nowMs = Date.parse(after.wake!.at);
    await processBody(deps, JSON.stringify({ type: 'wake', instanceId: 'o1', wakeId: after.wake!.id, at: after.wake!.at }));
    const retry = sender.take().find((c) => c.type === 'sendTask') as Extract<DispatchCommand, { type: 'sendTask' }>;
    expect(retry).toMatchObject({ task: 'chargeCard', attempt: 2 });
    const stored = (await store.load('o1')) as AwsInstance;
    const res = (task: typeof retry, value: unknown) =>
      JSON.stringify({ protocol: 'currant.result.v1', type: 'taskResult', instanceId: 'o1', taskId: task.taskId, attempt: task.attempt, token: attemptToken(stored.secret!, task.taskId, task.attempt), ok: true, result: value });
    await processBody(deps, res(retry, { success: true, paymentId: 'p1' }));
    const ship = sender.take().find((c) => c.type === 'sendTask') as typeof retry;
    expect(ship).toMatchObject({ task: 'shipOrder' });
    await processBody(deps, res(ship, { success: true, trackingId: 'TRACK-1' }));
    expect(await store.load('o1')).toMatchObject({ status: 'completed', result: 'TRACK-1' });
    // Finished: nothing is overdue any more, however late it gets.
    nowMs += 365 * 86_400_000;
    expect(await reconcile(deps.wakes!, { graceMs: GRACE, now: () => new Date(nowMs) })).toMatchObject({ overdue: 0 });
  });

  it('a repair wake-up re-sends the outstanding attempts even when nothing is due yet', async () => {
    await startWorkflow(deps, { source: order, file: 'order.workflow' }, { orderId: 'o1', amount: 5 }, { id: 'o1' });
    const i = (await store.load('o1')) as AwsInstance;
    i.wake = { id: 'w1', at: Object.values(i.timers)[0]!.fireAt };
    store.instances.set('o1', JSON.stringify(i));
    sender.take();
    nowMs = Date.parse(i.wake.at) - 500; // within the early tolerance: processed, nothing due
    await processBody(deps, JSON.stringify({ type: 'wake', instanceId: 'o1', wakeId: 'w1', at: i.wake.at, repair: true }));
    expect(sender.take()).toEqual([expect.objectContaining({ type: 'sendTask', task: 'chargeCard', attempt: 1 })]);
  });
});
