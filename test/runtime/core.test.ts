import { describe, expect, it } from 'vitest';
import { applyEvent, pendingCommands } from '../../runtime/core.ts';
import { advance, signalInstance, startWorkflow } from '../../runtime/driver.ts';
import { DefinitionError, InputError, InstanceConflictError, InstanceNotFoundError, VersionConflictError } from '../../runtime/errors.ts';
import { STEP_LOG_LIMIT, STEP_LOG_MAX_BYTES, type Instance, type Value } from '../../runtime/types.ts';
import { attemptToken } from '../../runtime/tokens.ts';
import { compile } from '../../dsl/index.ts';
import { Harness, type ScheduleTimer } from './harness.ts';

const SEQ = `
task inc(n: number): number

workflow seq(n: number): number {
  let x = n
  x = await inc(x)
  x = await inc(x)
  return x
}
`;

const FLAKY = `
task charge(id: string): string with { retries: 3, backoff: "1s", backoffRate: 2, maxBackoff: "3s", timeout: "10s" }

workflow pay(id: string): string {
  const r = await charge(id)
  return r
}
`;

const timersOf = (cs: ReturnType<Harness['take']>) => cs.filter((c): c is ScheduleTimer => c.type === 'scheduleTimer');

describe('start', () => {
  it('creates version 1, sends the first task with a timeout timer, and logs the start', async () => {
    const h = new Harness();
    const i = await h.start(SEQ, { n: 1 });
    expect(i).toMatchObject({ id: 'i-1', workflow: 'seq', version: 1, status: 'running', input: { n: 1 } });
    expect(i.definitionHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const cs = h.take();
    const send = cs.find((c) => c.type === 'sendTask')!;
    expect(send).toMatchObject({ instanceId: 'i-1', task: 'inc', args: [1], attempt: 1, timeoutMs: 300_000 });
    expect(timersOf(cs)).toEqual([
      { type: 'scheduleTimer', instanceId: 'i-1', timerId: `${(send as { taskId: string }).taskId}#1:timeout`, fireAt: '2026-01-01T00:05:00.000Z' },
    ]);
    expect(i.steps.map((s) => s.kind)).toEqual(['start']);
    expect(await h.store.getDefinition(i.definitionHash)).toMatchObject({ workflow: 'seq', source: SEQ, file: 'test.workflow' });
  });

  it('is idempotent for the same id and input, and a conflict for another input', async () => {
    const h = new Harness();
    const first = await h.start(SEQ, { n: 1 }, 'same');
    const [sent] = h.sentTasks();
    const again = await startWorkflow(h.deps, { source: SEQ, file: 'test.workflow' }, { n: 1 }, { id: 'same' });
    expect(again.created).toBe(false);
    expect(again.instance).toEqual(first);
    // It resends what the first activation produced and is still outstanding (a crash after create).
    expect(h.sentTasks()).toEqual([sent]);
    await expect(startWorkflow(h.deps, { source: SEQ, file: 'test.workflow' }, { n: 2 }, { id: 'same' })).rejects.toBeInstanceOf(
      InstanceConflictError,
    );
    expect((await h.load()).version).toBe(1);
  });

  it('validates the input against the parameters', async () => {
    const h = new Harness();
    await expect(h.start(SEQ, { n: 'one' })).rejects.toBeInstanceOf(InputError);
    await expect(h.start(SEQ, [1])).rejects.toBeInstanceOf(InputError);
    await expect(h.start(SEQ, null)).rejects.toBeInstanceOf(InputError);
    const e = await h.start(SEQ, {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).problems.length).toBeGreaterThan(0);
    expect(await h.store.load('i-1')).toBeUndefined();
  });

  it('rejects a source with errors with every diagnostic', async () => {
    const h = new Harness();
    const e = await h.start('workflow w() { const a = await nope(1); return b }', {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DefinitionError);
    const codes = (e as DefinitionError).diagnostics.map((d) => d.code);
    expect(codes).toContain('CT005');
    expect(codes).toContain('CT001');
    expect((e as DefinitionError).message).toContain('test.workflow:1:');
  });
});

describe('tasks', () => {
  it('runs sequential tasks to the result and sends `finished`', async () => {
    const h = new Harness();
    await h.start(SEQ, { n: 1 });
    const done = await h.drive((_t, [n]) => (n as number) + 10);
    expect(done).toMatchObject({ status: 'completed', result: 21, version: 3, tasks: {}, timers: {} });
    expect(done.steps.map((s) => [s.kind, s.outcome])).toEqual([
      ['start', 'started seq'],
      ['task', 'ok'],
      ['task', 'ok'],
      ['complete', 'completed'],
    ]);
    expect(done.steps[1]).toMatchObject({ task: 'inc', attempt: 1, line: 6 });
  });

  it('retries a failed attempt after backoff · rate^(attempt-1), capped, then fails with CR007', async () => {
    const h = new Harness();
    await h.start(FLAKY, { id: 'o1' });
    let [t] = h.sentTasks();
    const t0 = h.nowMs;
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(t!.attempt).toBe(attempt);
      h.nowMs += 100; // the attempt took 100ms
      const r = await h.fail(t!, { message: `declined ${attempt}`, type: 'Declined' });
      expect(r.duplicate).toBe(false);
      const retry = timersOf(r.duplicate ? [] : r.commands).find((c) => c.timerId.endsWith(':retry'))!;
      delays.push(Date.parse(retry.fireAt) - h.nowMs);
      const i = await h.load();
      expect(i.status).toBe('running');
      expect(i.tasks[t!.taskId]).toMatchObject({ attempt, lastError: { message: `declined ${attempt}` } });
      h.take();
      // A result for the failed attempt while backing off is a duplicate.
      expect((await h.complete(t!, 'late')).duplicate).toBe(true);
      await h.fire(retry.timerId);
      [t] = h.sentTasks();
    }
    expect(delays).toEqual([1000, 2000, 3000]);
    expect(t!.attempt).toBe(4);
    await h.fail(t!, { message: 'declined for good', type: 'Declined' });
    const i = await h.load();
    expect(i.status).toBe('failed');
    expect(i.error).toMatchObject({ code: 'CR007', task: 'charge', attempts: 4, line: 5 });
    expect(i.error!.message).toContain('declined for good');
    expect(h.nowMs - t0).toBe(3 * 100 + 1000 + 2000 + 3000); // three attempts of 100ms plus the three delays
    expect(i.steps.filter((s) => s.kind === 'retry').map((s) => s.attempt)).toEqual([2, 3, 4]);
  });

  it('does not retry an error marked retryable: false', async () => {
    const h = new Harness();
    await h.start(FLAKY, { id: 'o1' });
    const [t] = h.sentTasks();
    await h.fail(t!, { message: 'card stolen', retryable: false });
    expect(await h.load()).toMatchObject({ status: 'failed', error: { code: 'CR007', attempts: 1, task: 'charge' } });
  });

  const BY_TYPE = (rule: string) => `
task charge(id: string): string with { retries: 3, backoff: "1s", ${rule} }

workflow pay(id: string): string {
  const r = await charge(id)
  return r
}
`;

  /** Fails every attempt with `type` until the task fails for good; gives the attempts made and the step outcomes. */
  async function failUntilDone(source: string, type: string | undefined, extra: { retryable?: boolean } = {}) {
    const h = new Harness();
    await h.start(source, { id: 'o1' });
    let attempts = 0;
    for (;;) {
      const [t] = h.sentTasks();
      attempts++;
      const r = await h.fail(t!, { message: `boom ${attempts}`, ...(type === undefined ? {} : { type }), ...extra });
      const retry = timersOf(r.duplicate ? [] : r.commands).find((c) => c.timerId.endsWith(':retry'));
      h.take();
      if (!retry) break;
      await h.fire(retry.timerId);
    }
    const i = await h.load();
    return { attempts, instance: i, outcomes: i.steps.filter((s) => s.kind === 'task').map((s) => s.outcome) };
  }

  it('fails a type listed in nonRetryable after 1 attempt, and retries other types per policy', async () => {
    const src = BY_TYPE('nonRetryable: ["CardDeclined", "Fraud"]');
    const declined = await failUntilDone(src, 'CardDeclined');
    expect(declined.attempts).toBe(1);
    expect(declined.instance).toMatchObject({ status: 'failed', error: { code: 'CR007', task: 'charge', attempts: 1, line: 5 } });
    expect(declined.outcomes).toEqual(['failed: boom 1 (not retried: CardDeclined is nonRetryable)']);
    // The policy wins over the SDK's explicit retryable: true.
    expect((await failUntilDone(src, 'Fraud', { retryable: true })).attempts).toBe(1);
    const flaky = await failUntilDone(src, 'Throttled');
    expect(flaky.attempts).toBe(4);
    expect(flaky.outcomes.at(-1)).toBe('failed: boom 4 (gave up after 4 attempts)');
    expect((await failUntilDone(src, undefined)).attempts).toBe(4);
    // retryable: false is permanent whatever the lists say
    expect((await failUntilDone(src, 'Throttled', { retryable: false })).outcomes).toEqual(['failed: boom 1 (not retryable)']);
  });

  it('retries only the types listed in retryOn; others (untyped counts as Error) fail at once', async () => {
    const src = BY_TYPE('retryOn: ["Throttled", "Error"]');
    expect((await failUntilDone(src, 'Throttled')).attempts).toBe(4);
    expect((await failUntilDone(src, undefined)).attempts).toBe(4);
    const declined = await failUntilDone(src, 'CardDeclined');
    expect(declined.attempts).toBe(1);
    expect(declined.outcomes).toEqual(['failed: boom 1 (not retried: CardDeclined is not in retryOn)']);
    expect(declined.instance.error).toMatchObject({ code: 'CR007', attempts: 1 });
  });

  it('matches a timed-out attempt as type Timeout', async () => {
    const h = new Harness();
    await h.start(BY_TYPE('timeout: "10s", retryOn: ["Throttled"]'), { id: 'o1' });
    const [t] = h.sentTasks();
    await h.fire(`${t!.taskId}#1:timeout`);
    const i = await h.load();
    expect(i).toMatchObject({ status: 'failed', error: { code: 'CR007', attempts: 1 } });
    expect(i.steps.find((s) => s.kind === 'task')!.outcome).toBe('timed out after 10s (not retried: Timeout is not in retryOn)');
  });

  it('takes a call policy list over the declaration one', async () => {
    const src = `
task charge(id: string): string with { retries: 2, backoff: "1s", nonRetryable: ["CardDeclined"] }

workflow pay(id: string): string {
  const r = await charge(id) with { retryOn: ["CardDeclined"] }
  return r
}
`;
    expect((await failUntilDone(src, 'CardDeclined')).attempts).toBe(3);
    expect((await failUntilDone(src, 'Throttled')).attempts).toBe(1);
  });

  it('resumes an attempt saved before policies had type lists (every type retried)', async () => {
    const h = new Harness();
    const src = BY_TYPE('nonRetryable: ["CardDeclined"]');
    await h.start(src, { id: 'o1' });
    const [t] = h.sentTasks();
    const saved = structuredClone(await h.load());
    const attempt = saved.tasks[t!.taskId]!;
    expect(attempt.policy.nonRetryable).toEqual(['CardDeclined']);
    delete attempt.policy.nonRetryable; // what an older version saved
    const event = { type: 'taskResult' as const, id: 'e-old', taskId: t!.taskId, attempt: 1, token: await h.token(t!), ok: false as const, error: { message: 'no', type: 'CardDeclined' } };
    const r = applyEvent(compile(src).program!, saved, event, h.deps.clock);
    if (r.duplicate) throw new Error(`duplicate: ${r.reason}`);
    expect(r.instance.status).toBe('running');
    expect(r.instance.tasks[t!.taskId]!.retryAt).toBeDefined();
  });

  it('counts a timed-out attempt as failed and ignores its late result', async () => {
    const h = new Harness();
    await h.start(FLAKY, { id: 'o1' });
    const [t] = h.sentTasks();
    const r = await h.fire(`${t!.taskId}#1:timeout`);
    expect(r.duplicate).toBe(false);
    const i = await h.load();
    expect(i.tasks[t!.taskId]!.lastError).toMatchObject({ type: 'Timeout', timedOut: true, message: 'timed out after 10s' });
    expect((await h.complete(t!, 'too late')).duplicate).toBe(true);
    await h.fire(`${t!.taskId}#1:retry`);
    const [t2] = h.sentTasks();
    expect(t2!.attempt).toBe(2);
    await h.complete(t2!, 'paid');
    expect(await h.load()).toMatchObject({ status: 'completed', result: 'paid' });
  });

  it('taskStarted restarts the attempt\'s timeout from its start (an attempt that waited for a slot), once', async () => {
    const h = new Harness();
    await h.start(FLAKY, { id: 'o1' });
    const [t] = h.sentTasks();
    const timerId = `${t!.taskId}#1:timeout`;
    expect((await h.load()).timers[timerId]!.fireAt).toBe('2026-01-01T00:00:10.000Z');
    h.nowMs += 7_000; // it waited 7 s for a slot
    const started = { type: 'taskStarted' as const, id: `${t!.taskId}#1:started`, taskId: t!.taskId, attempt: 1, token: await h.token(t!) };
    const r = await h.send(started);
    expect(r.duplicate).toBe(false);
    expect(r.duplicate ? [] : r.commands).toEqual([{ type: 'scheduleTimer', instanceId: 'i-1', timerId, fireAt: '2026-01-01T00:00:17.000Z' }]);
    const i = await h.load();
    expect(i.timers[timerId]!.fireAt).toBe('2026-01-01T00:00:17.000Z');
    expect(i.tasks[t!.taskId]!.startedAt).toBe('2026-01-01T00:00:07.000Z');
    expect(i.steps.map((s) => s.kind)).toEqual(['start']); // nothing for the log
    // Once only; a start report without the attempt's token is refused.
    expect((await h.send(started)).duplicate).toBe(true);
    expect(await h.send({ ...started, attempt: 1, token: 'forged' })).toMatchObject({ duplicate: true, rejected: 'token' });
    // The old due time passes: the timer is not due yet (its time moved); the result's duration counts from the start.
    h.nowMs += 4_000;
    expect((await h.send({ type: 'timerFired', id: `timer:${timerId}`, timerId })).duplicate).toBe(true);
    const done = await h.complete(t!, 'paid');
    expect(done.duplicate ? undefined : done.steps[0]).toMatchObject({ kind: 'task', outcome: 'ok', durationMs: 4_000 });
  });

  it('cancels the timeout timer when the result comes first, so it cannot fire afterwards', async () => {
    const h = new Harness();
    await h.start(FLAKY, { id: 'o1' });
    const [t] = h.sentTasks();
    const r = await h.complete(t!, 'ok');
    expect(r.duplicate ? [] : r.commands).toContainEqual({ type: 'cancelTimer', instanceId: 'i-1', timerId: `${t!.taskId}#1:timeout` });
    expect((await h.send({ type: 'timerFired', id: `timer:${t!.taskId}#1:timeout`, timerId: `${t!.taskId}#1:timeout` })).duplicate).toBe(true);
  });

  it('gives Promise.allSettled the permanent failure instead of failing the workflow', async () => {
    const h = new Harness();
    await h.start(
      `
task a(x: number): number with { retries: 0 }
task b(x: number): number with { retries: 0 }
workflow w(): any {
  const rs = await Promise.allSettled([a(1), b(2)])
  return rs
}`,
      {},
    );
    const ts = h.sentTasks();
    expect(ts.map((t) => t.task)).toEqual(['a', 'b']);
    await h.fail(ts[1]!, { message: 'b broke', type: 'Broken' });
    await h.complete(ts[0]!, 10);
    const i = await h.load();
    expect(i.status).toBe('completed');
    expect(i.result).toEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: { message: 'b broke', type: 'Broken', attempts: 1, task: 'b' } },
    ]);
  });

  it('fans in parallel results arriving in any order', async () => {
    const h = new Harness();
    await h.start(
      `
task sq(x: number): number
workflow w(xs: number[]): number[] {
  const out = await Promise.all(xs.map(sq), { concurrency: 2 })
  return out
}`,
      { xs: [1, 2, 3, 4, 5] },
    );
    let pending = h.sentTasks();
    expect(pending.length).toBe(2); // the concurrency limit
    let inFlightMax = 0;
    while (pending.length > 0) {
      inFlightMax = Math.max(inFlightMax, pending.length);
      const t = pending.pop()!; // newest first: results arrive out of order
      await h.complete(t, (t.args[0] as number) ** 2);
      pending = [...pending, ...h.sentTasks()];
    }
    expect(inFlightMax).toBe(2);
    expect(await h.load()).toMatchObject({ status: 'completed', result: [1, 4, 9, 16, 25] });
  });
});

