/**
 * currant/testing: a workflow run in-process on the runtime core with a test clock — scripted and
 * real task implementations, time skipping (`skip`, `finish`), signals at chosen points, cancel,
 * and what a test asserts on (result, status, calls, steps, logs, view). Clocks here are the
 * test's: no assertion depends on how fast the machine is.
 */
import { describe, expect, it } from 'vitest';
import { DefinitionError } from '../../runtime/errors.ts';
import { DEFAULT_START, fails, returns, testWorkflow, timesOut, TaskError, type TaskContext } from '../../testing/index.ts';

const DAY = 86_400_000;

const ORDER = `
task charge(orderId: string, amount: number): { paymentId: string }
task ship(orderId: string): string with { retries: 2, backoff: "10s" }

workflow order(orderId: string, amount: number): string {
  const p = await charge(orderId, amount)
  console.log(\`charged \${p.paymentId}\`)
  return await ship(orderId)
}
`;

const TRIAL = `
task startTrial(user: string): void
task remind(user: string, daysLeft: number): void
task convert(user: string): string

workflow trial(user: string): string {
  await startTrial(user)
  await sleep("23d")
  await remind(user, 7)
  const answer = await signal("upgrade", { timeout: "7d" })
  if (answer.timedOut) return "expired"
  return await convert(answer.payload.plan)
}
`;

