/**
 * currant/testing with handles: a race of a task against a long sleep decided on the test clock
 * (either side winning, the 2 days skipped), Promise.any over tasks, and cancellation with
 * compensation (the catch's await runs; a compensation that hangs is ended by the grace period; a
 * second cancel ends it at once). The harness drives the runtime core, so this is the engine's
 * behaviour with a clock the test owns.
 */
import { describe, expect, it } from 'vitest';
import { fails, returns, testWorkflow, timesOut } from '../../testing/index.ts';

const DAY = 86_400_000;

// A quote that may never come: race it against 2 days. The task may take up to 3 days (so its own
// timeout does not decide the race), and is not retried.
const QUOTE = `
task quote(sku: string): number with { timeout: "3d", retries: 0 }
task listPrice(sku: string): number

workflow price(sku: string): any {
  const asked = quote(sku)
  const first = await Promise.race([asked, sleep("2d")], { index: true })
  if (first.index === 0) return { price: first.value, from: "supplier" }
  const listed = await listPrice(sku)
  return { price: listed, from: "list" }
}
`;

// Reserve, wait for a confirmation; a cancel throws CancelledError at the await and the catch
// compensates with an await of its own.
const HOLD = `
task reserve(item: string): string
task release(reservation: string): void
task charge(reservation: string): string

workflow hold(item: string): any {
  const reservation = await reserve(item)
  try {
    const answer = await signal("confirm", { timeout: "7d" })
    if (answer.timedOut) {
      await release(reservation)
      return { reservation, status: "expired" }
    }
    const receipt = await charge(reservation)
    return { reservation, status: "confirmed", receipt }
  } catch (e) {
    console.warn(\`\${e.name}: \${e.message}\`)
    await release(reservation)
    throw e
  }
}
`;

describe('currant/testing: races over timers', () => {
  const wf = testWorkflow<{ sku: string }, { price: number; from: string }>({ source: QUOTE, file: 'price.workflow' }, { tasks: { quote: returns(7), listPrice: returns(10) } });

  it('a task that answers wins the race at once, and the 2-day timer is not waited for', async () => {
    const run = await wf.run({ sku: 'chair' });
    expect(run.status).toBe('completed');
    expect(run.result).toEqual({ price: 7, from: 'supplier' });
    expect(run.elapsedMs).toBe(0);
    expect(run.callsOf('listPrice')).toHaveLength(0);
  });

  it('a task that never answers loses to the 2-day sleep, which the test skips', async () => {
    const slow = testWorkflow<{ sku: string }, { price: number; from: string }>({ source: QUOTE, file: 'price.workflow' }, { tasks: { quote: timesOut(), listPrice: returns(10) } });
    const run = await slow.start({ sku: 'chair' });
    expect(run.status).toBe('running');
    expect(run.callsOf('quote')).toHaveLength(1);

    await run.skip('1d');
    expect(run.status).toBe('running'); // half way: neither side has settled

    await run.skip('1d');
    expect(run.status).toBe('completed');
    expect(run.result).toEqual({ price: 10, from: 'list' });
    expect(run.elapsedMs).toBe(2 * DAY);
    expect(run.callsOf('listPrice').map((c) => c.at)).toEqual(['2025-01-03T00:00:00.000Z']);
  });

  it('finish jumps straight to the sleep when nothing else can happen', async () => {
    const slow = testWorkflow({ source: QUOTE, file: 'price.workflow' }, { tasks: { quote: timesOut(), listPrice: returns(10) } });
    const run = await slow.run({ sku: 'desk' });
    expect(run.result).toEqual({ price: 10, from: 'list' });
    expect(run.elapsedMs).toBe(2 * DAY);
  });

  it('a slow answer (returns after 3 hours of test time) still wins against the 2 days', async () => {
    const slow = testWorkflow({ source: QUOTE, file: 'price.workflow' }, { tasks: { quote: returns(8, { after: '3h' }), listPrice: returns(10) } });
    const run = await slow.start({ sku: 'chair' });
    await run.skip('2h');
    expect(run.status).toBe('running');
    await run.skip('1h');
    expect(run.status).toBe('completed');
    expect(run.result).toEqual({ price: 8, from: 'supplier' });
    expect(run.elapsedMs).toBe(3 * 3_600_000);
  });

  it('an answer later than the 2 days loses the race and is ignored when it comes', async () => {
    const late = testWorkflow({ source: QUOTE, file: 'price.workflow' }, { tasks: { quote: returns(8, { after: '60h' }), listPrice: returns(10) } });
    const run = await late.run({ sku: 'chair' });
    expect(run.result).toEqual({ price: 10, from: 'list' });
    expect(run.elapsedMs).toBe(2 * DAY);
    const before = run.steps.length;
    await run.skip('1d'); // the late answer arrives: the instance is done, nothing changes
    expect(run.status).toBe('completed');
    expect(run.result).toEqual({ price: 10, from: 'list' });
    expect(run.steps).toHaveLength(before);
  });

  it('refuses a malformed { after }', () => {
    expect(() => returns(1, { after: 'soon' })).toThrow(TypeError);
    expect(() => fails('x', { after: -5 })).toThrow(/after/);
  });

  it('Promise.any over task handles: the first to succeed, failures skipped', async () => {
    const source = `
task mirror(url: string): string with { retries: 0 }

workflow fetchAny(urls: string[]): string {
  return await Promise.any(urls.map(mirror))
}
`;
    const any = testWorkflow<{ urls: string[] }, string>({ source }, { tasks: { mirror: [fails('down'), returns('from b'), returns('from c')] } });
    const run = await any.run({ urls: ['a', 'b', 'c'] });
    expect(run.status).toBe('completed');
    expect(run.result).toBe('from b');
    expect(run.callsOf('mirror').map((c) => c.args)).toEqual([['a'], ['b'], ['c']]);
  });
});

