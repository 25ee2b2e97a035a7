// The reconciler over the in-memory wake-up port: what it finds overdue, what it sends, and the
// whole repair — a wake-up message lost, the reconciler re-sends it, the step function fires the
// due timer and re-sends the lost task attempt — with nothing but the stored instance to go on.
// (The byDue index query and the schedule: infra-test/engine.test.ts on the emulator.)
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { reconcile, sweepParked } from '../../functions/reconcile.ts';
import { fakeInstance } from '../runtime/store-contract.ts';
import { DUE_SHARDS, dueShard } from '../../adapters/aws/schema.ts';
import { parkKey } from '../../adapters/aws/wake.ts';
import { processBody, type StepDeps } from '../../functions/step.ts';
import type { AwsInstance, WakePort } from '../../adapters/aws/wake.ts';
import { attemptToken, ProgramCache, startWorkflow, type DispatchCommand } from '../../runtime/index.ts';
import { WakeDispatcher, WakeStore } from './wake-fakes.ts';

const order = readFileSync(new URL('../../examples/order/order.workflow', import.meta.url), 'utf8');
const GRACE = 300_000;
/** The sweep's half of the port, for tests of the repair alone. */
const NO_PARKING = { parkedWakes: async () => [], sweepMarks: async () => [], claimSweep: async () => false, park: async () => false };

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
      sender: { sendWake: async (id, wake, opts) => void sent.push({ id, wake, opts }), sendWakes: async () => {} },
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
        sendWakes: async () => {},
      },
    };
    const report = await reconcile(port, { graceMs: 0, limit: 3, now: () => new Date('2026-01-01T00:01:00.000Z') });
    expect(report).toMatchObject({ overdue: 3, resent: 2, failed: 1, truncated: true });
  });
});