describe('testWorkflow', () => {
  it('runs a workflow with task implementations and records every call', async () => {
    const wf = testWorkflow<{ orderId: string; amount: number }, string>(
      { source: ORDER, file: 'order.workflow' },
      { tasks: { charge: async (orderId: string, amount: number) => ({ paymentId: `p-${orderId}-${amount}` }), ship: async (id: string) => `T-${id}` } },
    );
    expect(wf.name).toBe('order');
    const run = await wf.run({ orderId: 'o-1', amount: 42 });
    expect(run.status).toBe('completed');
    expect(run.result).toBe('T-o-1');
    expect(run.id).toBe('order-test');
    expect(run.calls.map((c) => [c.task, c.args, c.attempt, c.line])).toEqual([
      ['charge', ['o-1', 42], 1, 6],
      ['ship', ['o-1'], 1, 8],
    ]);
    expect(run.logs).toEqual(['charged p-o-1-42']);
    expect(run.steps.map((s) => s.kind)).toEqual(['start', 'task', 'log', 'task', 'complete']);
    expect(run.elapsedMs).toBe(0);
  });

  it('passes the task context (idempotency key, attempt, deadline from the test clock)', async () => {
    const seen: TaskContext[] = [];
    const wf = testWorkflow({ source: ORDER }, {
      tasks: {
        charge: (_o: string, _a: number, ctx: TaskContext) => {
          seen.push(ctx);
          return { paymentId: 'p' };
        },
        ship: returns('T'),
      },
    });
    await wf.run({ orderId: 'o-1', amount: 1 }, { id: 'my-order' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ instanceId: 'my-order', task: 'charge', attempt: 1, idempotencyKey: `my-order/${seen[0]!.taskId}` });
    // The default policy's 5-minute timeout, counted on the test clock.
    expect(seen[0]!.deadline).toBe(Date.parse(DEFAULT_START) + 5 * 60_000);
  });

  it('takes one scripted outcome per call: a failure is retried after its backoff, on the test clock', async () => {
    const wf = testWorkflow({ source: ORDER }, {
      tasks: { charge: returns({ paymentId: 'p-1' }), ship: [fails('carrier down', { type: 'CarrierDown' }), returns('T-9')] },
    });
    const run = await wf.start({ orderId: 'o-1', amount: 5 });
    // Nothing moves the clock by itself: the retry waits for its 10s backoff.
    expect(run.status).toBe('running');
    expect(run.callsOf('ship')).toHaveLength(1);
    await run.skip('9s');
    expect(run.callsOf('ship')).toHaveLength(1);
    await run.skip('1s');
    expect(run.status).toBe('completed');
    expect(run.result).toBe('T-9');
    expect(run.callsOf('ship').map((c) => [c.attempt, c.at])).toEqual([
      [1, '2025-01-01T00:00:00.000Z'],
      [2, '2025-01-01T00:00:10.000Z'],
    ]);
    expect(run.steps.filter((s) => s.kind === 'task' && s.task === 'ship').map((s) => s.outcome)).toEqual(['failed: carrier down (retry in 10s)', 'ok']);
    expect(run.steps.filter((s) => s.kind === 'retry').map((s) => [s.at, s.outcome])).toEqual([['2025-01-01T00:00:10.000Z', 'attempt 2 of 3']]);
  });

  it('times a call out when its script says so: the policy timeout passes in test time, then the retry runs', async () => {
    const wf = testWorkflow({ source: ORDER }, { tasks: { charge: returns({ paymentId: 'p' }), ship: [timesOut(), returns('T')] } });
    const run = await wf.run({ orderId: 'o', amount: 1 });
    expect(run.result).toBe('T');
    // 5 minutes (default timeout) + 10 s backoff
    expect(run.elapsedMs).toBe(5 * 60_000 + 10_000);
    expect(run.steps.filter((s) => s.kind === 'task' && s.task === 'ship').map((s) => [s.at, s.outcome])).toEqual([
      ['2025-01-01T00:05:00.000Z', 'timed out after 5m (retry in 10s)'],
      ['2025-01-01T00:05:10.000Z', 'ok'],
    ]);
  });

  it('fails the workflow with CR007 when the calls run out of attempts, and says when a script is exhausted', async () => {
    const wf = testWorkflow({ source: ORDER }, { tasks: { charge: returns({ paymentId: 'p' }), ship: [fails('a'), fails('b')] } });
    const run = await wf.run({ orderId: 'o', amount: 1 });
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'CR007', task: 'ship', attempts: 3 });
    expect(run.error!.message).toContain("task 'ship' was called 3 times but its script has 2 entries");
  });

  it('fails a call to a task the test gives nothing for, not retried, saying what to add', async () => {
    const run = await testWorkflow({ source: ORDER }, { tasks: { charge: returns({ paymentId: 'p' }) } }).run({ orderId: 'o', amount: 1 });
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'CR007', task: 'ship', attempts: 1 });
    expect(run.error!.message).toContain("no implementation for task 'ship' in this test");
  });

  it('maps a thrown TaskError like the engine does (not retryable → fails at once)', async () => {
    const run = await testWorkflow({ source: ORDER }, {
      tasks: {
        charge: () => {
          throw new TaskError('card declined', { type: 'CardDeclined', retryable: false });
        },
        ship: returns('T'),
      },
    }).run({ orderId: 'o', amount: 1 });
    expect(run.error).toMatchObject({ code: 'CR007', task: 'charge', attempts: 1 });
    expect(run.error!.message).toContain('card declined');
    expect(run.callsOf('ship')).toEqual([]);
  });

  it('skips 30 days of sleeping and a 7-day signal wait', async () => {
    const tasks = { startTrial: returns(null), remind: returns(null), convert: (plan: string) => `on ${plan}` };
    const wf = testWorkflow({ source: TRIAL }, { tasks });
    const expired = await wf.run({ user: 'ann' });
    expect(expired.result).toBe('expired');
    expect(expired.elapsedMs).toBe(30 * DAY);
    expect(expired.callsOf('remind').map((c) => [c.args, c.at])).toEqual([[['ann', 7], '2025-01-24T00:00:00.000Z']]);

    // A signal at a chosen point: two days after the reminder.
    const run = await wf.start({ user: 'bob' });
    expect(run.status).toBe('waiting');
    expect(run.waitingFor).toEqual([]);
    await run.skip('25d');
    expect(run.waitingFor).toEqual(['upgrade']);
    expect(run.view().pending.signals[0]).toMatchObject({ name: 'upgrade', timeout: '7d' });
    await run.signal('upgrade', { plan: 'pro' });
    expect(run.status).toBe('completed');
    expect(run.result).toBe('on pro');
    expect(run.now.toISOString()).toBe('2025-01-26T00:00:00.000Z');
  });

  it('starts the clock where the test says, and now() in the workflow reads it', async () => {
    const src = `workflow w(): string {\n  await sleep("1h")\n  return now()\n}\n`;
    const run = await testWorkflow({ source: src }, { startAt: '2030-06-01T12:00:00Z' }).run({});
    expect(run.result).toBe('2030-06-01T13:00:00.000Z');
  });

  it('skip fires every timer that comes due on the way, in order, and lands on the target', async () => {
    const src = `task tick(n: number): void\nworkflow w(): number {\n  let n = 0\n  while (n < 5) {\n    await sleep("1h")\n    n++\n    await tick(n)\n  }\n  return n\n}\n`;
    const run = await testWorkflow({ source: src }, { tasks: { tick: returns(null) } }).start({});
    await run.skip('210m');
    expect(run.callsOf('tick').map((c) => [c.args[0], c.at])).toEqual([
      [1, '2025-01-01T01:00:00.000Z'],
      [2, '2025-01-01T02:00:00.000Z'],
      [3, '2025-01-01T03:00:00.000Z'],
    ]);
    expect(run.elapsedMs).toBe(210 * 60_000);
    expect(run.view().variables).toMatchObject({ n: 3 });
    await run.finish();
    expect(run.result).toBe(5);
  });

  it('finish says which signal the workflow waits for when only the test can send it', async () => {
    const src = `workflow w(): any {\n  return await signal("go")\n}\n`;
    const run = await testWorkflow({ source: src }).start({});
    await expect(run.finish()).rejects.toThrow('w is waiting for signal "go" (line 2) and nothing else can move it: send it first, e.g. await run.signal("go", payload)');
    await run.signal('go', { x: 1 });
    expect(run.result).toEqual({ x: 1 });
  });

  it('finish gives up on a workflow that never ends', async () => {
    const src = `workflow w(): void {\n  while (true) {\n    await sleep("1s")\n  }\n}\n`;
    const run = await testWorkflow({ source: src }).start({});
    await expect(run.finish({ maxTimers: 50 })).rejects.toThrow(/still waiting after 50s of test time and 50 timers .*pass \{ maxTimers \}/);
    await expect(run.finish({ within: '10s' })).rejects.toThrow(/pass \{ within \}/);
  });

  it('cancels at a chosen point', async () => {
    const run = await testWorkflow({ source: TRIAL }, { tasks: { startTrial: returns(null) } }).start({ user: 'u' });
    await run.skip('1d');
    await run.cancel('user left');
    expect(run.status).toBe('cancelled');
    expect(run.error).toMatchObject({ code: 'CANCELLED' });
    expect(run.callsOf('remind')).toEqual([]);
  });

  it('runs the attempts dispatched together at the same time, and applies results in dispatch order', async () => {
    const src = `task work(i: number): number\nworkflow w(items: number[]): number[] {\n  return await Promise.all(items.map(work), { concurrency: 3 })\n}\n`;
    let running = 0;
    let peak = 0;
    const work = async (i: number) => {
      running++;
      peak = Math.max(peak, running);
      // later items finish first in real time; the results still come back in order
      await new Promise((r) => setTimeout(r, 10 - i));
      running--;
      return i * 10;
    };
    const run = await testWorkflow({ source: src }, { tasks: { work } }).run({ items: [1, 2, 3, 4, 5, 6, 7] });
    expect(run.result).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(peak).toBe(3);
    expect(run.calls.map((c) => c.args[0])).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('gives each run its own world: call counts, store and clock are not shared', async () => {
    const wf = testWorkflow({ source: ORDER }, { tasks: { charge: returns({ paymentId: 'p' }), ship: [returns('first')] } });
    const a = await wf.run({ orderId: 'a', amount: 1 });
    const b = await wf.run({ orderId: 'b', amount: 1 });
    expect([a.result, b.result]).toEqual(['first', 'first']);
    expect(b.calls).toHaveLength(2);
    expect(JSON.stringify(a.steps)).toBe(JSON.stringify(b.steps).replaceAll('"b"', '"a"'));
  });

  it('accepts a workflow file path or URL, and refuses one that does not check with every diagnostic', async () => {
    const wf = testWorkflow(new URL('../../examples/polling/polling.workflow', import.meta.url), {
      tasks: { startJob: returns('j-1'), checkJob: [returns({ done: false, progress: 10 }), returns({ done: true, progress: 100 })], fetchResult: returns('rows') },
    });
    const run = await wf.run({ name: 'n' });
    expect(run.result).toEqual({ jobId: 'j-1', checks: 2, result: 'rows' });
    expect(run.elapsedMs).toBe(1000);

    let thrown: unknown;
    try {
      testWorkflow({ source: 'workflow w(): number {\n  return x + y\n}\n', file: 'bad.workflow' });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DefinitionError);
    expect((thrown as DefinitionError).diagnostics.length).toBeGreaterThanOrEqual(2);
    expect((thrown as Error).message).toContain('bad.workflow:2:10');
  });

  it('refuses scripts for tasks the workflow does not declare, and values that are not tasks', () => {
    expect(() => testWorkflow({ source: ORDER, file: 'order.workflow' }, { tasks: { shipp: returns('T') } })).toThrow(
      "tasks.shipp: order.workflow declares no task 'shipp' (it declares: charge, ship)",
    );
    expect(() => testWorkflow({ source: ORDER }, { tasks: { ship: 'T' as never } })).toThrow(/tasks\.ship: expected a function, returns/);
    expect(() => testWorkflow({ source: ORDER }, { tasks: { ship: [returns('T'), 5 as never] } })).toThrow(/tasks\.ship\[1\]/);
  });
});
