import { describe, expect, it } from 'vitest';
import { InProcessDispatcher } from '../../../adapters/embedded/dispatcher.ts';
import { NonRetryableError, type TaskRegistry } from '../../../adapters/embedded/tasks.ts';
import type { DispatchCommand, RuntimeEvent } from '../../../runtime/types.ts';

function setup(tasks: TaskRegistry, concurrency?: number) {
  const events: { instanceId: string; event: RuntimeEvent }[] = [];
  let notify: () => void = () => {};
  const d = new InProcessDispatcher({
    tasks,
    now: () => new Date(),
    concurrency,
    deliver: (instanceId, event) => {
      events.push({ instanceId, event });
      notify();
    },
  });
  /** Resolves once `n` events have been delivered. */
  const until = (n: number) =>
    new Promise<void>((resolve) => {
      notify = () => events.length >= n && resolve();
      notify();
    });
  return { d, events, until };
}

const send = (taskId: string, task: string, args: unknown[], attempt = 1, timeoutMs = 5000): DispatchCommand => ({
  type: 'sendTask',
  instanceId: 'i-1',
  taskId,
  task,
  args: args as never,
  attempt,
  timeoutMs,
});

describe('InProcessDispatcher tasks', () => {
  it('calls the task with its arguments and a context, and delivers the result', async () => {
    const seen: unknown[] = [];
    const { d, events, until } = setup({
      add: async (a: number, b: number, ctx: { idempotencyKey: string; attempt: number; deadline: number; signal: AbortSignal }) => {
        seen.push([ctx.idempotencyKey, ctx.attempt, ctx.signal.aborted]);
        deadline = ctx.deadline;
        return a + b;
      },
    });
    let deadline = 0;
    const before = Date.now();
    await d.dispatch([send('n1.s1', 'add', [2, 3], 2)]);
    const after = Date.now();
    await until(1);
    expect(seen).toEqual([['i-1/n1.s1', 2, false]]);
    // The deadline runs from dispatch (timeoutMs 5000), as on Lambda it runs from the message.
    expect(deadline).toBeGreaterThanOrEqual(before + 5000);
    expect(deadline).toBeLessThanOrEqual(after + 5000);
    expect(events[0]).toEqual({
      instanceId: 'i-1',
      event: { type: 'taskResult', id: 'n1.s1#2', taskId: 'n1.s1', attempt: 2, durationMs: expect.any(Number), ok: true, result: 5 },
    });
  });

  it('reports thrown errors as failed attempts, retryable unless marked, and unknown tasks as not retryable', async () => {
    const { d, events, until } = setup({
      flaky: async () => {
        throw new Error('try again');
      },
      declined: async () => {
        throw new NonRetryableError('card declined', 'CardDeclined');
      },
    });
    await d.dispatch([send('a', 'flaky', []), send('b', 'declined', []), send('c', 'missing', [])]);
    await until(3);
    const byTask = Object.fromEntries(events.map((e) => [(e.event as { taskId: string }).taskId, e.event]));
    expect(byTask.a).toMatchObject({ ok: false, error: { message: 'try again', type: 'Error' } });
    // The SDK's errorInfo (the same mapping a task Lambda uses) says retryable: true explicitly.
    expect((byTask.a as { error: { retryable?: boolean } }).error.retryable).toBe(true);
    expect(byTask.b).toMatchObject({ ok: false, error: { message: 'card declined', type: 'CardDeclined', retryable: false } });
    expect(byTask.c).toMatchObject({ ok: false, error: { type: 'TaskNotFound', retryable: false } });
  });

  it('aborts the signal at the timeout and reports nothing (the runtime times the attempt out)', async () => {
    let aborted: Promise<boolean> | undefined;
    const { d, events } = setup({
      slow: (ctx: { signal: AbortSignal }) => {
        aborted = new Promise((r) => ctx.signal.addEventListener('abort', () => r(true)));
        return new Promise(() => {}); // never settles
      },
    });
    await d.dispatch([send('s', 'slow', [], 1, 30)]);
    await new Promise((r) => setImmediate(r));
    expect(await aborted).toBe(true);
    await d.whenIdle();
    expect(events).toEqual([]);
  });

  it('starts an attempt\'s clock when it starts: one that waited for a slot runs its whole timeout and says when it started', async () => {
    const ran: { name: string; deadline: number; at: number }[] = [];
    const { d, events, until } = setup(
      {
        t: async (name: string, ctx: { deadline: number }) => {
          ran.push({ name, deadline: ctx.deadline, at: Date.now() });
          await new Promise((r) => setTimeout(r, 60));
          return name;
        },
      },
      1,
    );
    // 'queued' has 40 ms, and waits 60 ms for the one slot: it must still run, with its 40 ms.
    await d.dispatch([send('a', 't', ['first'], 1, 5000), send('b', 't', ['queued'], 1, 40)]);
    await until(2);
    await d.whenIdle();
    expect(ran.map((r) => r.name)).toEqual(['first', 'queued']);
    const queued = ran[1]!;
    expect(queued.deadline - queued.at).toBeGreaterThanOrEqual(39);
    expect(queued.deadline - queued.at).toBeLessThanOrEqual(41);
    // The one that waited reported its start (with its token) before its outcome.
    expect(events.map((e) => e.event.type)).toEqual(['taskResult', 'taskStarted']);
    expect(events[1]!.event).toEqual({ type: 'taskStarted', id: 'b#1:started', taskId: 'b', attempt: 1, token: undefined });
    // ('queued' itself ran past its 40 ms: its timeout is the runtime's timer's to report, not a result.)
  });

  it('holds back the timeout timer of an attempt still waiting for a slot, and fires it from the attempt\'s start', async () => {
    const { d, events, until } = setup(
      {
        t: async (ms: number) => {
          await new Promise((r) => setTimeout(r, ms));
          return ms;
        },
      },
      1,
    );
    const fired = () => events.filter((e) => e.event.type === 'timerFired').map((e) => Date.now());
    const t0 = Date.now();
    // b's timeout timer as the runtime arms it at dispatch: due after 30 ms, while a (80 ms) holds the slot.
    await d.dispatch([send('a', 't', [80], 1, 5000), send('b', 't', [500], 1, 30), { type: 'scheduleTimer', instanceId: 'i-1', timerId: 'b#1:timeout', fireAt: new Date(t0 + 30).toISOString() }]);
    await until(2); // a's result, b's start
    expect(fired()).toEqual([]);
    await until(3); // the timeout fires 30 ms after b started (~110 ms), not at 30 ms
    const timeout = events.find((e) => e.event.type === 'timerFired')!;
    expect(timeout.event).toEqual({ type: 'timerFired', id: 'timer:b#1:timeout', timerId: 'b#1:timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(105);
    d.close();
  });

  it('drops an attempt still waiting for a slot when its timeout timer is cancelled (the instance moved on)', async () => {
    const ran: string[] = [];
    const { d, until } = setup(
      {
        t: async (name: string) => {
          ran.push(name);
          await new Promise((r) => setTimeout(r, 30));
          return name;
        },
      },
      1,
    );
    await d.dispatch([send('a', 't', ['first']), send('b', 't', ['never'])]);
    await d.dispatch([{ type: 'cancelTimer', instanceId: 'i-1', timerId: 'b#1:timeout' }]);
    await until(1);
    await d.whenIdle();
    expect(ran).toEqual(['first']);
    expect(d.busy).toBe(0);
  });

  it('refuses a concurrency that is not a whole number from 1 to 10,000', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 10_001]) {
      expect(() => new InProcessDispatcher({ tasks: {}, now: () => new Date(), concurrency: bad, deliver: () => {} })).toThrow(/concurrency must be a whole number from 1 to 10000/);
    }
  });

  it('runs the same attempt once even when dispatched twice, but a new attempt again', async () => {
    let runs = 0;
    const { d, until } = setup({ t: async () => ++runs });
    await d.dispatch([send('x', 't', [])]);
    await d.dispatch([send('x', 't', [])]);
    await until(1);
    await d.whenIdle();
    expect(runs).toBe(1);
    await d.dispatch([send('x', 't', [], 2)]);
    await until(2);
    expect(runs).toBe(2);
  });

  it('keeps at most `concurrency` attempts running', async () => {
    let running = 0;
    let peak = 0;
    const { d, until } = setup(
      {
        t: async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
          return null;
        },
      },
      3,
    );
    await d.dispatch(Array.from({ length: 10 }, (_, k) => send(`n.${k}`, 't', [])));
    await until(10);
    expect(peak).toBe(3);
  });
});

