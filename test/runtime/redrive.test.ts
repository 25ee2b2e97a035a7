import { describe, expect, it } from 'vitest';
import { redriveInstance } from '../../runtime/driver.ts';
import { RedriveRefusedError } from '../../runtime/errors.ts';
import { instanceView } from '../../runtime/view.ts';
import { attemptToken } from '../../runtime/tokens.ts';
import { Harness } from './harness.ts';

// A failure at the second await: the first task's result must still be there after the redrive.
const TWO = `
task fetch(id: string): number
task charge(id: string, amount: number): string with { retries: 1, backoff: "1s", timeout: "10s" }

workflow pay(id: string): string {
  const amount = await fetch(id)
  const receipt = await charge(id, amount)
  return \`\${receipt} for \${amount}\`
}
`;

async function failedAtCharge(h: Harness) {
  await h.start(TWO, { id: 'o1' });
  const [f] = h.sentTasks();
  await h.complete(f!, 42);
  let [c] = h.sentTasks();
  await h.fail(c!, { message: 'card declined', type: 'Declined' });
  await h.fire(`${c!.taskId}#1:retry`);
  [c] = h.sentTasks();
  await h.fail(c!, { message: 'card declined again', type: 'Declined' });
  h.take();
  return c!;
}

describe('redrive', () => {
  it('resumes a task failure from its await: the task is sent again as attempt 1, the state is unchanged', async () => {
    const h = new Harness();
    const failedAttempt = await failedAtCharge(h);
    const failed = await h.load();
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'CR007', task: 'charge', attempts: 2, line: 7 });
    expect(instanceView(failed).redrive).toEqual({ possible: true, task: 'charge', taskId: failedAttempt.taskId, line: 7 });

    const r = await redriveInstance(h.deps, h.id);
    expect(r.duplicate).toBe(false);
    // handed over through a retry timer due at once (a runner picks that up promptly), then sent as attempt 1
    expect(h.take()).toEqual([{ type: 'scheduleTimer', instanceId: h.id, timerId: `${failedAttempt.taskId}#0:retry`, fireAt: new Date(h.nowMs).toISOString() }]);
    expect(instanceView(await h.load()).pending.tasks).toEqual([
      expect.objectContaining({ task: 'charge', attempt: 0, of: 2, retryAt: new Date(h.nowMs).toISOString(), lastError: 'card declined again' }),
    ]);
    await h.fire(`${failedAttempt.taskId}#0:retry`);
    const sent = h.take();
    const [again] = sent.filter((c) => c.type === 'sendTask');
    expect(again).toMatchObject({ task: 'charge', taskId: failedAttempt.taskId, attempt: 1, args: ['o1', 42] });
    expect(sent.some((c) => c.type === 'scheduleTimer' && c.timerId === `${failedAttempt.taskId}#1:timeout`)).toBe(true);
    const running = await h.load();
    expect(running.status).toBe('running');
    expect(running.error).toBeUndefined();
    expect(running.redrive).toBeUndefined();
    expect(instanceView(running).variables).toMatchObject({ id: 'o1', amount: 42 });
    expect(instanceView(running).redrive).toBeUndefined();
    expect(running.steps.slice(-2)).toMatchObject([
      { kind: 'redrive', task: 'charge', attempt: 1, line: 7, outcome: 'redriven: charge to be sent again (attempt 1 of 2)' },
      { kind: 'retry', task: 'charge', attempt: 1, outcome: 'attempt 1 of 2' },
    ]);

    // a fresh budget: attempt 1 fails and is retried as attempt 2
    await h.fail(again as never, { message: 'still declined' });
    expect((await h.load()).tasks[failedAttempt.taskId]).toMatchObject({ attempt: 1, retryAt: expect.any(String) });
    await h.fire(`${failedAttempt.taskId}#1:retry`);
    const [second] = h.sentTasks();
    expect(second!.attempt).toBe(2);
    await h.complete(second!, 'r-7');
    expect(await h.load()).toMatchObject({ status: 'completed', result: 'r-7 for 42' });
  });

  it('renews the attempt tokens: a late result of an attempt from before the failure is refused', async () => {
    const h = new Harness();
    const before = await failedAtCharge(h);
    const oldSecret = (await h.load()).secret!;
    await redriveInstance(h.deps, h.id);
    await h.fire(`${before.taskId}#0:retry`);
    h.take();
    const late = await h.send({
      type: 'taskResult',
      id: `${before.taskId}#1`,
      taskId: before.taskId,
      attempt: 1,
      token: attemptToken(oldSecret, before.taskId, 1),
      ok: true,
      result: 'stale',
    });
    expect(late).toMatchObject({ duplicate: true, rejected: 'token' });
    expect((await h.load()).status).toBe('running');
  });

  it('is idempotent: the same key again is a duplicate that resends what the redrive produced', async () => {
    const h = new Harness();
    await failedAtCharge(h);
    const first = await redriveInstance(h.deps, h.id, 'click-1');
    const firstSent = h.take();
    const v = (await h.load()).version;
    const second = await redriveInstance(h.deps, h.id, 'click-1');
    expect(second.duplicate).toBe(true);
    expect(second.duplicate && second.resent).toEqual(firstSent.filter((c) => c.type !== 'cancelTimer'));
    expect((await h.load()).version).toBe(v);
    expect(first.duplicate).toBe(false);
    // another key on a running instance is refused, not applied
    await expect(redriveInstance(h.deps, h.id, 'click-2')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FAILED' });
  });

  it('two redrives racing for one failure apply once (the loser re-applies and finds a duplicate)', async () => {
    const h = new Harness();
    await failedAtCharge(h);
    let raced = false;
    h.store.beforeSave = async () => {
      if (raced) return;
      raced = true;
      // another caller redrives the same failed version first
      await redriveInstance(h.deps, h.id);
    };
    const r = await redriveInstance(h.deps, h.id);
    expect(r.duplicate).toBe(true);
    const i = await h.load();
    expect(i.status).toBe('running');
    expect(i.steps.filter((s) => s.kind === 'redrive')).toHaveLength(1);
  });

  it('restores the other work of a Promise.all that the failure dropped', async () => {
    const h = new Harness();
    await h.start(
      `
task a(x: number): number with { retries: 0 }
task b(x: number): number with { retries: 0 }
task c(x: number): number with { retries: 0 }
workflow w(): number[] {
  const rs = await Promise.all([a(1), b(2), c(3)])
  return rs
}`,
      {},
    );
    const [ta, tb, tc] = h.sentTasks();
    await h.complete(ta!, 10);
    await h.fail(tb!, { message: 'b broke' });
    expect((await h.load()).status).toBe('failed');
    h.take();
    await redriveInstance(h.deps, h.id);
    for (const t of [tb!, tc!]) await h.fire(`${t.taskId}#0:retry`);
    const sent = h.sentTasks();
    // b again as attempt 1, and c — in flight when b failed — sent again
    expect(sent.map((t) => [t.task, t.attempt]).sort()).toEqual([
      ['b', 1],
      ['c', 1],
    ]);
    for (const t of sent) await h.complete(t, (t.args[0] as number) * 10);
    expect(await h.load()).toMatchObject({ status: 'completed', result: [10, 20, 30] });
    expect(tc!.taskId).toBe(sent.find((t) => t.task === 'c')!.taskId);
  });

  it('refuses a runtime error in the workflow text, and says why', async () => {
    const h = new Harness();
    await h.start(
      `
task get(): any
workflow w(): number {
  const v = await get()
  return v.items.length
}`,
      {},
    );
    const [t] = h.sentTasks();
    await h.complete(t!, { items: null });
    const failed = await h.load();
    expect(failed.status).toBe('failed');
    expect(failed.error!.code).not.toBe('CR007');
    const view = instanceView(failed);
    expect(view.redrive).toMatchObject({ possible: false, code: 'NOT_REDRIVABLE' });
    const e = await redriveInstance(h.deps, h.id).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RedriveRefusedError);
    expect((e as RedriveRefusedError).code).toBe('NOT_REDRIVABLE');
    expect((e as Error).message).toMatch(/runtime error in the workflow text.*frozen/);
    expect((await h.load()).version).toBe(failed.version);
  });

  it('refuses a failure the workflow caught before failing, a completed and a cancelled instance', async () => {
    const h = new Harness();
    await h.start(
      `
task get(): number with { retries: 0 }
workflow w(): number {
  try {
    return await get()
  } catch (e) {
    throw new Error("gave up")
  }
}`,
      {},
    );
    await h.fail(h.sentTasks()[0]!, { message: 'no' });
    expect((await h.load()).status).toBe('failed');
    await expect(redriveInstance(h.deps, h.id)).rejects.toMatchObject({ code: 'NOT_REDRIVABLE' });

    const done = new Harness();
    await done.start(TWO, { id: 'o2' });
    await done.drive((task) => (task === 'fetch' ? 1 : 'ok'));
    await expect(redriveInstance(done.deps, done.id)).rejects.toMatchObject({ code: 'INSTANCE_NOT_FAILED', message: expect.stringContaining('it is completed') });

    const cancelled = new Harness();
    await cancelled.start(TWO, { id: 'o3' });
    await cancelled.send({ type: 'cancel', id: 'cancel' });
    await expect(redriveInstance(cancelled.deps, cancelled.id)).rejects.toMatchObject({ code: 'INSTANCE_NOT_FAILED' });
  });

  it('a redriven instance that fails again can be redriven again', async () => {
    const h = new Harness();
    const c = await failedAtCharge(h);
    await redriveInstance(h.deps, h.id);
    await h.fire(`${c.taskId}#0:retry`);
    for (let k = 1; k <= 2; k++) {
      const [t] = h.sentTasks();
      await h.fail(t!, { message: `no ${k}` });
      if (k === 1) await h.fire(`${t!.taskId}#1:retry`);
    }
    expect((await h.load()).status).toBe('failed');
    await redriveInstance(h.deps, h.id);
    await h.fire(`${c.taskId}#0:retry`);
    const [t] = h.sentTasks();
    await h.complete(t!, 'third time');
    expect(await h.load()).toMatchObject({ status: 'completed', result: 'third time for 42' });
    expect((await h.load()).steps.filter((s) => s.kind === 'redrive')).toHaveLength(2);
  });
});
