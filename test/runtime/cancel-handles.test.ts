/**
 * The runtime core with handles and cancellation: a race's losing task is accepted and ignored,
 * a cancel with compensation (abandoned attempts, the grace timer, a second cancel), `instance.*`
 * from the instance record, and the view while compensating.
 */
import { describe, expect, it } from 'vitest';
import { cancelInstance, signalInstance } from '../../runtime/driver.ts';
import { InputError, SignalRejectedError } from '../../runtime/errors.ts';
import { instanceView } from '../../runtime/view.ts';
import { DEFAULT_CANCEL_GRACE_MS, timerIds } from '../../runtime/types.ts';
import { Harness } from './harness.ts';

const RACE = `task quote(sku: string): number
workflow w(sku: string) {
  const price = await Promise.race([quote(sku), sleep("10s")])
  await signal("go")
  return price
}`;

const SAGA = `task book(trip: string): string
task unbook(booking: string): void
task remind(trip: string): void
workflow w(trip: string) {
  const booking = await book(trip)
  const later = remind(trip)
  try {
    await signal("confirm")
    return "confirmed"
  } catch (e) {
    await unbook(booking)
    throw e
  }
}`;

describe('handles in the runtime core', () => {
  it("a race's losing task: its late result is accepted (the attempt is done) and changes nothing else", async () => {
    const h = new Harness();
    await h.start(RACE, { sku: 's' });
    const [t] = h.sentTasks();
    const sleepId = Object.entries((await h.load()).timers).find(([, x]) => x.purpose === 'sleep')![0];
    await h.fire(sleepId); // the sleep wins the race
    let i = await h.load();
    expect(i.status).toBe('running'); // the loser's attempt is still outstanding: it keeps running
    expect(Object.keys(i.tasks)).toEqual([t!.taskId]);
    const r = await h.complete(t!, 12);
    expect(r.duplicate).toBe(false);
    i = await h.load();
    expect(i.tasks).toEqual({});
    expect(i.status).toBe('waiting');
    expect(i.steps.at(-1)).toMatchObject({ kind: 'task', task: 'quote', outcome: 'ok' });
    const done = await h.signal('go', null);
    expect(done.duplicate ? undefined : done.instance).toMatchObject({ status: 'completed', result: null });
  });

  it('refuses the reserved key $handle at the doors: a start input (InputError) and a signal payload (SIGNAL_INVALID)', async () => {
    const h = new Harness();
    await expect(h.start('workflow w(x: any) {\n  return await signal("go")\n}', { x: { deep: [{ $handle: 'n1.s1' }] } })).rejects.toBeInstanceOf(InputError);
    await h.start('workflow w(x: any) {\n  return await signal("go")\n}', { x: 1 });
    const refused = signalInstance(h.deps, h.id, 'go', { $handle: 'n5.s1' });
    await expect(refused).rejects.toBeInstanceOf(SignalRejectedError);
    await expect(refused).rejects.toMatchObject({ code: 'SIGNAL_INVALID' });
    expect((await h.load()).status).toBe('waiting');
  });

  it('instance.id and instance.startedAt come from the instance record', async () => {
    const h = new Harness();
    await h.start('workflow w() {\n  await sleep("1s")\n  return [instance.id, instance.workflow, instance.startedAt]\n}', {}, 'my-order-7');
    h.nowMs += 5000;
    const r = await h.fire(Object.keys((await h.load()).timers)[0]!);
    expect(r.duplicate ? undefined : r.instance).toMatchObject({ status: 'completed', result: ['my-order-7', 'w', '2026-01-01T00:00:00.000Z'] });
    // the state keeps nothing for it: the record is the source
    expect((await h.load()).state.i).toBeUndefined();
  });
});