describe('duplicates and resends', () => {
  it('ignores a repeated result, a result for another attempt and one for an unknown task', async () => {
    const h = new Harness();
    await h.start(SEQ, { n: 1 });
    const [t] = h.sentTasks();
    expect((await h.complete({ ...t!, attempt: 2 }, 99)).duplicate).toBe(true);
    expect((await h.complete({ taskId: 'n999.s9', attempt: 1 }, 99)).duplicate).toBe(true);
    const first = await h.complete(t!, 5);
    expect(first.duplicate).toBe(false);
    const v = (await h.load()).version;
    const again = await h.complete(t!, 7);
    expect(again.duplicate).toBe(true);
    expect((await h.load()).version).toBe(v);
    const [t2] = h.sentTasks().filter((c) => c.taskId !== t!.taskId);
    expect(t2!.args).toEqual([5]); // the first result won, the second changed nothing
  });

  it('a redelivered event resends the commands it produced that are still outstanding', async () => {
    const h = new Harness();
    await h.start(SEQ, { n: 1 });
    const [t] = h.sentTasks();
    const r = await h.complete(t!, 2);
    const produced = r.duplicate ? [] : r.commands.filter((c) => c.type !== 'cancelTimer');
    h.take(); // the dispatcher "lost" them: the process died after the save
    const again = await h.complete(t!, 2);
    expect(again.duplicate).toBe(true);
    expect(again.duplicate && again.resent).toEqual(produced);
    expect(h.take()).toEqual(produced);
    expect(produced.map((c) => c.type).sort()).toEqual(['scheduleTimer', 'sendTask']);
  });

  it('pendingCommands lists everything outstanding, and nothing once finished', async () => {
    const h = new Harness();
    await h.start(SEQ, { n: 1 });
    const [t] = h.sentTasks();
    const i = await h.load();
    expect(pendingCommands(i).map((c) => c.type).sort()).toEqual(['scheduleTimer', 'sendTask']);
    await h.complete(t!, 1);
    await h.drive(() => 1);
    expect(pendingCommands(await h.load())).toEqual([]);
  });

  it('an early timer is not applied and is scheduled again', async () => {
    const h = new Harness();
    await h.start('workflow w(): string { await sleep("5m")\n return "done" }', {});
    const [timer] = timersOf(h.take());
    h.nowMs += 60_000;
    const r = await h.send({ type: 'timerFired', id: `timer:${timer!.timerId}`, timerId: timer!.timerId });
    expect(r.duplicate).toBe(true);
    expect(r.duplicate && r.resent).toEqual([timer]);
    expect((await h.load()).status).toBe('waiting');
    await h.fire(timer!.timerId);
    expect(await h.load()).toMatchObject({ status: 'completed', result: 'done' });
  });

  it('events for a finished instance are duplicates; the finishing event resends `finished`', async () => {
    const h = new Harness();
    await h.start(SEQ, { n: 1 });
    await h.drive(() => 1);
    const i = await h.load();
    expect(i.status).toBe('completed');
    expect((await h.signal('x', 1)).duplicate).toBe(true);
    const last = i.finishedBy!;
    const [taskId, attempt] = last.split('#');
    const r = await h.complete({ taskId: taskId!, attempt: Number(attempt) }, 1);
    expect(r.duplicate && r.resent).toEqual([{ type: 'finished', instanceId: 'i-1', status: 'completed' }]);
  });

  it('an unknown instance is InstanceNotFoundError', async () => {
    const h = new Harness();
    await expect(advance(h.deps, 'nope', { type: 'cancel', id: 'cancel' })).rejects.toBeInstanceOf(InstanceNotFoundError);
  });
});