describe('InProcessDispatcher timers', () => {
  const timer = (timerId: string, fireAt: Date): DispatchCommand => ({ type: 'scheduleTimer', instanceId: 'i-1', timerId, fireAt: fireAt.toISOString() });

  it('fires due timers at once and future ones not before their time', async () => {
    const { d, events, until } = setup({});
    const due = new Date(Date.now() - 60_000);
    const soon = new Date(Date.now() + 40);
    await d.dispatch([timer('late', soon), timer('overdue', due)]);
    await until(1);
    expect(events.map((e) => (e.event as { timerId: string }).timerId)).toEqual(['overdue']);
    await until(2);
    expect(Date.now()).toBeGreaterThanOrEqual(soon.getTime());
    expect(events[1]!.event).toEqual({ type: 'timerFired', id: 'timer:late', timerId: 'late' });
  });

  it('arms a timer once per fire time and forgets cancelled ones', async () => {
    const { d, events, until } = setup({});
    const at = new Date(Date.now() + 20);
    await d.dispatch([timer('t', at), timer('t', at), timer('gone', at)]);
    expect(d.armed).toBe(2);
    await d.dispatch([{ type: 'cancelTimer', instanceId: 'i-1', timerId: 'gone' }]);
    expect(d.armed).toBe(1);
    await until(1);
    await new Promise((r) => setTimeout(r, 40));
    expect(events.map((e) => (e.event as { timerId: string }).timerId)).toEqual(['t']);
  });

  it('close() clears timers so nothing fires afterwards', async () => {
    const { d, events } = setup({});
    await d.dispatch([timer('t', new Date(Date.now() + 10))]);
    d.close();
    await new Promise((r) => setTimeout(r, 30));
    expect(events).toEqual([]);
  });
});
