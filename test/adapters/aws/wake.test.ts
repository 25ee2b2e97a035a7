import { describe, expect, it } from 'vitest';
import { dueTimers, earliestFireAt, planWake } from '../../../adapters/aws/wake.ts';
import type { PendingTimer } from '../../../runtime/index.ts';

const timer = (fireAt: string): PendingTimer => ({ fireAt, purpose: 'taskTimeout', producedBy: 'start' });
const T = (hhmm: string) => `2026-01-01T${hhmm}:00.000Z`;
let n = 0;
const newId = () => `w${++n}`;

describe('planWake', () => {
  it('keeps the wake-up in flight when it comes no later than the earliest timer', () => {
    const w = { id: 'w0', at: T('10:05') };
    expect(planWake(w, { a: timer(T('10:07')), b: timer(T('10:05')) }, newId)).toEqual({ wake: w, send: false });
  });

  it('plans a new wake-up for an earlier timer, or when none is in flight', () => {
    const w = { id: 'w0', at: T('10:05') };
    expect(planWake(w, { a: timer(T('10:07')), b: timer(T('10:01')) }, () => 'new')).toEqual({ wake: { id: 'new', at: T('10:01') }, send: true });
    expect(planWake(undefined, { a: timer(T('10:07')) }, () => 'first')).toEqual({ wake: { id: 'first', at: T('10:07') }, send: true });
  });

  it('sends nothing without timers (a stale wake-up is dropped when it arrives)', () => {
    expect(planWake(undefined, {}, newId)).toEqual({ wake: undefined, send: false });
    const w = { id: 'w0', at: T('10:05') };
    expect(planWake(w, {}, newId)).toEqual({ wake: w, send: false });
  });

  it('covers a sequential chain: each new attempt timeout is later than the first, so one wake-up serves all', () => {
    let wake = planWake(undefined, { t1: timer(T('10:05')) }, () => 'w1');
    expect(wake.send).toBe(true);
    let sent = 1;
    for (let k = 2; k <= 30; k++) {
      wake = planWake(wake.wake, { [`t${k}`]: timer(`2026-01-01T10:05:${String(k).padStart(2, '0')}.000Z`) }, newId);
      if (wake.send) sent++;
    }
    expect(sent).toBe(1);
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
