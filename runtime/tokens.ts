/**
 * Attempt tokens: what lets a task report only the attempt it was sent.
 *
 * Takes an instance's secret (random, made at start, stored with the instance and never shown),
 * a task id and an attempt number; gives the attempt's token, an HMAC-SHA256 of `taskId#attempt`
 * under the secret, 128 bits in base64url:
 *
 *   attemptToken('9b1d…', 'n12.s3', 2)                 // => 'q3Zk…' (22 characters)
 *   tokenMatches('9b1d…', 'n12.s3', 2, event.token)    // => true only for that token
 *
 * The token travels in the task message and must come back with the result. A party that can put
 * messages on the result channel but was not sent the attempt (another task function, a forger)
 * cannot make it, for any attempt, past or future; derived rather than stored per attempt, so a
 * result for an attempt that is no longer outstanding can be checked too (a forged replay must
 * not make the engine resend work). Pure: HMAC is a computation, not I/O.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const TOKEN_BYTES = 16;

export function attemptToken(secret: string, taskId: string, attempt: number): string {
  return createHmac('sha256', secret).update(`${taskId}#${attempt}`).digest().subarray(0, TOKEN_BYTES).toString('base64url');
}

/** Constant-time check of a token a result carried (anything, from outside). */
export function tokenMatches(secret: string, taskId: string, attempt: number, got: unknown): boolean {
  if (typeof got !== 'string') return false;
  const want = Buffer.from(attemptToken(secret, taskId, attempt));
  const have = Buffer.from(got);
  return have.length === want.length && timingSafeEqual(have, want);
}
