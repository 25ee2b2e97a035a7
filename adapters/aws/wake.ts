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
 *
 * Long timers are parked, not hopped. SQS holds a message back at most 15 minutes, so a wake-up
 * due later than that (`DIRECT_WAKE_MS`) is not sent at all: the save records it with `parkAt`
 * (`<due time>#<instance id>`: unique, in time order), which puts the item in the sparse `byPark`
 * index (schema.ts). The reconciler (functions/reconcile.ts, every minute) reads each shard of that
 * index from the shard's high-water mark up to now + `SWEEP_AHEAD_MS`, claims the page it read by
 * moving the mark (one conditional write on a small state item, per page, not per timer) and then
 * sends the page's wake-ups in batches, each delayed until due. A 30-day sleep thus costs an index
 * entry written and removed and a tenth of a SendMessageBatch, whatever the instance's size, where
 * hopping cost a send, a receive, a delete and a Lambda invocation every 15 minutes (~2,900 of each).
 *
 *   planWake(undefined, { t: { fireAt: <in 30 days> } }, uuid, now) // => { wake: { id, at, parked: true }, send: false }
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
  /**
   * Parked: no message is in flight; the item's `parkAt` holds it in the `byPark` index until the
   * reconciler's sweep sends it (it was due more than `DIRECT_WAKE_MS` ahead when planned).
   */
  parked?: true;
}

/** A wake-up due within this is sent at once as a delayed SQS message (SQS's longest delay, 15 minutes); a later one is parked. */
export const DIRECT_WAKE_MS = 900_000;
/**
 * The sweep sends parked wake-ups due within this (14 minutes: under SQS's longest delay, and far
 * enough ahead that the sweep, every minute by default, may fail a dozen times before one is late).
 * The reconciler's interval must stay well below it (cdk/engine.ts allows at most 10 minutes).
 */
export const SWEEP_AHEAD_MS = 14 * 60_000;

/** Whether a wake-up due at `at` is parked rather than sent when planned at `nowMs`. */
export function parks(at: string, nowMs: number): boolean {
  return Date.parse(at) - nowMs > DIRECT_WAKE_MS;
}

/** A new wake-up due at `at`: parked when it is too far ahead for an SQS delay. */
export function newWake(id: string, at: string, nowMs: number): Wake {
  return parks(at, nowMs) ? { id, at, parked: true } : { id, at };
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
  /**
   * One page of shard `shard` of the `byPark` index: parked wake-ups whose key (`parkKey`) is after
   * `after` (exclusive; from the start when undefined) and whose due time is before `beforeIso`, in
   * key order (= time order), at most `limit`.
   */
  parkedWakes(shard: number, after: string | undefined, beforeIso: string, limit: number): Promise<ParkedWake[]>;
  /** The sweep's high-water mark of each `byPark` shard (undefined: never swept). */
  sweepMarks(): Promise<(string | undefined)[]>;
  /**
   * Moves shard `shard`'s mark from `from` to `to` only if it is still `from`: claims the page up
   * to `to` for this sweep. False when another run moved it first (then it sends nothing).
   */
  claimSweep(shard: number, from: string | undefined, to: string): Promise<boolean>;
  /**
   * Parks the stored wake-up `wake` (sets `parkAt`) if it is still the stored one and not parked
   * yet: the step function does so with a wake-up message that arrives with more than
   * `DIRECT_WAKE_MS` to go (an older version's hop). False when it was stale or already parked: the
   * message is then dropped, so copies die.
   */
  park(instanceId: string, wake: Wake): Promise<boolean>;
}

/** A parked wake-up as `byPark` lists it; `key` is its `parkAt`. */
export interface ParkedWake {
  instanceId: string;
  wake: Wake;
  key: string;
}

/**
 * The `parkAt` of a parked wake-up: its due time, then the instance id. Unique and in time order, so
 * a sweep can resume exactly after the last key it claimed. (Instance ids use `[A-Za-z0-9._:@-]`,
 * all above the space that `parkedWakes` appends to a mark to make it exclusive.)
 */
export function parkKey(instanceId: string, at: string): string {
  return `${at}#${instanceId}`;
}
export interface WakeSender {
  /** Sends the wake-up message (delayed until `wake.at`, at most SQS's 15 minutes). `repair`: see WakeMessage. */
  sendWake(instanceId: string, wake: Wake, opts?: { repair?: boolean }): Promise<void>;
  /** Sends several wake-ups (the sweep's page) in SendMessageBatch calls of ten; throws if any is refused. */
  sendWakes(wakes: { instanceId: string; wake: Wake }[]): Promise<void>;
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
 * What a save must do about the wake-up: keep the one in flight (or parked) when it comes no later
 * than the earliest pending timer (or when there are no timers), else plan a new one (`changed`):
 * sent after the save when it is due within `DIRECT_WAKE_MS` (`send`), parked otherwise.
 */
export function planWake(
  current: Wake | undefined,
  timers: Record<string, PendingTimer>,
  newId: () => string,
  nowMs: number,
): { wake: Wake | undefined; send: boolean; changed: boolean } {
  const earliest = earliestFireAt(timers);
  if (earliest === undefined) return { wake: current, send: false, changed: false };
  if (current && Date.parse(current.at) <= Date.parse(earliest)) return { wake: current, send: false, changed: false };
  const wake = newWake(newId(), earliest, nowMs);
  return { wake, send: !wake.parked, changed: true };
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