describe('sleep, signals, cancel', () => {
  it('sleeps durably: the instance waits until the timer fires', async () => {
    const h = new Harness();
    const i = await h.start('task t(): number\nworkflow w(): number { await sleep("2h")\n const x = await t()\n return x }', {});
    expect(i.status).toBe('waiting');
    const [timer] = timersOf(h.take());
    expect(timer!.fireAt).toBe('2026-01-01T02:00:00.000Z');
    expect(i.steps.at(-1)).toMatchObject({ kind: 'sleep', line: 2 });
    await h.fire(timer!.timerId);
    const [t] = h.sentTasks();
    await h.complete(t!, 3);
    expect(await h.load()).toMatchObject({ status: 'completed', result: 3 });
  });

  it('buffers a signal that arrives before the workflow waits for it', async () => {
    const h = new Harness();
    await h.start('task t(): number\nworkflow w(): any { await t()\n const p = await signal("go")\n return p }', {});
    const [t] = h.sentTasks();
    await h.signal('go', { by: 'ann' });
    await h.complete(t!, 0);
    expect(await h.load()).toMatchObject({ status: 'completed', result: { by: 'ann' } });
  });

  it('a signal with a timeout gives { timedOut: true } when the timer wins, and its payload when the signal wins', async () => {
    const src = 'workflow w(): any { const r = await signal("ok", { timeout: "1d" })\n return r }';
    const slow = new Harness();
    await slow.start(src, {});
    const [timer] = timersOf(slow.take());
    expect(timer!.fireAt).toBe('2026-01-02T00:00:00.000Z');
    await slow.fire(timer!.timerId);
    expect(await slow.load()).toMatchObject({ status: 'completed', result: { timedOut: true, payload: null } });

    const fast = new Harness();
    await fast.start(src, {});
    const [t2] = timersOf(fast.take());
    const r = await fast.signal('ok', 7, 'sig-1');
    expect(r.duplicate ? [] : r.commands).toContainEqual({ type: 'cancelTimer', instanceId: 'i-1', timerId: t2!.timerId });
    expect(await fast.load()).toMatchObject({ status: 'completed', result: { timedOut: false, payload: 7 }, timers: {} });
  });

  it('ignores a redelivered signal (same signal id)', async () => {
    const h = new Harness();
    await h.start('workflow w(): any { const a = await signal("s")\n const b = await signal("s", { timeout: "1h" })\n return [a, b] }', {});
    await h.signal('s', 1, 'sig-A');
    expect((await h.signal('s', 1, 'sig-A')).duplicate).toBe(true);
    const i = await h.load();
    expect(i.status).toBe('waiting'); // the second wait did not get the repeated signal
    await h.signal('s', 2, 'sig-B');
    expect(await h.load()).toMatchObject({ status: 'completed', result: [1, { timedOut: false, payload: 2 }] });
  });

  describe('event order follows time: a signal comes after the timers due before it arrived', () => {
    const WAIT = 'workflow w(): any { const r = await signal("ok", { timeout: "1h" })\n return r }';
    const signalAt = (h: Harness, iso: string, payload: Value, id = 'sig-late') =>
      h.send({ type: 'signal', id, name: 'ok', payload, receivedAt: iso });

    it('a signal received after its timeout loses to the timeout, even when nothing fired the timer in time', async () => {
      const h = new Harness();
      await h.start(WAIT, {});
      h.nowMs += 2 * 3600_000; // the engine was down: the timeout (01:00) was never fired
      const r = await signalAt(h, '2026-01-01T01:30:00.000Z', 'yes');
      expect(r.duplicate).toBe(false);
      if (r.duplicate) return;
      expect(r.undelivered).toMatch(/completed before the signal arrived/);
      expect(r.steps.map((s) => s.kind)).toEqual(['timer', 'complete', 'signal']);
      expect(r.steps.at(-1)!.outcome).toMatch(/"ok" not delivered: it arrived at 2026-01-01T01:30:00.000Z, after the instance completed/);
      expect(await h.load()).toMatchObject({ status: 'completed', result: { timedOut: true, payload: null }, timers: {} });
    });

    it('a signal received before its timeout wins, even when it is applied after the deadline', async () => {
      const h = new Harness();
      await h.start(WAIT, {});
      h.nowMs += 2 * 3600_000; // applied late (a slow writer), but it arrived at 00:59
      const r = await signalAt(h, '2026-01-01T00:59:00.000Z', 'yes');
      expect(!r.duplicate && r.undelivered).toBeFalsy();
      expect(await h.load()).toMatchObject({ status: 'completed', result: { timedOut: false, payload: 'yes' } });
    });

    it('after the timeout the workflow goes on, and a later wait for the same name gets the late signal', async () => {
      const h = new Harness();
      await h.start('workflow w(): any { const r = await signal("ok", { timeout: "1h" })\n const s = await signal("ok")\n return [r, s] }', {});
      h.nowMs += 2 * 3600_000;
      const r = await signalAt(h, '2026-01-01T01:00:00.001Z', 7);
      expect(!r.duplicate && r.undelivered).toBeFalsy();
      expect(await h.load()).toMatchObject({ status: 'completed', result: [{ timedOut: true, payload: null }, 7] });
    });

    it('fires every timer due before the signal, earliest first, and none due after it', async () => {
      const h = new Harness();
      await h.start('workflow w(): any { await sleep("10m")\n const r = await signal("ok", { timeout: "1h" })\n return r }', {});
      h.nowMs += 3 * 3600_000;
      // Arrived at 00:30: the sleep (00:10) is over, the signal wait (timeout 01:10) got it in time.
      const r = await signalAt(h, '2026-01-01T00:30:00.000Z', 'in time');
      expect(r.duplicate ? [] : r.steps.map((s) => s.kind)).toEqual(['timer', 'signal', 'signal', 'complete']);
      expect(await h.load()).toMatchObject({ status: 'completed', result: { timedOut: false, payload: 'in time' } });
    });

    it('a redelivered signal fires nothing; a stamp later than now counts as now', async () => {
      const h = new Harness();
      await h.start('workflow w(): any { const a = await signal("s")\n const b = await signal("ok", { timeout: "1h" })\n return [a, b] }', {});
      await h.send({ type: 'signal', id: 'sig-A', name: 's', payload: 1 });
      h.nowMs += 2 * 3600_000;
      const again = await h.send({ type: 'signal', id: 'sig-A', name: 's', payload: 1, receivedAt: '2026-01-01T01:30:00.000Z' });
      expect(again.duplicate).toBe(true);
      expect(Object.keys((await h.load()).timers)).toHaveLength(1); // the overdue timeout is still pending
      // A clock ahead of ours: only what is due now fires (the timeout), never a timer of the future.
      const r = await h.send({ type: 'signal', id: 'sig-B', name: 'ok', payload: 2, receivedAt: '2099-01-01T00:00:00.000Z' });
      expect(!r.duplicate && r.undelivered).toMatch(/completed/);
    });

    it('signalInstance stamps the arrival with the clock (the API and the CLI deliver through it)', async () => {
      const h = new Harness();
      await h.start(WAIT, {});
      h.nowMs += 2 * 3600_000;
      const r = await signalInstance(h.deps, h.id, 'ok', 'late');
      expect(!r.duplicate && r.undelivered).toMatch(/completed/);
      expect(await h.load()).toMatchObject({ result: { timedOut: true, payload: null } });
    });
  });

  it('cancel stops the instance, cancels its timers and ignores late results', async () => {
    const h = new Harness();
    await h.start('task t(): number\nworkflow w(): any { const r = await Promise.all([t(), t()])\n await sleep("1h")\n return r }', {});
    const [a, b] = h.sentTasks();
    await h.complete(a!, 1);
    h.take();
    const r = await h.send({ type: 'cancel', id: 'cancel', reason: 'user asked' });
    expect(r.duplicate).toBe(false);
    const cs = r.duplicate ? [] : r.commands;
    expect(cs.filter((c) => c.type === 'cancelTimer').map((c) => (c as { timerId: string }).timerId)).toEqual([`${b!.taskId}#1:timeout`]);
    expect(cs.at(-1)).toEqual({ type: 'finished', instanceId: 'i-1', status: 'cancelled' });
    const i = await h.load();
    expect(i).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED', message: 'user asked' }, tasks: {}, timers: {} });
    expect((await h.complete(b!, 2)).duplicate).toBe(true);
    expect((await h.load()).version).toBe(i.version);
  });
});

