/**
 * The welcome workflow, run in-process by currant/testing: real task functions or scripted
 * outcomes, and a clock that skips ahead (a week of waiting takes milliseconds).
 */
import { describe, expect, it } from 'vitest';
import { fails, returns, testWorkflow } from 'currant/testing';
import * as tasks from '../tasks/index.ts';

const welcome = testWorkflow(new URL('../workflows/welcome.workflow', import.meta.url), { tasks });
const input = { userId: 'u-1', email: 'ann@example.com', confirmWithin: '3d' };

describe('welcome', () => {
  it('activates a user who confirms the next day', async () => {
    const run = await welcome.start(input);
    expect(run.waitingFor).toEqual(['confirmed']);

    await run.skip('1d'); // time passes only when the test says so
    await run.signal('confirmed');

    expect(run.status).toBe('completed');
    expect(run.result).toBe('active');
    expect(run.callsOf('sendEmail').map((c) => c.args)).toEqual([['ann@example.com', 'welcome']]);
    expect(run.callsOf('activateAccount').map((c) => c.args)).toEqual([['u-1']]);
  });

  it('reminds after 3 days and gives up 3 days later', async () => {
    const run = await welcome.run(input);

    expect(run.result).toBe('not confirmed');
    expect(run.elapsedMs).toBe(6 * 24 * 60 * 60 * 1000);
    expect(run.callsOf('sendEmail').map((c) => c.args[1])).toEqual(['welcome', 'reminder']);
    expect(run.callsOf('activateAccount')).toEqual([]);
  });

  it('retries the email when the provider fails, then carries on', async () => {
    const scripted = testWorkflow(new URL('../workflows/welcome.workflow', import.meta.url), {
      tasks: { ...tasks, sendEmail: [fails('provider down'), returns({ messageId: 'm-1' })] },
    });
    const run = await scripted.start(input);
    await run.skip('2s'); // the retry policy's backoff
    expect(run.callsOf('sendEmail').map((c) => c.attempt)).toEqual([1, 2]);

    await run.signal('confirmed');
    expect(run.result).toBe('active');
    expect(run.steps.map((s) => s.kind)).toContain('retry');
  });
});
