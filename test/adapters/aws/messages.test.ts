import { describe, expect, it } from 'vitest';
import { delaySeconds, MAX_DELAY_SECONDS, parseEventMessage, taskMessage, timerMessage } from '../../../adapters/aws/messages.ts';

describe('task and timer messages', () => {
  it('builds the currant.task.v1 message with replyTo', () => {
    const m = taskMessage({ type: 'sendTask', instanceId: 'o1', taskId: 'n14.s1', task: 'chargeCard', args: ['o1', 5], attempt: 2, timeoutMs: 30000 }, 'https://q/events');
    expect(m).toEqual({ protocol: 'currant.task.v1', instanceId: 'o1', taskId: 'n14.s1', task: 'chargeCard', args: ['o1', 5], attempt: 2, timeoutMs: 30000, replyTo: 'https://q/events' });
  });

  it('builds timer messages that parse back to timerFired events', () => {
    const t = timerMessage({ type: 'scheduleTimer', instanceId: 'o1', timerId: 'n20.s2', fireAt: '2027-01-01T00:00:00.000Z' });
    const p = parseEventMessage(JSON.stringify(t), 'events');
    expect(p).toMatchObject({ ok: true, instanceId: 'o1', event: { type: 'timerFired', id: 'timer:n20.s2', timerId: 'n20.s2' } });
  });

  it('delays timers by the time left, rounded up, capped at 15 minutes', () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    expect(delaySeconds('2026-01-01T00:00:00.000Z', now)).toBe(0);
    expect(delaySeconds('2025-12-31T00:00:00.000Z', now)).toBe(0);
    expect(delaySeconds('2026-01-01T00:00:00.001Z', now)).toBe(1);
    expect(delaySeconds('2026-01-01T00:01:30.000Z', now)).toBe(90);
    expect(delaySeconds('2027-01-01T00:00:00.000Z', now)).toBe(MAX_DELAY_SECONDS);
    expect(MAX_DELAY_SECONDS).toBe(900);
  });
});

describe('parseEventMessage', () => {
  const result = { protocol: 'currant.result.v1', type: 'taskResult', instanceId: 'o1', taskId: 'n14.s1', attempt: 1 };

  it('maps a successful result to a taskResult event with the runtime event id', () => {
    const p = parseEventMessage(JSON.stringify({ ...result, ok: true, result: { success: true }, durationMs: 5 }), 'results');
    expect(p).toEqual({
      ok: true,
      instanceId: 'o1',
      message: expect.objectContaining({ ok: true }),
      event: { type: 'taskResult', id: 'n14.s1#1', taskId: 'n14.s1', attempt: 1, durationMs: 5, ok: true, result: { success: true } },
    });
  });

  it('maps a failed result and keeps only the error fields the runtime knows', () => {
    const p = parseEventMessage(JSON.stringify({ ...result, attempt: 2, ok: false, error: { message: 'declined', type: 'CardDeclined', retryable: false, stack: 'x' } }), 'results');
    expect(p.ok && p.event).toEqual({ type: 'taskResult', id: 'n14.s1#2', taskId: 'n14.s1', attempt: 2, ok: false, error: { message: 'declined', type: 'CardDeclined', retryable: false } });
  });

  it('parses wake-ups (no runtime event: the step function fires the due timers itself)', () => {
    const w = parseEventMessage(JSON.stringify({ type: 'wake', instanceId: 'o1', wakeId: 'w1', at: '2026-01-01T00:05:00.000Z' }), 'events');
    expect(w).toEqual({ ok: true, instanceId: 'o1', message: { type: 'wake', instanceId: 'o1', wakeId: 'w1', at: '2026-01-01T00:05:00.000Z' } });
    expect(parseEventMessage(JSON.stringify({ type: 'wake', instanceId: 'o1', at: 'x' }), 'events')).toEqual({ ok: false, problems: ['wakeId must be a non-empty string', 'at must be an ISO time'] });
  });

  it('carries the attempt token from the task message to the runtime event', () => {
    const m = taskMessage({ type: 'sendTask', instanceId: 'o1', taskId: 'n14.s1', task: 'chargeCard', args: [], attempt: 1, timeoutMs: 1000, token: 'tok-1' }, 'https://q/results');
    expect(m.token).toBe('tok-1');
    const p = parseEventMessage(JSON.stringify({ ...result, token: 'tok-1', ok: true, result: 1 }), 'results');
    expect(p.ok && p.event).toMatchObject({ type: 'taskResult', token: 'tok-1' });
    expect(parseEventMessage(JSON.stringify({ ...result, token: 7, ok: true, result: 1 }), 'results')).toMatchObject({ ok: false, problems: [expect.stringMatching(/token must be a string/)] });
    expect(parseEventMessage(JSON.stringify({ ...result, token: 'x'.repeat(129), ok: true, result: 1 }), 'results').ok).toBe(false);
  });

  it('refuses each message type on the queue that does not carry it: signals and cancels on neither', () => {
    const signal = { type: 'signal', instanceId: 'o1', name: 'approve', payload: true, signalId: 'signal:k1' };
    const cancel = { type: 'cancel', instanceId: 'o1', reason: 'user' };
    const wake = { type: 'wake', instanceId: 'o1', wakeId: 'w1', at: '2026-01-01T00:05:00.000Z' };
    const timer = { type: 'timer', instanceId: 'o1', timerId: 't', fireAt: '2026-01-01T00:05:00.000Z' };
    const taskResult = { ...result, ok: true, result: 1 };
    for (const m of [signal, cancel, wake, timer]) {
      expect(parseEventMessage(JSON.stringify(m), 'results'), m.type).toMatchObject({ ok: false, refused: true, problems: [expect.stringMatching(/not accepted on the result queue/)] });
    }
    for (const m of [signal, cancel, taskResult]) {
      expect(parseEventMessage(JSON.stringify(m), 'events'), m.type).toMatchObject({ ok: false, refused: true, problems: [expect.stringMatching(/not accepted on the event queue/)] });
    }
    expect(parseEventMessage(JSON.stringify(taskResult), 'results').ok).toBe(true);
    expect(parseEventMessage(JSON.stringify(wake), 'events').ok).toBe(true);
  });

  it('lists every problem of a bad message', () => {
    expect(parseEventMessage('{', 'results')).toMatchObject({ ok: false, problems: [expect.stringMatching(/not JSON/)] });
    expect(parseEventMessage('[1]', 'events')).toEqual({ ok: false, problems: ['body is not a JSON object'] });
    expect(parseEventMessage(JSON.stringify({ type: 'nope', instanceId: 'o1' }), 'events')).toMatchObject({ ok: false, problems: [expect.stringMatching(/unknown message type "nope"/)] });
    const bad = parseEventMessage(JSON.stringify({ type: 'taskResult', protocol: 'x', attempt: 0, ok: false, error: 'boom' }), 'results');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems).toEqual([
      'instanceId must be a non-empty string',
      'protocol must be "currant.result.v1"',
      'taskId must be a non-empty string',
      'attempt must be an integer >= 1',
      'a failed result needs "error": { "message": string }',
    ]);
    expect(parseEventMessage(JSON.stringify({ ...result, ok: true }), 'results')).toMatchObject({ ok: false, problems: ['a successful result needs "result" (or "resultRef")'] });
    expect(parseEventMessage(JSON.stringify({ type: 'timer', instanceId: 'o1', timerId: 't', fireAt: 'soon' }), 'events')).toMatchObject({ ok: false, problems: ['fireAt must be an ISO time'] });
  });
});