describe('bounded state', () => {
  it('keeps only the last STEP_LOG_LIMIT steps, newest last', async () => {
    const h = new Harness();
    await h.start('task t(i: number): number\nworkflow w(n: number): number { let s = 0\n for (let i = 0; i < n; i++) { s += await t(i) }\n return s }', {
      n: 250,
    });
    const done = await h.drive((_t, [i]) => i as number);
    expect(done.result).toBe((249 * 250) / 2);
    expect(done.steps.length).toBe(STEP_LOG_LIMIT);
    expect(done.steps.at(-1)!.kind).toBe('complete');
    expect(done.steps.at(-2)).toMatchObject({ kind: 'task', outcome: 'ok' });
    expect(done.steps[0]!.kind).toBe('task');
  });
});

describe('conditional saves', () => {
  it('a stale save is a VersionConflictError and the driver reloads and re-applies', async () => {
    const h = new Harness();
    await h.start('task t(): number\nworkflow w(): any { const x = await t()\n const s = await signal("s")\n return [x, s] }', {});
    const [t] = h.sentTasks();
    // While the task result is being applied, another writer saves a signal first.
    let interfered = false;
    h.store.beforeSave = async (inst) => {
      if (interfered || inst.id !== 'i-1') return;
      interfered = true;
      h.store.beforeSave = undefined;
      await h.signal('s', 'early');
    };
    const r = await h.complete(t!, 1);
    expect(interfered).toBe(true);
    expect(r.duplicate).toBe(false);
    expect(await h.load()).toMatchObject({ status: 'completed', result: [1, 'early'], version: 3 });
  });

  it('re-applying an event that the other writer already applied becomes a resend', async () => {
    const h = new Harness();
    await h.start(SEQ, { n: 1 });
    const [t] = h.sentTasks();
    let raced = false;
    h.store.beforeSave = async () => {
      if (raced) return;
      raced = true;
      await h.complete(t!, 5); // the same event, applied by someone else first
      h.take();
    };
    const r = await h.complete(t!, 5);
    expect(r.duplicate).toBe(true);
    expect(r.duplicate && r.resent.map((c) => c.type).sort()).toEqual(['scheduleTimer', 'sendTask']);
    expect((await h.load()).version).toBe(2);
  });

  it('the store rejects a save against an old version', async () => {
    const h = new Harness();
    const i = await h.start(SEQ, { n: 1 });
    const [t] = h.sentTasks();
    const program = compile(SEQ).program!;
    const tr = applyEvent(program, i, { type: 'taskResult', id: `${t!.taskId}#1`, taskId: t!.taskId, attempt: 1, token: await h.token(t!), ok: true, result: 2 }, h.deps.clock);
    if (tr.duplicate) throw new Error('unexpected duplicate');
    await h.store.save(tr.instance, 1);
    await expect(h.store.save({ ...tr.instance, version: 2 } as Instance, 1)).rejects.toBeInstanceOf(VersionConflictError);
  });
});