describe('sweepParked', () => {
  const NOW = Date.parse('2026-01-01T00:00:00.000Z');
  /** A waiting instance whose only wake-up is parked, due at `at`. */
  const parkedInstance = (store: WakeStore, id: string, at: string) => {
    const i = { ...fakeInstance(id, { status: 'waiting' }), wake: { id: `w-${id}`, at, parked: true as const } };
    store.instances.set(id, JSON.stringify(i));
  };

  it('sends each parked wake-up due within 14 minutes once, as it is (same id, not a repair), and moves the marks', async () => {
    const store = new WakeStore();
    const sender = new WakeDispatcher();
    parkedInstance(store, 'a', '2026-01-01T00:10:00.000Z');
    parkedInstance(store, 'b', '2026-01-01T00:13:59.000Z');
    parkedInstance(store, 'late', '2025-12-31T23:00:00.000Z'); // overdue (the schedule stopped for a while): sent at once
    parkedInstance(store, 'later', '2026-01-01T00:14:00.000Z'); // not yet
    const r = await sweepParked({ store, sender }, { now: () => new Date(NOW) });
    expect(r).toMatchObject({ due: 3, sent: 3, skipped: 0, failed: 0, truncated: false });
    expect(r.instanceIds.sort()).toEqual(['a', 'b', 'late']);
    expect(sender.wakes.sort((x, y) => x.instanceId.localeCompare(y.instanceId))).toEqual([
      { instanceId: 'a', id: 'w-a', at: '2026-01-01T00:10:00.000Z' },
      { instanceId: 'b', id: 'w-b', at: '2026-01-01T00:13:59.000Z' },
      { instanceId: 'late', id: 'w-late', at: '2025-12-31T23:00:00.000Z' },
    ]);
    // Each shard's mark is the last key it sent.
    const expected: (string | undefined)[] = Array.from({ length: DUE_SHARDS }, () => undefined);
    for (const [id, at] of [['late', '2025-12-31T23:00:00.000Z'], ['a', '2026-01-01T00:10:00.000Z'], ['b', '2026-01-01T00:13:59.000Z']] as const) expected[Number(dueShard(id))] = parkKey(id, at);
    expect(store.marks).toEqual(expected);
    // The next run sends nothing again; a minute later it sends what came into the horizon.
    sender.wakes = [];
    expect(await sweepParked({ store, sender }, { now: () => new Date(NOW) })).toMatchObject({ due: 0, sent: 0 });
    const r2 = await sweepParked({ store, sender }, { now: () => new Date(NOW + 60_000) });
    expect(r2).toMatchObject({ due: 1, sent: 1, instanceIds: ['later'] });
  });

  it('a run that finds its page claimed by an overlapping run sends nothing of it', async () => {
    const store = new WakeStore();
    const sender = new WakeDispatcher();
    for (let k = 0; k < 40; k++) parkedInstance(store, `i${k}`, '2026-01-01T00:05:00.000Z');
    // Two runs read the same marks at once; only one claim per page can win.
    const claim = store.claimSweep.bind(store);
    let raced = false;
    store.claimSweep = async (shard, from, to) => {
      if (!raced) {
        raced = true;
        await claim(shard, from, `${to}`); // the other run claims this page first
      }
      return claim(shard, from, to);
    };
    const r = await sweepParked({ store, sender }, { now: () => new Date(NOW) });
    expect(r.skipped).toBeGreaterThan(0);
    expect(r.sent + r.skipped).toBe(40);
    expect(new Set(sender.wakes.map((w) => w.instanceId)).size).toBe(sender.wakes.length); // no wake-up sent twice
  });

  it('pages through a burst (claims a page at a time) and counts a failed send without sending it again', async () => {
    const store = new WakeStore();
    const sender = new WakeDispatcher();
    for (let k = 0; k < 250; k++) parkedInstance(store, `b${String(k).padStart(3, '0')}`, '2026-01-01T00:05:00.000Z');
    let calls = 0;
    const send = sender.sendWakes.bind(sender);
    sender.sendWakes = async (ws) => {
      if (++calls === 2) throw new Error('throttled');
      return send(ws);
    };
    const claims: number[] = [];
    const claim = store.claimSweep.bind(store);
    store.claimSweep = async (shard, from, to) => (claims.push(shard), claim(shard, from, to));
    const r = await sweepParked({ store, sender }, { now: () => new Date(NOW), pageSize: 10 });
    expect(r.due).toBe(250);
    expect(r.failed).toBe(10);
    expect(r.sent).toBe(240);
    // One claim per page: per shard, its entries in pages of ten.
    const perShard = new Map<string, number>();
    for (let k = 0; k < 250; k++) {
      const sh = dueShard(`b${String(k).padStart(3, '0')}`);
      perShard.set(sh, (perShard.get(sh) ?? 0) + 1);
    }
    expect(claims.length).toBe([...perShard.values()].reduce((n, c) => n + Math.ceil(c / 10), 0));
    expect(new Set(sender.wakes.map((w) => w.instanceId)).size).toBe(240);
    // The failed page is not sent by the next run (its mark moved): the repair handles it once overdue.
    sender.wakes = [];
    expect(await sweepParked({ store, sender }, { now: () => new Date(NOW), pageSize: 10 })).toMatchObject({ due: 0, sent: 0 });
  });

  it('stops at its time budget and says so; the next run goes on from the marks', async () => {
    const store = new WakeStore();
    const sender = new WakeDispatcher();
    for (let k = 0; k < 30; k++) parkedInstance(store, `t${k}`, '2026-01-01T00:05:00.000Z');
    const r = await sweepParked({ store, sender }, { now: () => new Date(NOW), pageSize: 1, budgetMs: -1 });
    expect(r).toMatchObject({ due: 0, sent: 0, truncated: true });
    const r2 = await sweepParked({ store, sender }, { now: () => new Date(NOW), pageSize: 1 });
    expect(r2).toMatchObject({ due: 30, sent: 30, truncated: false });
  });

  it('the repair skips instances the sweep just sent', async () => {
    const store = new WakeStore();
    const sender = new WakeDispatcher();
    parkedInstance(store, 'a', '2025-12-31T00:00:00.000Z');
    parkedInstance(store, 'b', '2025-12-31T00:00:00.000Z');
    const r = await reconcile({ store, sender }, { graceMs: GRACE, now: () => new Date(NOW), skip: new Set(['a']) });
    expect(r).toMatchObject({ overdue: 1, resent: 1, instanceIds: ['b'] });
    expect(sender.wakes.map((w) => w.instanceId)).toEqual(['b']);
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
