/**
 * `currant/testing`: run a workflow in a test — tasks as functions or scripted outcomes, a clock
 * that skips ahead (a 30-day sleep takes milliseconds), signals and cancellation at chosen points,
 * and assertions on the result, the status, the task calls and the step log. See testing/README.md.
 *
 *   import { testWorkflow, returns, fails } from 'currant/testing';
 *
 *   const wf = testWorkflow('workflows/order.workflow', {
 *     tasks: { chargeCard: returns({ success: true, paymentId: 'p-1' }), shipOrder: [fails('down'), returns({ success: true, trackingId: 'T-1' })] },
 *   });
 *   const run = await wf.run({ orderId: 'o-1', amount: 42 });
 *   expect(run.result).toBe('T-1');
 *   expect(run.callsOf('shipOrder')).toHaveLength(2);
 */
export { testWorkflow, TestRun, DEFAULT_START, type TestWorkflow, type TestWorkflowOptions, type TaskCall, type FinishOptions } from './harness.ts';
export { returns, fails, timesOut, type Outcome, type TaskBehaviour, type TaskStep } from './scripts.ts';
export { TaskError, type TaskContext } from '../sdk/node/core.ts';
export type { InstanceStatus, StepLog, Value, WorkflowError } from '../runtime/types.ts';
export type { InstanceView } from '../runtime/view.ts';