describe('attempt tokens', () => {
  it('sends each attempt with its own token and accepts only that token back', async () => {
    const h = new Harness();
    const i = await h.start(SEQ, { n: 1 });
    expect(i.secret).toEqual(expect.any(String));
    const [t] = h.sentTasks();
    expect(t!.token).toBe(attemptToken(i.secret!, t!.taskId, 1));
    expect(t!.token).not.toBe(attemptToken(i.secret!, t!.taskId, 2)); // each attempt its own
    for (const token of [undefined, 'x', attemptToken('another-secret', t!.taskId, 1), attemptToken(i.secret!, t!.taskId, 2)]) {
      const r = await h.complete({ ...t!, token: token ?? '' }, 99);
      expect(r).toMatchObject({ duplicate: true, rejected: 'token', resent: [] });
    }
    expect((await h.load()).version).toBe(1);
    expect(await h.complete(t!, 2)).toMatchObject({ duplicate: false });
  });

  it('refuses a forged replay of a finished attempt without resending what it produced', async () => {
    const h = new Harness();
    await h.start(SEQ, { n: 1 });
    const [t] = h.sentTasks();
    await h.complete(t!, 2);
    h.take();
    expect(await h.complete({ ...t!, token: 'guess' }, 2)).toMatchObject({ duplicate: true, rejected: 'token', resent: [] });
    expect(h.take()).toEqual([]);
    // The real redelivery still resends (crash repair).
    expect((await h.complete(t!, 2)) as { resent: unknown[] }).toMatchObject({ duplicate: true, resent: [expect.objectContaining({ type: 'sendTask' }), expect.objectContaining({ type: 'scheduleTimer' })] });
  });

  it('accepts results without a token for instances saved before tokens existed', async () => {
    const h = new Harness();
    const i = await h.start(SEQ, { n: 1 });
    const [t] = h.sentTasks();
    const legacy: Instance = { ...i };
    delete legacy.secret;
    const program = compile(SEQ).program!;
    const r = applyEvent(program, legacy, { type: 'taskResult', id: `${t!.taskId}#1`, taskId: t!.taskId, attempt: 1, ok: true, result: 2 }, h.deps.clock);
    expect(r.duplicate).toBeFalsy();
    expect(pendingCommands(legacy).find((c) => c.type === 'sendTask')).not.toHaveProperty('token');
  });
});

