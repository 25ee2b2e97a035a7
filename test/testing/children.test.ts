/**
 * `currant/testing` with child workflows: a child is scripted like a task named `workflows.<name>`
 * (its input the one argument); its value completes it, `fails(message, { type })` fails it with that
 * code; a detached start is recorded as a call.
 */
import { describe, expect, it } from 'vitest';
import { fails, returns, testWorkflow } from '../../testing/index.ts';

describe('testWorkflow with child workflows', () => {
  it('answers an awaited child from its script and records the detached one', async () => {
    const order = testWorkflow('examples/children/children.workflow', {
      tasks: { 'workflows.charge': returns({ paymentId: 'p-9' }), 'workflows.notify': returns(null), shipParcel: returns('t-9') },
    });
    const run = await order.run({ orderId: 'o9', amount: 20 });
    expect(run.status).toBe('completed');
    expect(run.result).toEqual({ paymentId: 'p-9', tracking: 't-9', mail: 'mail-o9' });
    expect(run.callsOf('workflows.charge').map((c) => c.args)).toEqual([[{ orderId: 'o9', amount: 20 }]]);
    expect(run.callsOf('workflows.notify').map((c) => c.args)).toEqual([[{ orderId: 'o9', text: 'shipped as t-9' }]]);
  });

  it('a scripted failure fails the child: the parent catches CR040 with the script type', async () => {
    const order = testWorkflow('examples/children/children.workflow', {
      tasks: { 'workflows.charge': fails('declined', { type: 'CR007' }), 'workflows.notify': returns(null), shipParcel: returns('t') },
    });
    const run = await order.run({ orderId: 'o8', amount: 20 });
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'CR017', message: 'order o8 not paid (CR007)' });
  });
});
