import { describe, expect, it } from 'vitest';
import { batches, plan, type Outgoing } from '../../../adapters/aws/dispatcher.ts';
import type { DispatchCommand } from '../../../runtime/index.ts';

const config = { eventQueueUrl: 'https://sqs/events', taskQueueUrls: { chargeCard: 'https://sqs/charge', shipOrder: 'https://sqs/ship' } };
const now = Date.parse('2026-01-01T00:00:00.000Z');

describe('plan', () => {
  it('sends tasks to their queue and timers to the event queue with the delay left', () => {
    const cmds: DispatchCommand[] = [
      { type: 'sendTask', instanceId: 'o1', taskId: 'n1.s1', task: 'chargeCard', args: ['o1'], attempt: 1, timeoutMs: 1000 },
      { type: 'scheduleTimer', instanceId: 'o1', timerId: 'n1.s1#1:timeout', fireAt: '2026-01-01T00:00:01.000Z' },
      { type: 'scheduleTimer', instanceId: 'o1', timerId: 'n9.s2', fireAt: '2026-03-01T00:00:00.000Z' },
      { type: 'cancelTimer', instanceId: 'o1', timerId: 'x' },
      { type: 'finished', instanceId: 'o1', status: 'completed' },
    ];
    const out = plan(cmds, config, now);
    expect(out.map((o) => [o.queueUrl, o.delaySeconds])).toEqual([
      ['https://sqs/charge', 0],
      ['https://sqs/events', 1],
      ['https://sqs/events', 900],
    ]);
    expect(JSON.parse(out[0]!.body)).toMatchObject({ protocol: 'currant.task.v1', task: 'chargeCard', replyTo: 'https://sqs/events' });
    expect(JSON.parse(out[2]!.body)).toEqual({ type: 'timer', instanceId: 'o1', timerId: 'n9.s2', fireAt: '2026-03-01T00:00:00.000Z' });
  });

  it('refuses a task that has no queue (a deployment fault)', () => {
    expect(() => plan([{ type: 'sendTask', instanceId: 'o1', taskId: 'n1.s1', task: 'nope', args: [], attempt: 1, timeoutMs: 1 }], config, now)).toThrow(
      /no queue configured for task 'nope'/,
    );
  });
});

describe('batches', () => {
  const msg = (bytes: number): Outgoing => ({ queueUrl: 'q', body: 'x'.repeat(bytes), delaySeconds: 0 });

  it('groups at most ten messages per batch', () => {
    expect(batches(Array.from({ length: 23 }, () => msg(10))).map((b) => b.length)).toEqual([10, 10, 3]);
  });

  it('starts a new batch before the total passes 256 KiB', () => {
    expect(batches([msg(100_000), msg(100_000), msg(100_000), msg(10)]).map((b) => b.length)).toEqual([2, 2]);
  });
});