describe('ids from outside', () => {
  it('a result or timer named like an Object member is a duplicate, not a crash', async () => {
    const h = new Harness();
    await h.start(SEQ, { n: 1 });
    for (const id of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(await h.send({ type: 'timerFired', id: `timer:${id}`, timerId: id })).toMatchObject({ duplicate: true });
      expect(await h.complete({ taskId: id, attempt: 1 }, 1)).toMatchObject({ duplicate: true });
    }
    expect((await h.load()).version).toBe(1);
  });
});

describe('bounded by construction (issue 7)', () => {
  const BIG_ARGS = `
task store(a: string, b: string): string

workflow big(n: number): any {
  const blob = "x".repeat(n)
  const [r] = await Promise.allSettled([store(blob, blob)])
  if (r.status === "rejected") {
    return r.reason
  }
  return r.value
}
`;

  it('fails a call whose arguments are over the task-args limit like a task failure, catchable, and sends nothing', async () => {
    const h = new Harness();
    // two strings of 5.5 MB: 11 MB of arguments, over the 10 MiB a value may have
    const i = await h.start(BIG_ARGS, { n: 5_500_000 });
    expect(h.sentTasks()).toEqual([]);
    expect(i.status).toBe('completed');
    expect(i.result).toMatchObject({ type: 'TASK_ARGS_TOO_LARGE', attempts: 0 });
    expect(JSON.stringify(i).length).toBeLessThan(50_000);
  });

  it('still sends a call whose arguments fit', async () => {
    const h = new Harness();
    await h.start(BIG_ARGS, { n: 1000 });
    expect(h.sentTasks()).toHaveLength(1);
  });

  it('truncates long error text in lastError, the step log and the workflow error, with a visible marker', async () => {
    const h = new Harness();
    await h.start(FLAKY, { id: 'p' });
    const [t] = h.sentTasks();
    await h.fail(t!, { message: 'e'.repeat(120_000), type: 'Boom' });
    const i = await h.load();
    const task = Object.values(i.tasks)[0]!;
    expect(task.lastError!.message.length).toBeLessThan(5000);
    expect(task.lastError!.message).toMatch(/… \[truncated 11\d,\d{3} chars\]$/);
    expect(JSON.stringify(i.steps).length).toBeLessThan(5000);
    expect(JSON.stringify(i).length).toBeLessThan(20_000);
  });

  it('bounds the step log in bytes, dropping the oldest entries', async () => {
    const h = new Harness();
    await h.start(FLAKY, { id: 'p' });
    for (let k = 0; k < 4; k++) {
      const i = await h.load();
      const [taskId, t] = Object.entries(i.tasks)[0]!;
      if (t.retryAt !== undefined) {
        await h.fire(`${taskId}#${t.attempt}:retry`);
        continue;
      }
      await h.fail({ taskId, attempt: t.attempt }, { message: 'e'.repeat(120_000) });
    }
    const i = await h.load();
    expect(JSON.stringify(i).length).toBeLessThan(64 * 1024 + 20_000);
  });
});

