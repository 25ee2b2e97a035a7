import { describe, expect, it } from 'vitest';
import { delaySeconds, MAX_DELAY_SECONDS, parseEventMessage, taskMessage, timerMessage } from '../../../adapters/aws/messages.ts';

describe('task and timer messages', () => {
  it('builds the currant.task.v1 message with replyTo', () => {
    const m = taskMessage({ type: 'sendTask', instanceId: 'o1', taskId: 'n14.s1', task: 'chargeCard', args: ['o1', 5], attempt: 2, timeoutMs: 30000 }, 'https://q/events');
    expect(m).toEqual({ protocol: 'currant.task.v1', instanceId: 'o1', taskId: 'n14.s1', task: 'chargeCard', args: ['o1', 5], attempt: 2, timeoutMs: 30000, replyTo: 'https://q/events' });
  });

  it('builds timer messages that parse back to timerFired events', () => {
    const t = timerMessage({ type: 'scheduleTimer', instanceId: 'o1', timerId: 'n20.s2', fireAt: '2027-01-01T00:00:00.000Z' });
    const p = parseEventMessage(JSON.stringify(t));
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
    const p = parseEventMessage(JSON.stringify({ ...result, ok: true, result: { success: true }, durationMs: 5 }));
    expect(p).toEqual({
      ok: true,
      instanceId: 'o1',
      message: expect.objectContaining({ ok: true }),
      event: { type: 'taskResult', id: 'n14.s1#1', taskId: 'n14.s1', attempt: 1, ok: true, result: { success: true } },
    });
  });

  it('maps a failed result and keeps only the error fields the runtime knows', () => {
    const p = parseEventMessage(JSON.stringify({ ...result, attempt: 2, ok: false, error: { message: 'declined', type: 'CardDeclined', retryable: false, stack: 'x' } }));
    expect(p.ok && p.event).toEqual({ type: 'taskResult', id: 'n14.s1#2', taskId: 'n14.s1', attempt: 2, ok: false, error: { message: 'declined', type: 'CardDeclined', retryable: false } });
  });

  it('parses wake-ups (no runtime event: the step function fires the due timers itself)', () => {
    const w = parseEventMessage(JSON.stringify({ type: 'wake', instanceId: 'o1', wakeId: 'w1', at: '2026-01-01T00:05:00.000Z' }));
    expect(w).toEqual({ ok: true, instanceId: 'o1', message: { type: 'wake', instanceId: 'o1', wakeId: 'w1', at: '2026-01-01T00:05:00.000Z' } });
    expect(parseEventMessage(JSON.stringify({ type: 'wake', instanceId: 'o1', at: 'x' }))).toEqual({ ok: false, problems: ['wakeId must be a non-empty string', 'at must be an ISO time'] });
  });

  it('maps signals (payload defaults to null) and cancels', () => {
    const s = parseEventMessage(JSON.stringify({ type: 'signal', instanceId: 'o1', name: 'approve', signalId: 'signal:k1' }));
    expect(s.ok && s.event).toEqual({ type: 'signal', id: 'signal:k1', name: 'approve', payload: null });
    const c = parseEventMessage(JSON.stringify({ type: 'cancel', instanceId: 'o1', reason: 'user' }));
    expect(c.ok && c.event).toEqual({ type: 'cancel', id: 'cancel', reason: 'user' });
  });

  it('lists every problem of a bad message', () => {
    expect(parseEventMessage('{')).toMatchObject({ ok: false, problems: [expect.stringMatching(/not JSON/)] });
    expect(parseEventMessage('[1]')).toEqual({ ok: false, problems: ['body is not a JSON object'] });
    expect(parseEventMessage(JSON.stringify({ type: 'nope', instanceId: 'o1' }))).toMatchObject({ ok: false, problems: [expect.stringMatching(/unknown message type "nope"/)] });
    const bad = parseEventMessage(JSON.stringify({ type: 'taskResult', protocol: 'x', attempt: 0, ok: false, error: 'boom' }));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems).toEqual([
      'instanceId must be a non-empty string',
      'protocol must be "currant.result.v1"',
      'taskId must be a non-empty string',
      'attempt must be an integer >= 1',
      'a failed result needs "error": { "message": string }',
    ]);
    expect(parseEventMessage(JSON.stringify({ ...result, ok: true }))).toMatchObject({ ok: false, problems: ['a successful result needs "result"'] });
    expect(parseEventMessage(JSON.stringify({ type: 'timer', instanceId: 'o1', timerId: 't', fireAt: 'soon' }))).toMatchObject({ ok: false, problems: ['fireAt must be an ISO time'] });
  });
});
