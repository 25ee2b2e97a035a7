import { describe, expect, it } from 'vitest';
import { fails, returns, testWorkflow } from '../../testing/index.ts';

const approval = testWorkflow('examples/approval/approval.workflow', {
  tasks: { requestApproval: returns(null), notifyRequester: returns(null) },
});

describe('approval', () => {
  it('approves when the answer comes in time', async () => {
    const run = await approval.start({ requestId: 'r-1', amount: 250 });
    expect(run.waitingFor).toEqual(['approval']);

    await run.skip('3s'); // the clock moves only when the test says so
    await run.signal('approval', { approved: true, by: 'ana' });

    expect(run.status).toBe('completed');
    expect(run.result).toBe('approved by ana');
    expect(run.callsOf('notifyRequester').map((c) => c.args)).toEqual([['r-1', 'approved']]);
  });

  it('expires when nobody answers (the 5s timeout passes in test time)', async () => {
    const run = await approval.run({ requestId: 'r-2', amount: 250 });

    expect(run.result).toBe('expired: nobody answered in time');
    expect(run.elapsedMs).toBe(5_000);
    expect(run.steps.at(-1)).toMatchObject({ kind: 'complete' });
  });

  it('retries a failing task, then carries on', async () => {
    const flaky = testWorkflow('examples/approval/approval.workflow', {
      tasks: { requestApproval: [fails('mail server down'), returns(null)], notifyRequester: returns(null) },
    });
    const run = await flaky.run({ requestId: 'r-3', amount: 250 });

    expect(run.callsOf('requestApproval').map((c) => c.attempt)).toEqual([1, 2]);
    expect(run.result).toBe('expired: nobody answered in time');
  });
});