describe('hostile task results (issue 7)', () => {
  const ONE = `
task get(): any with { retries: 0 }

workflow one(): any {
  const [r] = await Promise.allSettled([get()])
  return r
}
`;
  const deep = (n: number): unknown => JSON.parse('['.repeat(n) + ']'.repeat(n));

  it('turns a result nested 3,000 deep into a failed attempt (RESULT_TOO_DEEP), catchable', async () => {
    const h = new Harness();
    await h.start(ONE, {});
    const [t] = h.sentTasks();
    await h.complete(t!, deep(3000) as never);
    const i = await h.load();
    expect(i.status).toBe('completed');
    expect(i.result).toMatchObject({ status: 'rejected', reason: { type: 'RESULT_TOO_DEEP' } });
  });

  it('turns a result over 10 MiB into a failed attempt (RESULT_TOO_LARGE)', async () => {
    const h = new Harness();
    await h.start(ONE, {});
    const [t] = h.sentTasks();
    await h.complete(t!, 'x'.repeat(10 * 1024 * 1024 + 1));
    const i = await h.load();
    expect(i.result).toMatchObject({ status: 'rejected', reason: { type: 'RESULT_TOO_LARGE' } });
  });
});

describe('jsonEqual on deep values (issue 7)', () => {
  it('compares values nested 100,000 deep without a RangeError', async () => {
    const { jsonEqual } = await import('../../runtime/core.ts');
    const deep = (n: number, leaf: number) => JSON.parse('['.repeat(n) + leaf + ']'.repeat(n));
    expect(jsonEqual(deep(100_000, 1), deep(100_000, 1))).toBe(true);
    expect(jsonEqual(deep(100_000, 1), deep(100_000, 2))).toBe(false);
    expect(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { b: 1 })).toBe(false);
  });
});