describe('currant/testing: cancellation with compensation', () => {
  it('a cancel throws at the await, the catch releases the reservation, the run ends cancelled', async () => {
    const wf = testWorkflow({ source: HOLD, file: 'hold.workflow' }, { tasks: { reserve: async (item: string) => `res-${item}`, release: returns(null), charge: returns('r-1') } });
    const run = await wf.start({ item: 'chair' });
    expect(run.waitingFor).toEqual(['confirm']);

    await run.skip('1d');
    await run.cancel('customer left');

    expect(run.status).toBe('cancelled');
    expect(run.error).toMatchObject({ code: 'CANCELLED' });
    expect(run.callsOf('release').map((c) => [c.args, c.at])).toEqual([[['res-chair'], '2025-01-02T00:00:00.000Z']]);
    expect(run.callsOf('charge')).toHaveLength(0);
    expect(run.logs).toHaveLength(1);
    expect(run.logs[0]).toMatch(/^CancelledError: .*customer left/);
  });

  it('a compensation that never answers is ended by the grace period (5 minutes of test time)', async () => {
    const wf = testWorkflow({ source: HOLD, file: 'hold.workflow' }, { tasks: { reserve: returns('res-1'), release: timesOut(), charge: returns('r-1') } });
    const run = await wf.start({ item: 'chair' });
    await run.cancel('customer left');
    expect(run.status).toBe('running'); // compensating: release is outstanding
    expect(run.instance.cancelling).toMatchObject({ reason: 'customer left' });

    await run.finish();
    expect(run.status).toBe('cancelled');
    expect(run.elapsedMs).toBe(300_000);
    expect(run.error?.message).toMatch(/grace period of 5m/);
  });

  it('the grace period is a limit the test can set, and a second cancel ends the compensation at once', async () => {
    const wf = testWorkflow({ source: HOLD, file: 'hold.workflow' }, { tasks: { reserve: returns('res-1'), release: timesOut(), charge: returns('r-1') }, limits: { cancelGraceMs: 60_000 } });
    const run = await wf.start({ item: 'chair' });
    await run.cancel('first');
    expect(run.instance.cancelling?.until).toBe('2025-01-01T00:01:00.000Z');

    await run.skip('30s');
    await run.cancel('second');
    expect(run.status).toBe('cancelled');
    expect(run.error?.message).toMatch(/cancelled again while compensating/);
    expect(run.elapsedMs).toBe(30_000);
  });

  it('without a cancel, the 7-day timeout passes in test time and releases', async () => {
    const wf = testWorkflow({ source: HOLD, file: 'hold.workflow' }, { tasks: { reserve: returns('res-1'), release: returns(null), charge: returns('r-1') } });
    const run = await wf.run({ item: 'chair' });
    expect(run.result).toEqual({ reservation: 'res-1', status: 'expired' });
    expect(run.elapsedMs).toBe(7 * DAY);
    expect(run.callsOf('release')).toHaveLength(1);
  });
});
