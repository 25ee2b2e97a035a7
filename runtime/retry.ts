/**
 * Retry math: the delay before the next attempt of a task, from its policy, and whether a failed
 * attempt may be retried at all (its `retryable` flag and the policy's lists of error types).
 *
 *   backoffDelay({ retries: 3, backoffMs: 1000, backoffRate: 2, maxBackoffMs: 5000, timeoutMs: 1 }, 1) // 1000
 *   // attempt 2 → 2000, attempt 3 → 4000, attempt 4 → 5000 (capped)
 *   notRetriedBecause({ ...policy, nonRetryable: ['CardDeclined'] }, { message: 'no', type: 'CardDeclined' })
 *   // => 'not retried: CardDeclined is nonRetryable'
 */
import type { TaskError, TaskPolicy } from './types.ts';

/** Delay before the attempt after `attempt` (1-based): backoff · rate^(attempt-1), capped by maxBackoff. */
export function backoffDelay(policy: TaskPolicy, attempt: number): number {
  const raw = policy.backoffMs * Math.pow(policy.backoffRate, Math.max(0, attempt - 1));
  return Math.max(0, Math.min(policy.maxBackoffMs, Number.isFinite(raw) ? raw : policy.maxBackoffMs));
}

/** Total attempts a policy allows (the first one plus its retries). */
export function maxAttempts(policy: TaskPolicy): number {
  return policy.retries + 1;
}

/**
 * The type a failed attempt is matched by in `nonRetryable` / `retryOn`: its reported `type`, else
 * `Timeout` for a timed-out attempt, else `Error` (the same name a workflow's `catch` sees).
 */
export function errorTypeOf(error: TaskError): string {
  return typeof error.type === 'string' ? error.type : error.timedOut === true ? 'Timeout' : 'Error';
}

/**
 * Why a failed attempt must not be retried whatever attempts are left, or undefined when it may be:
 * the task said `retryable: false`, or the policy lists its type in `nonRetryable`, or the policy
 * has `retryOn` and does not list it. The policy's lists win over `retryable: true`.
 */
export function notRetriedBecause(policy: TaskPolicy, error: TaskError): string | undefined {
  if (error.retryable === false) return 'not retryable';
  if (policy.nonRetryable === undefined && policy.retryOn === undefined) return undefined;
  const type = errorTypeOf(error);
  if (policy.nonRetryable?.includes(type)) return `not retried: ${type} is nonRetryable`;
  if (policy.retryOn !== undefined && !policy.retryOn.includes(type)) return `not retried: ${type} is not in retryOn`;
  return undefined;
}
