import { describe, expect, it } from 'vitest';
import { batches, plan, RESEND_GRACE_SECONDS, timerMode, type Outgoing } from '../../../adapters/aws/dispatcher.ts';
import { wakePlans } from '../../../adapters/aws/wake.ts';
import type { DispatchCommand, Instance } from '../../../runtime/index.ts';
import { fakeInstance } from '../../runtime/store-contract.ts';

const config = { eventQueueUrl: 'https://sqs/events', resultQueueUrl: 'https://sqs/results', taskQueueUrls: { chargeCard: 'https://sqs/charge', shipOrder: 'https://sqs/ship' } };
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
    expect(JSON.parse(out[0]!.body)).toMatchObject({ protocol: 'currant.task.v1', task: 'chargeCard', replyTo: 'https://sqs/results' });
    expect(JSON.parse(out[2]!.body)).toEqual({ type: 'timer', instanceId: 'o1', timerId: 'n9.s2', fireAt: '2026-03-01T00:00:00.000Z' });
  });

  it('refuses a task that has no queue (a deployment fault)', () => {
    expect(() => plan([{ type: 'sendTask', instanceId: 'o1', taskId: 'n1.s1', task: 'nope', args: [], attempt: 1, timeoutMs: 1 }], config, now)).toThrow(
      /no queue configured for task 'nope'/,
    );
  });
});

describe('timers as one wake-up per instance', () => {
  const wake = { id: 'w7', at: '2026-01-01T00:05:00.000Z' };
  const cmds: DispatchCommand[] = [
    { type: 'sendTask', instanceId: 'o1', taskId: 'n1.s2', task: 'chargeCard', args: [], attempt: 1, timeoutMs: 300000 },
    { type: 'scheduleTimer', instanceId: 'o1', timerId: 'n1.s2#1:timeout', fireAt: '2026-01-01T00:05:00.000Z' },
  ];

  it('sends the wake-up the save planned, and no message per timer', () => {
    const i = { ...fakeInstance('o1'), wake };
    wakePlans.set(i, { send: true });
    const mode = timerMode(cmds, i);
    expect(mode).toEqual({ kind: 'wake', instanceId: 'o1', send: wake });
    const out = plan(cmds, config, now, mode);
    expect(out.map((o) => [o.queueUrl, o.delaySeconds])).toEqual([
      ['https://sqs/events', 300],
      ['https://sqs/charge', 0],
    ]);
    expect(JSON.parse(out[0]!.body)).toEqual({ type: 'wake', instanceId: 'o1', wakeId: 'w7', at: wake.at });
    // The note is used once: the same object handed over again (a resend) sends the stored wake-up.
    expect(wakePlans.has(i)).toBe(false);
  });

  it('sends nothing for timers a wake-up in flight already covers', () => {
    const i = { ...fakeInstance('o1'), wake };
    wakePlans.set(i, { send: false });
    expect(plan(cmds, config, now, timerMode(cmds, i)).map((o) => o.queueUrl)).toEqual(['https://sqs/charge']);
  });

  it('sends the stored wake-up again on a resend (the original may have been lost in a crash)', () => {
    const loaded = { ...fakeInstance('o1'), wake } as Instance;
    const mode = timerMode(cmds, loaded);
    expect(mode).toEqual({ kind: 'wake', instanceId: 'o1', send: wake, graceSeconds: RESEND_GRACE_SECONDS });
    // Later than the original (which is normally in flight too), so the copy arrives to find it replaced.
    expect(plan(cmds, config, now, mode)[0]!.delaySeconds).toBe(300 + RESEND_GRACE_SECONDS);
    expect(timerMode([cmds[0]!], loaded)).toEqual({ kind: 'wake', instanceId: 'o1' });
  });

  it('sends nothing on a resend when the stored wake-up is parked (no message carries it; the byPark index holds it)', () => {
    const loaded = { ...fakeInstance('o1'), wake: { id: 'w8', at: '2026-02-01T00:00:00.000Z', parked: true as const } } as Instance;
    expect(timerMode(cmds, loaded)).toEqual({ kind: 'wake', instanceId: 'o1' });
    expect(plan(cmds, config, now, timerMode(cmds, loaded)).map((o) => o.queueUrl)).toEqual(['https://sqs/charge']);
    // A save that parked its new wake-up sends nothing either.
    const saved = { ...loaded };
    wakePlans.set(saved, { send: false });
    expect(plan(cmds, config, now, timerMode(cmds, saved)).map((o) => o.queueUrl)).toEqual(['https://sqs/charge']);
  });

  it('falls back to a message per timer for instances without a wake-up', () => {
    expect(timerMode(cmds, fakeInstance('o1'))).toEqual({ kind: 'perTimer' });
    expect(timerMode(cmds, undefined)).toEqual({ kind: 'perTimer' });
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