describe('cancel with compensation', () => {
  async function started(): Promise<Harness> {
    const h = new Harness();
    await h.start(SAGA, { trip: 't1' });
    const [book] = h.sentTasks();
    await h.complete(book!, 'b-1');
    return h;
  }

  it('abandons outstanding attempts, throws at the await, runs the catch with its awaits, then ends cancelled', async () => {
    const h = await started();
    const [remind] = h.sentTasks();
    expect(remind).toMatchObject({ task: 'remind' });
    const r = await cancelInstance(h.deps, h.id, 'customer changed their mind');
    expect(r.duplicate).toBe(false);
    let i = await h.load();
    expect(i.status).toBe('running');
    expect(i.cancelling).toEqual({ at: '2026-01-01T00:00:00.000Z', reason: 'customer changed their mind', until: new Date(Date.parse('2026-01-01T00:00:00.000Z') + DEFAULT_CANCEL_GRACE_MS).toISOString() });
    expect(Object.values(i.tasks).map((t) => t.task)).toEqual(['unbook']);
    expect(i.timers[timerIds.cancelGrace]).toMatchObject({ purpose: 'cancelGrace', producedBy: 'cancel' });
    expect(i.seenEvents).toContain('cancel');
    const outcomes = i.steps.map((s) => `${s.kind} ${s.outcome}`);
    expect(outcomes).toContain('task abandoned (the instance is cancelled)');
    expect(outcomes.at(-1)).toMatch(/^cancel cancelling: customer changed their mind; the workflow compensates until .* \(grace 5m\)$/);
    const view = instanceView(i);
    expect(view.cancelling?.reason).toBe('customer changed their mind');
    expect(view.variables).toMatchObject({ booking: 'b-1', e: { name: 'CancelledError', code: 'CANCELLED' } });
    // the abandoned attempt's late result is a duplicate
    expect((await h.complete(remind!, null)).duplicate).toBe(true);
    const [unbook] = h.sentTasks();
    expect(unbook).toMatchObject({ task: 'unbook', args: ['b-1'] });
    const end = await h.complete(unbook!, null);
    expect(end.duplicate).toBe(false);
    i = await h.load();
    expect(i).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED', message: 'customer changed their mind' }, tasks: {}, timers: {} });
    expect(i.cancelling).toBeUndefined();
    expect(h.take()).toContainEqual({ type: 'cancelTimer', instanceId: h.id, timerId: timerIds.cancelGrace });
  });

  it('the grace timer ends a compensation that takes too long', async () => {
    const h = await started();
    h.deps.limits = { cancelGraceMs: 60_000 };
    await cancelInstance(h.deps, h.id);
    h.take();
    const r = await h.fire(timerIds.cancelGrace);
    expect(r.duplicate).toBe(false);
    const i = await h.load();
    expect(i).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled; the compensation did not finish within the grace period of 1m' }, tasks: {} });
  });

  it('a second cancel while compensating ends it at once', async () => {
    const h = await started();
    await cancelInstance(h.deps, h.id, 'first');
    await cancelInstance(h.deps, h.id, 'second');
    const i = await h.load();
    expect(i).toMatchObject({ status: 'cancelled', error: { message: 'first (cancelled again while compensating)' }, tasks: {}, timers: {} });
  });

  it('a workflow with no try is cancelled at once, as before', async () => {
    const h = new Harness();
    await h.start('task t(): void\nworkflow w() {\n  await t()\n}', {});
    const [t] = h.sentTasks();
    await cancelInstance(h.deps, h.id, 'stop');
    const i = await h.load();
    expect(i).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED', message: 'stop' }, tasks: {}, timers: {} });
    expect((await h.complete(t!, null)).duplicate).toBe(true);
  });

  it('a redelivered cancel id resends what the cancel produced to a process that missed it', async () => {
    const h = await started();
    await cancelInstance(h.deps, h.id);
    h.take();
    // the CLI's run process re-delivers a new seen event id as a duplicate signal (cli/commands/shared.ts)
    const r = await h.send({ type: 'signal', id: 'cancel', name: '', payload: null });
    expect(r.duplicate).toBe(true);
    expect(r.duplicate && r.resent.map((c) => c.type).sort()).toEqual(['scheduleTimer', 'scheduleTimer', 'sendTask']);
  });
});
