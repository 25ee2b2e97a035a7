/**
 * The reconciler: a scheduled Lambda (every minute, cdk/engine.ts) that repairs instances whose
 * wake-up message was lost. Guarantee (docs/operations.md): a waiting instance whose next timer —
 * a sleep, a signal timeout, a retry, or a task attempt's deadline — is overdue by more than the
 * grace period (CURRANT_RECONCILE_GRACE_SECONDS, default 300) is repaired at the next run.
 *
 * Why this is enough: every timer of an instance is covered by its one wake-up (adapters/aws/
 * wake.ts), the item records that wake-up's due time (`wakeAt`), and every outstanding task attempt
 * has a timeout timer. So whatever vanished — a wake-up that went to the event DLQ after five
 * throttled deliveries, a task message lost or dead-lettered, a result that never came — the
 * instance's `wakeAt` passes and stays passed. The reconciler asks the sparse `byDue` index for
 * wake-ups due before now − grace and sends each one again, as it is (same id), marked `repair`:
 * the step function then fires the due timers (a lost attempt counts as timed out and its retry
 * policy runs) and re-sends the outstanding attempts. A repair of a wake-up that was only late is
 * harmless: the first of the two copies to arrive re-arms with a new id, the other is stale.
 *
 *   $ aws lambda invoke --function-name <Reconcile function> out.json && cat out.json
 *   {"overdue":1,"resent":1,"failed":0,"truncated":false,"oldestOverdueMs":412345}
 */
import middy from '@middy/core';
import { ENGINE_METRICS } from './metric-names.ts';
import { observability, tally } from './observability.ts';
import { log, runtime } from './wiring.ts';
import type { WakePort } from '../adapters/aws/wake.ts';

/** Wake-ups re-sent per run at most; more are left for the next run (the report says `truncated`). */
export const RECONCILE_LIMIT = 5_000;
/** SendMessage calls in flight at once. */
const SEND_CONCURRENCY = 16;

export interface ReconcileOptions {
  /** How overdue a wake-up must be before it counts as lost. */
  graceMs: number;
  limit?: number;
  now?: () => Date;
}

export interface ReconcileReport {
  /** Overdue wake-ups found in the index. */
  overdue: number;
  resent: number;
  /** Sends that failed (retried at the next run: the index still holds them). */
  failed: number;
  /** More were overdue than `limit`. */
  truncated: boolean;
  /** How late the most overdue one was, in ms. */
  oldestOverdueMs?: number;
  /** The first few instances repaired (for the log line). */
  instanceIds: string[];
}

/** One reconciler run: find overdue wake-ups, send each again as a repair. */
export async function reconcile(wakes: WakePort, opts: ReconcileOptions): Promise<ReconcileReport> {
  const nowMs = (opts.now ?? (() => new Date()))().getTime();
  const limit = opts.limit ?? RECONCILE_LIMIT;
  const cutoff = new Date(nowMs - opts.graceMs).toISOString();
  const found = await wakes.store.overdueWakes(cutoff, limit + 1);
  const truncated = found.length > limit;
  const todo = found.slice(0, limit);
  const report: ReconcileReport = { overdue: todo.length, resent: 0, failed: 0, truncated, instanceIds: todo.slice(0, 20).map((f) => f.instanceId) };
  for (const f of todo) {
    const late = nowMs - Date.parse(f.wake.at);
    if (report.oldestOverdueMs === undefined || late > report.oldestOverdueMs) report.oldestOverdueMs = late;
  }
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const f = todo[next++]!;
      try {
        await wakes.sender.sendWake(f.instanceId, f.wake, { repair: true });
        report.resent++;
      } catch (e) {
        report.failed++;
        log('warn', 'reconcile: could not re-send a wake-up (the next run retries it)', { instanceId: f.instanceId, error: String(e) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, todo.length) }, worker));
  return report;
}

async function run(): Promise<ReconcileReport> {
  const rt = runtime();
  const report = await reconcile(rt.deps.wakes, { graceMs: rt.config.reconcileGraceMs });
  // Metrics (written as an embedded-metric-format line when the run ends): CloudWatch graphs and
  // alarms on the repairs (cdk/observability.ts alarms on RepairedWakeups).
  tally.countEngine(ENGINE_METRICS.overdueWakeups, report.overdue);
  tally.countEngine(ENGINE_METRICS.repairedWakeups, report.resent);
  log(report.overdue > 0 ? 'warn' : 'info', report.overdue > 0 ? 'reconcile: re-sent overdue wake-ups' : 'reconcile: nothing overdue', {
    event: 'reconcile',
    outcome: report.failed > 0 ? 'partly-failed' : 'ok',
    ...report,
  });
  return report;
}

export const handler = middy(run).use(observability());
