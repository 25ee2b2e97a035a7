import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createEngine, NonRetryableError, type Engine, type EngineOptions, type TaskContext } from '../../../adapters/embedded/index.ts';
import { DefinitionError, InputError, InstanceConflictError, InstanceNotFoundError } from '../../../runtime/errors.ts';
import type { StepLog } from '../../../runtime/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'currant-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: Engine[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});
async function engine(opts: EngineOptions): Promise<Engine> {
  const e = await createEngine({ dbPath: ':memory:', ...opts });
  open.push(e);
  return e;
}

const ORDER = `
type Payment = { success: boolean, paymentId?: string }
task chargeCard(orderId: string, amount: number): Payment
task shipOrder(orderId: string): { success: boolean, trackingId?: string }

workflow processOrder(orderId: string, amount: number): string {
  const payment = await chargeCard(orderId, amount)
  if (!payment.success) {
    return "payment failed"
  }
  const shipment = await shipOrder(orderId)
  return shipment.trackingId
}
`;

const def = (source: string) => ({ source, file: 'test.workflow' });

describe('createEngine', () => {
  it('runs a workflow with in-process tasks and reports each step', async () => {
    const steps: StepLog[] = [];
    const calls: unknown[] = [];
    const e = await engine({
      tasks: {
        chargeCard: async (orderId: string, amount: number, ctx: TaskContext) => {
          calls.push(['charge', orderId, amount, ctx.idempotencyKey, ctx.attempt]);
          return { success: true, paymentId: 'p1' };
        },
        shipOrder: async (orderId: string) => ({ success: true, trackingId: `t-${orderId}` }),
      },
      onStep: (_i, s) => steps.push(s),
    });
    const done = await e.run(def(ORDER), { orderId: 'o1', amount: 5 }, { id: 'order-1' });
    expect(done).toMatchObject({ id: 'order-1', status: 'completed', result: 't-o1' });
    expect(calls[0]).toEqual(['charge', 'o1', 5, `order-1/${steps[1]!.taskId}`, 1]);
    expect(steps.map((s) => `${s.kind}:${s.task ?? ''}:${s.outcome}`)).toEqual([
      'start::started processOrder',
      'task:chargeCard:ok',
      'task:shipOrder:ok',
      'complete::completed',
    ]);
  });

  it('loads tasks from a module', async () => {
    const e = await engine({ tasksModule: 'test/adapters/embedded/fixtures/tasks-module.ts' });
    const done = await e.run(def('task double(x: number): number\nworkflow w(x: number): number { const y = await double(x)\n return y }'), { x: 21 });
    expect(done.result).toBe(42);
  });

  it('retries a throwing task with its backoff and gives the attempt number', async () => {
    const attempts: number[] = [];
    const e = await engine({
      tasks: {
        flaky: async (ctx: TaskContext) => {
          attempts.push(ctx.attempt);
          if (ctx.attempt < 3) throw new Error(`flake ${ctx.attempt}`);
          return 'finally';
        },
      },
    });
    const done = await e.run(def('task flaky(): string with { retries: 3, backoff: "10ms" }\nworkflow w(): string { const r = await flaky()\n return r }'), {});
    expect(done).toMatchObject({ status: 'completed', result: 'finally' });
    expect(attempts).toEqual([1, 2, 3]);
    expect(done.steps.filter((s) => s.kind === 'task').map((s) => s.outcome)).toEqual([
      'failed: flake 1 (retry in 10ms)',
      'failed: flake 2 (retry in 20ms)',
      'ok',
    ]);
  });

  it('times out a slow attempt (aborting its signal) and retries it', async () => {
    const aborted: boolean[] = [];
    const e = await engine({
      tasks: {
        slow: (ctx: TaskContext) =>
          ctx.attempt === 1
            ? new Promise((_, reject) => ctx.signal.addEventListener('abort', () => (aborted.push(true), reject(new Error('aborted')))))
            : Promise.resolve('fast now'),
      },
    });
    const done = await e.run(def('task slow(): string with { timeout: "50ms", backoff: "1ms" }\nworkflow w(): string { const r = await slow()\n return r }'), {});
    expect(done).toMatchObject({ status: 'completed', result: 'fast now' });
    expect(aborted).toEqual([true]);
    expect(done.steps.find((s) => s.kind === 'task')!.outcome).toMatch(/^timed out after 50ms/);
  });

  it('fails the workflow with CR007 for a non-retryable error', async () => {
    const e = await engine({
      tasks: {
        chargeCard: async () => {
          throw new NonRetryableError('card stolen', 'Fraud');
        },
        shipOrder: async () => ({ success: true }),
      },
    });
    const done = await e.run(def(ORDER), { orderId: 'o1', amount: 5 });
    expect(done).toMatchObject({ status: 'failed', error: { code: 'CR007', task: 'chargeCard', attempts: 1, line: 7 } });
  });

  it('does not retry a Node task error whose name the policy lists in nonRetryable; retries other names', async () => {
    const attempts: string[] = [];
    const e = await engine({
      tasks: {
        charge: async (kind: string, ctx: TaskContext) => {
          attempts.push(`${kind}#${ctx.attempt}`);
          const err = new Error(`${kind} ${ctx.attempt}`);
          err.name = kind; // the SDK reports err.name as the failure's type
          throw err;
        },
      },
    });
    const src = 'task charge(kind: string): string with { retries: 2, backoff: "1ms", nonRetryable: ["CardDeclined"] }\nworkflow w(kind: string): string { const r = await charge(kind)\n return r }';
    const declined = await e.run(def(src), { kind: 'CardDeclined' });
    expect(declined).toMatchObject({ status: 'failed', error: { code: 'CR007', task: 'charge', attempts: 1 } });
    expect(declined.steps.filter((s) => s.kind === 'task').map((s) => s.outcome)).toEqual(['failed: CardDeclined 1 (not retried: CardDeclined is nonRetryable)']);
    const flaky = await e.run(def(src), { kind: 'Throttled' });
    expect(flaky).toMatchObject({ status: 'failed', error: { code: 'CR007', attempts: 3 } });
    expect(attempts).toEqual(['CardDeclined#1', 'Throttled#1', 'Throttled#2', 'Throttled#3']);
  });

  it('respects the concurrency limit for a fan-out', async () => {
    let running = 0;
    let peak = 0;
    const e = await engine({
      concurrency: 2,
      tasks: {
        sq: async (x: number) => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
          return x * x;
        },
      },
    });
    const done = await e.run(def('task sq(x: number): number\nworkflow w(xs: number[]): number[] { const r = await Promise.all(xs.map(sq))\n return r }'), {
      xs: [1, 2, 3, 4, 5, 6],
    });
    expect(done.result).toEqual([1, 4, 9, 16, 25, 36]);
    expect(peak).toBe(2);
  });

  it('a fan-out wider than the engine\'s cap: every attempt gets its whole timeout from when it starts', async () => {
    // The case scaled down: 40 items of 150 ms, timeout 400 ms, concurrency 40 in the
    // workflow, 4 slots in the engine. Timed from dispatch, all but the first 8 would time out
    // while waiting; timed from their start, all succeed at the first attempt.
    const runs: number[] = [];
    const e = await engine({
      concurrency: 4,
      tasks: {
        work: async (x: number) => {
          runs.push(x);
          await new Promise((r) => setTimeout(r, 150));
          return x;
        },
      },
    });
    const src = 'task work(x: number): number with { timeout: "400ms", retries: 0 }\nworkflow w(xs: number[]): number { const r = await Promise.allSettled(xs.map(work), { concurrency: 40 })\n let ok = 0\n for (const s of r) { if (s.status == "fulfilled") { ok++ } }\n return ok }';
    const xs = Array.from({ length: 40 }, (_, k) => k);
    const t0 = Date.now();
    const done = await e.run(def(src), { xs });
    expect(done).toMatchObject({ status: 'completed', result: 40 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(10 * 150); // 10 rounds of 4: they really waited
    expect(runs.sort((a, b) => a - b)).toEqual(xs); // each ran once
    const tasks = done.steps.filter((s) => s.kind === 'task');
    expect(tasks.map((s) => s.outcome)).toEqual(Array(40).fill('ok'));
    // a task's duration is its run, not its wait
    expect(Math.max(...tasks.map((s) => s.durationMs!))).toBeLessThan(400);
  });
});

describe('signals, sleep and cancel', () => {
  const WAIT = 'workflow w(): any { const r = await signal("approve", { timeout: "100ms" })\n return r }';

  it('delivers a signal to a waiting instance', async () => {
    const e = await engine({});
    const i = await e.start(def('workflow w(): any { const r = await signal("approve")\n return r }'), {});
    expect(i.status).toBe('waiting');
    await e.signal(i.id, 'approve', { by: 'ann' });
    expect(await e.waitFor(i.id)).toMatchObject({ status: 'completed', result: { by: 'ann' } });
  });

  it('times a signal wait out with a durable timer', async () => {
    const e = await engine({});
    expect(await e.run(def(WAIT), {})).toMatchObject({ status: 'completed', result: { timedOut: true, payload: null } });
  });

  it('cancels a sleeping instance; waitFor resolves with cancelled', async () => {
    const e = await engine({});
    const i = await e.start(def('workflow w(): string { await sleep("1h")\n return "woke" }'), {});
    const waiting = e.waitFor(i.id);
    await e.cancel(i.id, 'not needed');
    expect(await waiting).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED', message: 'not needed' }, timers: {} });
  });

  it('ignores a task result for a cancelled instance', async () => {
    let release: () => void = () => {};
    const e = await engine({ tasks: { t: () => new Promise<number>((r) => (release = () => r(1))) } });
    const i = await e.start(def('task t(): number\nworkflow w(): number { const x = await t()\n return x }'), {});
    await new Promise((r) => setTimeout(r, 10));
    const cancelled = await e.cancel(i.id);
    release();
    await e.settled();
    expect(await e.get(i.id)).toEqual(cancelled);
  });
});

describe('starting, reading, restarting', () => {
  it('start is idempotent per id and input; other input conflicts; errors are typed', async () => {
    const e = await engine({ tasks: { chargeCard: async () => ({ success: false }), shipOrder: async () => ({}) } });
    const a = await e.start(def(ORDER), { orderId: 'o1', amount: 5 }, { id: 'x' });
    const b = await e.start(def(ORDER), { orderId: 'o1', amount: 5 }, { id: 'x' });
    expect(b.createdAt).toBe(a.createdAt);
    await expect(e.start(def(ORDER), { orderId: 'o2', amount: 5 }, { id: 'x' })).rejects.toBeInstanceOf(InstanceConflictError);
    await expect(e.start(def(ORDER), { orderId: 'o1' })).rejects.toBeInstanceOf(InputError);
    await expect(e.start(def('workflow w() { nope() }'), {})).rejects.toBeInstanceOf(DefinitionError);
    expect(await e.waitFor('x')).toMatchObject({ status: 'completed', result: 'payment failed' });
  });

  it('get, list and waitFor of unknown ids', async () => {
    const e = await engine({});
    await expect(e.get('nope')).rejects.toBeInstanceOf(InstanceNotFoundError);
    await expect(e.waitFor('nope')).rejects.toBeInstanceOf(InstanceNotFoundError);
    await e.start(def('workflow a(): number { return 1 }'), {}, { id: 'a1' });
    await e.start(def('workflow b(): any { const s = await signal("s")\n return s }'), {}, { id: 'b1' });
    expect((await e.list()).items.map((i) => i.id).sort()).toEqual(['a1', 'b1']);
    expect((await e.list({ status: 'waiting' })).items.map((i) => i.id)).toEqual(['b1']);
    expect((await e.list({ workflow: 'a' })).items).toMatchObject([{ id: 'a1', status: 'completed', result: 1 }]);
  });

  it('a duplicate task result delivered by hand changes nothing', async () => {
    const e = await engine({ tasks: { t: async () => 1 } });
    const done = await e.run(def('task t(): number\nworkflow w(): number { const x = await t()\n const y = await t()\n return x + y }'), {}, { id: 'd' });
    const taskId = done.steps.find((s) => s.kind === 'task')!.taskId!;
    e.deliver('d', { type: 'taskResult', id: `${taskId}#1`, taskId, attempt: 1, ok: true, result: 100 });
    await e.settled();
    expect(await e.get('d')).toEqual(done);
  });

  it('resumeAll continues instances left by an engine that stopped, on the same file', async () => {
    const dbPath = join(dir, 'resume', 'currant.db');
    const ran: string[] = [];
    const tasks = { t: async (x: string) => (ran.push(x), x.toUpperCase()) };
    const first = await createEngine({ dbPath, tasks });
    const i = await first.start(def('task t(x: string): string\nworkflow w(): string { await sleep("80ms")\n const r = await t("a")\n return r }'), {});
    await first.close(); // stops before the sleep ends
    expect(ran).toEqual([]);
    await new Promise((r) => setTimeout(r, 100)); // the sleep comes due while nothing runs
    const second = await engine({ dbPath, tasks });
    expect(await second.resumeAll()).toEqual({ instances: 1, tasks: 0, timers: 1, leasedElsewhere: 0 });
    expect(await second.waitFor(i.id)).toMatchObject({ status: 'completed', result: 'A' });
    expect(ran).toEqual(['a']);
  });

  it('event order follows time: a signal sent while the engine was down, after its timeout, loses to the timeout', async () => {
    const dbPath = join(dir, 'late-signal', 'currant.db');
    const src = 'workflow w(): any { const r = await signal("approve", { timeout: "1h" })\n return r }';
    let nowMs = Date.parse('2026-03-01T09:00:00.000Z');
    const clock = { now: () => new Date(nowMs) };
    const first = await createEngine({ dbPath, clock });
    const i = await first.start(def(src), {});
    await first.close(); // nothing runs from here on: the timeout (10:00) is fired by nobody
    nowMs = Date.parse('2026-03-01T11:00:00.000Z');
    // Both are processed later, in either order: the signal first (here), then the restart.
    const second = await engine({ dbPath, clock });
    const after = await second.signal(i.id, 'approve', { by: 'ann' });
    expect(after).toMatchObject({ status: 'completed', result: { timedOut: true, payload: null } });
    expect(after.steps.map((s) => s.outcome).slice(-3)).toEqual([
      'signal wait timed out',
      'completed',
      '"approve" not delivered: it arrived at 2026-03-01T11:00:00.000Z, after the instance completed',
    ]);
    expect(await second.resumeAll()).toEqual({ instances: 0, tasks: 0, timers: 0, leasedElsewhere: 0 });
  });

  it('a signal sent in time while the engine was down wins, though the engine applies its timeout later', async () => {
    const dbPath = join(dir, 'early-signal', 'currant.db');
    const src = 'workflow w(): any { const r = await signal("approve", { timeout: "1h" })\n return r }';
    let nowMs = Date.parse('2026-03-01T09:00:00.000Z');
    const clock = { now: () => new Date(nowMs) };
    const first = await createEngine({ dbPath, clock });
    const i = await first.start(def(src), {});
    await first.close();
    nowMs = Date.parse('2026-03-01T09:30:00.000Z');
    const cli = await engine({ dbPath, clock }); // like `currant signal`: applies and exits
    await cli.signal(i.id, 'approve', { by: 'ann' });
    await cli.close();
    nowMs = Date.parse('2026-03-01T11:00:00.000Z');
    const later = await engine({ dbPath, clock });
    await later.resumeAll();
    expect(await later.waitFor(i.id)).toMatchObject({ status: 'completed', result: { timedOut: false, payload: { by: 'ann' } } });
  });

  it('on restart, an attempt whose timeout passed while down is timed out and retried, not re-run', async () => {
    const dbPath = join(dir, 'timeout-down', 'currant.db');
    const src = 'task t(): string with { timeout: "60ms", backoff: "1ms" }\nworkflow w(): string { const r = await t()\n return r }';
    const first = await createEngine({ dbPath, tasks: { t: () => new Promise(() => {}) } });
    const i = await first.start(def(src), {});
    await first.close(); // attempt 1 was in flight
    await new Promise((r) => setTimeout(r, 100));
    const attempts: number[] = [];
    const second = await engine({ dbPath, tasks: { t: async (ctx: TaskContext) => (attempts.push(ctx.attempt), 'ok') } });
    expect(await second.resumeAll()).toEqual({ instances: 1, tasks: 0, timers: 1, leasedElsewhere: 0 });
    const done = await second.waitFor(i.id);
    expect(done).toMatchObject({ status: 'completed', result: 'ok' });
    expect(attempts).toEqual([2]);
    expect(done.steps.filter((s) => s.kind === 'task').map((s) => s.outcome)).toEqual(['timed out after 60ms (retry in 1ms)', 'ok']);
  });
});

describe('cancel with compensation', () => {
  const HOLD = `task reserve(item: string): string
task release(r: string): void
workflow hold(item: string) {
  const r = await reserve(item)
  try {
    await signal("confirm")
    return "confirmed"
  } catch (e) {
    await release(r)
    throw e
  }
}`;

  it('throws at the await; the catch runs its task in this process; waitFor resolves cancelled', async () => {
    const released: string[] = [];
    const e = await engine({
      tasks: {
        reserve: async (item: string) => `res-${item}`,
        release: async (r: string) => {
          await new Promise((ok) => setTimeout(ok, 20));
          released.push(r);
          return null;
        },
      },
    });
    const i = await e.start(def(HOLD), { item: 'chair' });
    await e.settled();
    expect((await e.get(i.id)).status).toBe('waiting');
    const waiting = e.waitFor(i.id);
    const after = await e.cancel(i.id, 'changed my mind');
    expect(after).toMatchObject({ status: 'running', cancelling: { reason: 'changed my mind' } });
    const done = await waiting;
    expect(done).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED', message: 'changed my mind' }, tasks: {}, timers: {} });
    expect(released).toEqual(['res-chair']);
    expect(done.steps.map((s) => s.kind)).toEqual(['start', 'task', 'signal', 'cancel', 'task', 'cancel']);
  });

  it('a second cancel while the compensation runs stops it at once', async () => {
    let release: (() => void) | undefined;
    const e = await engine({
      tasks: {
        reserve: async (item: string) => `res-${item}`,
        release: () => new Promise<null>((ok) => (release = () => ok(null))),
      },
    });
    const i = await e.start(def(HOLD), { item: 'desk' });
    await e.settled();
    await e.cancel(i.id);
    while (!release) await new Promise((ok) => setTimeout(ok, 5)); // the compensation's task runs
    const second = await e.cancel(i.id);
    expect(second).toMatchObject({ status: 'cancelled', error: { message: 'cancelled (cancelled again while compensating)' } });
    release!();
    await e.settled();
    expect(await e.get(i.id)).toMatchObject({ status: 'cancelled' });
  });
});
