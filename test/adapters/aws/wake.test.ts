import { describe, expect, it } from 'vitest';
import { DIRECT_WAKE_MS, dueTimers, earliestFireAt, newWake, parks, planWake, SWEEP_AHEAD_MS } from '../../../adapters/aws/wake.ts';
import type { PendingTimer } from '../../../runtime/index.ts';

const timer = (fireAt: string): PendingTimer => ({ fireAt, purpose: 'taskTimeout', producedBy: 'start' });
const T = (hhmm: string) => `2026-01-01T${hhmm}:00.000Z`;
let n = 0;
const newId = () => `w${++n}`;

describe('planWake', () => {
  const NOW = Date.parse(T('10:00'));

  it('keeps the wake-up in flight when it comes no later than the earliest timer', () => {
    const w = { id: 'w0', at: T('10:05') };
    expect(planWake(w, { a: timer(T('10:07')), b: timer(T('10:05')) }, newId, NOW)).toEqual({ wake: w, send: false, changed: false });
  });

  it('plans a new wake-up for an earlier timer, or when none is in flight', () => {
    const w = { id: 'w0', at: T('10:05') };
    expect(planWake(w, { a: timer(T('10:07')), b: timer(T('10:01')) }, () => 'new', NOW)).toEqual({ wake: { id: 'new', at: T('10:01') }, send: true, changed: true });
    expect(planWake(undefined, { a: timer(T('10:07')) }, () => 'first', NOW)).toEqual({ wake: { id: 'first', at: T('10:07') }, send: true, changed: true });
  });

  it('sends nothing without timers (a stale wake-up is dropped when it arrives)', () => {
    expect(planWake(undefined, {}, newId, NOW)).toEqual({ wake: undefined, send: false, changed: false });
    const w = { id: 'w0', at: T('10:05') };
    expect(planWake(w, {}, newId, NOW)).toEqual({ wake: w, send: false, changed: false });
  });

  it('parks a wake-up due beyond SQS\'s 15-minute delay instead of sending it; sends one due within it', () => {
    const in30days = '2026-01-31T10:00:00.000Z';
    expect(planWake(undefined, { s: timer(in30days) }, () => 'far', NOW)).toEqual({ wake: { id: 'far', at: in30days, parked: true }, send: false, changed: true });
    expect(planWake(undefined, { s: timer(T('10:15')) }, () => 'edge', NOW)).toEqual({ wake: { id: 'edge', at: T('10:15') }, send: true, changed: true });
    expect(planWake(undefined, { s: timer('2026-01-01T10:15:00.001Z') }, () => 'past', NOW).wake).toMatchObject({ parked: true });
    // A parked wake-up is kept for later timers, and replaced (sent) for an earlier, near one.
    const parked = { id: 'p', at: in30days, parked: true as const };
    expect(planWake(parked, { s: timer(in30days), t: timer('2026-02-02T00:00:00.000Z') }, newId, NOW)).toEqual({ wake: parked, send: false, changed: false });
    expect(planWake(parked, { s: timer(in30days), t: timer(T('10:05')) }, () => 'near', NOW)).toEqual({ wake: { id: 'near', at: T('10:05') }, send: true, changed: true });
  });

  it('covers a sequential chain: each new attempt timeout is later than the first, so one wake-up serves all', () => {
    let wake = planWake(undefined, { t1: timer(T('10:05')) }, () => 'w1', NOW);
    expect(wake.send).toBe(true);
    let sent = 1;
    for (let k = 2; k <= 30; k++) {
      wake = planWake(wake.wake, { [`t${k}`]: timer(`2026-01-01T10:05:${String(k).padStart(2, '0')}.000Z`) }, newId, NOW);
      if (wake.send) sent++;
    }
    expect(sent).toBe(1);
  });
});

describe('parks and newWake', () => {
  it('park exactly the wake-ups more than DIRECT_WAKE_MS ahead', () => {
    const now = Date.parse(T('10:00'));
    expect(DIRECT_WAKE_MS).toBe(900_000);
    expect(SWEEP_AHEAD_MS).toBeLessThan(DIRECT_WAKE_MS);
    expect(parks(T('10:15'), now)).toBe(false);
    expect(parks(T('10:16'), now)).toBe(true);
    expect(newWake('a', T('10:16'), now)).toEqual({ id: 'a', at: T('10:16'), parked: true });
    expect(newWake('b', T('09:59'), now)).toEqual({ id: 'b', at: T('09:59') });
  });
});

describe('earliestFireAt and dueTimers', () => {
  it('find the earliest timer and the due ones in time order', () => {
    const timers = { late: timer(T('10:09')), early: timer(T('10:01')), mid: timer(T('10:03')) };
    expect(earliestFireAt(timers)).toBe(T('10:01'));
    expect(earliestFireAt({})).toBeUndefined();
    expect(dueTimers(timers, Date.parse(T('10:03')))).toEqual(['early', 'mid']);
    expect(dueTimers(timers, Date.parse(T('09:00')))).toEqual([]);
  });
});
