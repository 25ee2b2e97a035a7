/**
 * One wake-up message per instance instead of one SQS message per timer. Pure.
 *
 * The runtime gives every task attempt a timeout timer (and retries, sleeps and signal waits their
 * own timers). Sent one by one, each costs a SendMessage, a delivery (receive + delete), a Lambda
 * invocation and a read — about 30% of an await's price — although almost all of them arrive after
 * their task finished and do nothing. Instead the instance item records the one wake-up in flight
 * (`wakeId`, `wakeAt`), and a transition sends a new wake-up only when its earliest pending timer is
 * earlier than that (`planWake`). When a wake-up arrives the step function fires the due timers
 * through the runtime (which still decides everything about them) and re-arms the wake-up for the
 * earliest timer left. A sequential chain of tasks with 5-minute timeouts thus sends one wake-up
 * per 5 minutes per instance, not one per await.
 *
 *   planWake({ id: 'w1', at: '…T10:05' }, { t: { fireAt: '…T10:07', … } }, uuid) // => { wake: w1, send: false }
 *   planWake({ id: 'w1', at: '…T10:05' }, { t: { fireAt: '…T10:01', … } }, uuid) // => { wake: { id: <new>, at: '…T10:01' }, send: true }
 *
 * Safety: a wake-up message whose id is not the stored one is stale and dropped, so copies (after a
 * crash, a redelivery or a resend) die on arrival instead of multiplying; a duplicate event whose
 * resend names timers makes the dispatcher send the stored wake-up again (a crash between the save
 * and the send is repaired like any other).
 */
import { randomBytes } from 'node:crypto';
import type { Instance, PendingTimer } from '../../runtime/index.ts';

/** A fresh wake-up id: 72 random bits, 12 characters (short: it is stored on every instance item). */
export function newWakeId(): string {
  return randomBytes(9).toString('base64url');
}

export interface Wake {
  id: string;
  /** ISO time the wake-up is due (the earliest pending timer's fireAt when it was planned). */
  at: string;
}

/**
 * An instance as the AWS adapter carries it: the runtime's fields plus the wake-up in flight, and
 * the key of the blob its document is stored in when too large for the item (store.ts).
 */
export type AwsInstance = Instance & { wake?: Wake; docRef?: string };

/**
 * The wake-up port: what the wake-up path (functions/step.ts `processWake`) and the reconciler
 * (functions/reconcile.ts) need beyond the runtime's `Store` and `Dispatcher`. `DynamoStore`
 * implements the store half, `SqsDispatcher` the sender; tests give in-memory ones.
 */
export interface WakeStore {
  /** Replaces (or removes) the wake-up in flight; conditional on the version, which it bumps (VersionConflictError). */
  setWake(instance: AwsInstance, expectedVersion: number, wake: Wake | undefined): Promise<void>;
  /** Unfinished instances whose wake-up is due before `beforeIso`, earliest first per shard, at most `limit`. */
  overdueWakes(beforeIso: string, limit: number): Promise<{ instanceId: string; wake: Wake }[]>;
}
export interface WakeSender {
  /** Sends the wake-up message (delayed until `wake.at`, at most SQS's 15 minutes). `repair`: see WakeMessage. */
  sendWake(instanceId: string, wake: Wake, opts?: { repair?: boolean }): Promise<void>;
}
export interface WakePort {
  store: WakeStore;
  sender: WakeSender;
}

/** The earliest `fireAt` among the timers, or undefined when there are none. */
export function earliestFireAt(timers: Record<string, PendingTimer>): string | undefined {
  let best: string | undefined;
  let bestMs = Infinity;
  for (const t of Object.values(timers)) {
    const ms = Date.parse(t.fireAt);
    if (ms < bestMs) {
      bestMs = ms;
      best = t.fireAt;
    }
  }
  return best;
}

/**
 * What a save must do about the wake-up: keep the one in flight when it comes no later than the
 * earliest pending timer (or when there are no timers), else plan a new one to send after the save.
 */
export function planWake(current: Wake | undefined, timers: Record<string, PendingTimer>, newId: () => string): { wake: Wake | undefined; send: boolean } {
  const earliest = earliestFireAt(timers);
  if (earliest === undefined) return { wake: current, send: false };
  if (current && Date.parse(current.at) <= Date.parse(earliest)) return { wake: current, send: false };
  return { wake: { id: newId(), at: earliest }, send: true };
}

/**
 * What the store decided for an instance object it just wrote, read by the dispatcher that gets the
 * same object next (the runtime's driver passes the saved object to `dispatch`). A WeakMap, so the
 * note never travels into JSON or into the next transition's copy.
 */
export const wakePlans = new WeakMap<object, { send: boolean }>();

/** Timers that are due at `nowMs`, earliest first. */
export function dueTimers(timers: Record<string, PendingTimer>, nowMs: number): string[] {
  return Object.entries(timers)
    .filter(([, t]) => Date.parse(t.fireAt) <= nowMs)
    .sort(([, a], [, b]) => Date.parse(a.fireAt) - Date.parse(b.fireAt))
    .map(([id]) => id);
}