describe('validateInput limits (issue 7)', () => {
  it('refuses an input nested 3,000 deep with an InputError naming VALUE_TOO_DEEP', async () => {
    const { validateInput } = await import('../../runtime/core.ts');
    const program = compile(SEQ);
    const input = { n: JSON.parse('['.repeat(3000) + ']'.repeat(3000)) };
    expect(() => validateInput(program as never, input)).toThrowError(InputError);
    expect(() => validateInput(program as never, input)).toThrowError(/VALUE_TOO_DEEP/);
  });
});

describe('workflow log lines (console.*)', () => {
  const LOGGING = `
task inc(n: number): number

workflow w(n: number): number {
  console.log("start", n)
  const x = await inc(n)
  console.warn("got", { x })
  console.log("got", { x })
  console.log("got", { x })
  return x
}
`;

  it('become log steps with level, line and col, in order among the other steps', async () => {
    const h = new Harness();
    const started = await h.start(LOGGING, { n: 1 });
    expect(started.steps.map((s) => [s.kind, s.outcome])).toEqual([
      ['start', 'started w'],
      ['log', 'start 1'],
    ]);
    expect(started.steps[1]).toMatchObject({ kind: 'log', level: 'info', line: 5, col: 3, seq: 1 });
    const [t] = h.sentTasks();
    const r = await h.complete(t!, 2);
    expect(r.duplicate).toBe(false);
    const logs = (r.duplicate ? [] : r.steps).filter((s) => s.kind === 'log');
    expect(logs).toMatchObject([
      { level: 'warn', line: 7, col: 3, outcome: 'got {"x":2}', seq: 1 },
      { level: 'info', line: 8, outcome: 'got {"x":2}', seq: 2 },
      { level: 'info', line: 9, outcome: 'got {"x":2}', seq: 3 }, // equal lines stay distinct
    ]);
    const done = await h.load();
    expect(done.status).toBe('completed');
    expect(done.steps.map((s) => s.kind)).toEqual(['start', 'log', 'task', 'log', 'log', 'log', 'complete']);
    expect(JSON.stringify(done.state)).not.toContain('got'); // logs are not state
  });

  it('go through the step log bounds: STEP_LOG_LIMIT entries and STEP_LOG_MAX_BYTES, oldest dropped with a marker', async () => {
    const h = new Harness();
    await h.start('task t(i: number): number\nworkflow w(n: number): number {\n  for (let i = 0; i < n; i++) {\n    console.log(i, "x".repeat(2000))\n    await t(i)\n  }\n  return n\n}', { n: 60 });
    const done = await h.drive((_t, [i]) => i as number);
    expect(done.status).toBe('completed');
    expect(JSON.stringify(done.steps).length).toBeLessThanOrEqual(STEP_LOG_MAX_BYTES);
    expect(done.steps[0]).toMatchObject({ kind: 'start' });
    expect(done.steps[0]!.outcome).toMatch(/^… \d+ older steps? dropped/);
    const logs = done.steps.filter((s) => s.kind === 'log');
    expect(logs.at(-1)!.outcome).toMatch(/^59 x{1021}… \[truncated 979 chars\]$/);
    expect(logs.at(-1)).toMatchObject({ line: 4, col: 5 });
  });

  it('an activation over 100 lines keeps 100 and a marker step', async () => {
    const h = new Harness();
    const i = await h.start('workflow w(): number {\n  for (let i = 0; i < 150; i++) { console.log(i) }\n  return 1\n}', {});
    const logs = i.steps.filter((s) => s.kind === 'log');
    expect(logs).toHaveLength(101);
    expect(logs.at(-1)).toMatchObject({ level: 'warn', outcome: '… 50 more log lines dropped (over 100 in one activation)' });
    expect(i.steps.at(-1)!.kind).toBe('complete');
  });
});
