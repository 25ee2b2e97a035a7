/**
 * Retry math: the delay before the next attempt of a task, from its policy.
 *
 *   backoffDelay({ retries: 3, backoffMs: 1000, backoffRate: 2, maxBackoffMs: 5000, timeoutMs: 1 }, 1) // 1000
 *   // attempt 2 → 2000, attempt 3 → 4000, attempt 4 → 5000 (capped)
 */
import type { TaskPolicy } from './types.ts';

/** Delay before the attempt after `attempt` (1-based): backoff · rate^(attempt-1), capped by maxBackoff. */
export function backoffDelay(policy: TaskPolicy, attempt: number): number {
  const raw = policy.backoffMs * Math.pow(policy.backoffRate, Math.max(0, attempt - 1));
  return Math.max(0, Math.min(policy.maxBackoffMs, Number.isFinite(raw) ? raw : policy.maxBackoffMs));
}

/** Total attempts a policy allows (the first one plus its retries). */
export function maxAttempts(policy: TaskPolicy): number {
  return policy.retries + 1;
}
