import { describe, expect, it } from 'vitest';
import { backoffDelay, errorTypeOf, maxAttempts, notRetriedBecause } from '../../runtime/retry.ts';

const policy = { retries: 5, backoffMs: 1000, backoffRate: 2, maxBackoffMs: 10_000, timeoutMs: 30_000 };

describe('backoffDelay', () => {
  it('grows by the rate after each failed attempt and is capped by maxBackoff', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(policy, a))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('is constant with rate 1 and never negative or infinite', () => {
    expect([1, 2, 3].map((a) => backoffDelay({ ...policy, backoffRate: 1 }, a))).toEqual([1000, 1000, 1000]);
    expect(backoffDelay({ ...policy, backoffRate: 1e308 }, 5)).toBe(10_000);
    expect(backoffDelay({ ...policy, backoffMs: 0 }, 3)).toBe(0);
  });

  it('counts the first attempt plus the retries', () => {
    expect(maxAttempts(policy)).toBe(6);
    expect(maxAttempts({ ...policy, retries: 0 })).toBe(1);
  });
});

describe('notRetriedBecause', () => {
  it('says why a failed attempt is permanent: retryable false, nonRetryable, or not in retryOn', () => {
    expect(notRetriedBecause(policy, { message: 'x', type: 'A' })).toBeUndefined();
    expect(notRetriedBecause(policy, { message: 'x', retryable: false })).toBe('not retryable');
    const deny = { ...policy, nonRetryable: ['CardDeclined'] };
    expect(notRetriedBecause(deny, { message: 'x', type: 'CardDeclined', retryable: true })).toBe('not retried: CardDeclined is nonRetryable');
    expect(notRetriedBecause(deny, { message: 'x', type: 'Throttled' })).toBeUndefined();
    const allow = { ...policy, retryOn: ['Throttled', 'Timeout'] };
    expect(notRetriedBecause(allow, { message: 'x', type: 'Throttled' })).toBeUndefined();
    expect(notRetriedBecause(allow, { message: 'x', timedOut: true })).toBeUndefined();
    expect(notRetriedBecause(allow, { message: 'x' })).toBe('not retried: Error is not in retryOn');
    expect(notRetriedBecause({ ...policy, retryOn: [] }, { message: 'x', type: 'A' })).toBe('not retried: A is not in retryOn');
  });

  it('matches an untyped failure as Error and a timed-out one as Timeout', () => {
    expect(errorTypeOf({ message: 'x' })).toBe('Error');
    expect(errorTypeOf({ message: 'x', timedOut: true })).toBe('Timeout');
    expect(errorTypeOf({ message: 'x', type: 'Fraud' })).toBe('Fraud');
  });
});
