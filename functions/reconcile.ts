/**
 * The reconciler: a scheduled Lambda (every minute, cdk/engine.ts) with two jobs.
 *
 * 1. The sweep (`sweepParked`): wake-ups due more than 15 minutes ahead are parked in the sparse
 *    `byPark` index instead of travelling as SQS messages re-sent every 15 minutes (adapters/aws/
 *    wake.ts). Each run takes the parked wake-ups due within `SWEEP_AHEAD_MS` (14 minutes) out of the
 *    index — a conditional write, so two overlapping runs never both send one — and sends each,
 *    delayed until due. Per long timer: one index entry, one conditional write, one message.
 *
 * 2. The repair (`reconcile`): instances whose wake-up message was lost. Guarantee
 *    (docs/operations.md): a waiting instance whose next timer —
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
import { log, runtime } from './wiring.ts';
import { SWEEP_AHEAD_MS, type WakePort } from '../adapters/aws/wake.ts';

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

export interface SweepOptions {
  /** Parked wake-ups due before now + this are sent (default SWEEP_AHEAD_MS). */
  aheadMs?: number;
  limit?: number;
  now?: () => Date;
}

export interface SweepReport {
  /** Parked wake-ups due within the horizon found in the index. */
  due: number;
  /** Taken out of the index and sent. */
  sent: number;
  /** Already taken (another run, a stale index read) or replaced: nothing sent. */
  skipped: number;
  /** Sends that failed (put back into the index for the next run, or left to the repair). */
  failed: number;
  /** More were due than `limit`: the next run takes the rest. */
  truncated: boolean;
  /** The instances whose wake-up was sent (the repair skips them in the same run). */
  instanceIds: string[];
}

/**
 * One sweep: the parked wake-ups due within the horizon, each taken out of `byPark` (conditional)
 * and then sent, delayed until due. Take-out first, so that overlapping runs or a stale index read
 * never send one twice; if the send then fails the wake-up is parked again (and if even that fails,
 * it stays in `byDue` and the repair re-sends it once it is overdue by the grace).
 */
export async function sweepParked(wakes: WakePort, opts: SweepOptions = {}): Promise<SweepReport> {
  const nowMs = (opts.now ?? (() => new Date()))().getTime();
  const limit = opts.limit ?? RECONCILE_LIMIT;
  const found = await wakes.store.parkedWakes(new Date(nowMs + (opts.aheadMs ?? SWEEP_AHEAD_MS)).toISOString(), limit + 1);
  const todo = found.slice(0, limit);
  const report: SweepReport = { due: todo.length, sent: 0, skipped: 0, failed: 0, truncated: found.length > limit, instanceIds: [] };
  await inParallel(todo, async (f) => {
    if (!(await wakes.store.unpark(f.instanceId, f.wake))) {
      report.skipped++;
      return;
    }
    const wake = { id: f.wake.id, at: f.wake.at };
    try {
      await wakes.sender.sendWake(f.instanceId, wake);
      report.sent++;
      report.instanceIds.push(f.instanceId);
    } catch (e) {
      report.failed++;
      const parkedAgain = await wakes.store.park(f.instanceId, wake).catch(() => false);
      log('warn', 'sweep: could not send a parked wake-up', { instanceId: f.instanceId, parkedAgain, error: String(e) });
    }
  });
  return report;
}

/**
 * Sweeps page after page while a page comes back full, for at most `budgetMs` (a burst of wake-ups
 * due together, e.g. a million instances started in the same minute, is spread over the 14 minutes
 * of look-ahead and over later runs instead of ending a run at the first 5,000).
 */
export async function sweepAll(wakes: WakePort, opts: SweepOptions & { budgetMs?: number } = {}): Promise<SweepReport> {
  const t0 = Date.now();
  const total: SweepReport = { due: 0, sent: 0, skipped: 0, failed: 0, truncated: false, instanceIds: [] };
  for (;;) {
    const r = await sweepParked(wakes, opts);
    total.due += r.due;
    total.sent += r.sent;
    total.skipped += r.skipped;
    total.failed += r.failed;
    total.instanceIds.push(...r.instanceIds);
    total.truncated = r.truncated;
    // A page of nothing but skips (a stale index still showing taken entries) would repeat itself.
    if (!r.truncated || r.sent === 0 || Date.now() - t0 > (opts.budgetMs ?? SWEEP_BUDGET_MS)) return total;
  }
}

/** How long one run may keep sweeping full pages (the function's timeout is 60 s; the repair runs after). */
const SWEEP_BUDGET_MS = 30_000;

/** Runs `each` over `items`, SEND_CONCURRENCY at a time. */
async function inParallel<T>(items: T[], each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await each(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, items.length) }, worker));
}

/** One reconciler run: find overdue wake-ups, send each again as a repair. */
export async function reconcile(wakes: WakePort, opts: ReconcileOptions & { skip?: ReadonlySet<string> }): Promise<ReconcileReport> {
  const nowMs = (opts.now ?? (() => new Date()))().getTime();
  const limit = opts.limit ?? RECONCILE_LIMIT;
  const cutoff = new Date(nowMs - opts.graceMs).toISOString();
  // `skip`: instances whose wake-up the sweep has just sent (an overdue parked one).
  const found = (await wakes.store.overdueWakes(cutoff, limit + 1)).filter((f) => !opts.skip?.has(f.instanceId));
  const truncated = found.length > limit;
  const todo = found.slice(0, limit);
  const report: ReconcileReport = { overdue: todo.length, resent: 0, failed: 0, truncated, instanceIds: todo.slice(0, 20).map((f) => f.instanceId) };
  for (const f of todo) {
    const late = nowMs - Date.parse(f.wake.at);
    if (report.oldestOverdueMs === undefined || late > report.oldestOverdueMs) report.oldestOverdueMs = late;
  }
  await inParallel(todo, async (f) => {
    try {
      await wakes.sender.sendWake(f.instanceId, { id: f.wake.id, at: f.wake.at }, { repair: true });
      report.resent++;
    } catch (e) {
      report.failed++;
      log('warn', 'reconcile: could not re-send a wake-up (the next run retries it)', { instanceId: f.instanceId, error: String(e) });
    }
  });
  return report;
}

export async function handler(): Promise<ReconcileReport & { sweep: SweepReport }> {
  const rt = runtime();
  const sweep = await sweepAll(rt.deps.wakes);
  if (sweep.due > 0) log('info', 'sweep: sent parked wake-ups coming due', { ...sweep, instanceIds: sweep.instanceIds.slice(0, 20) });
  const report = await reconcile(rt.deps.wakes, { graceMs: rt.config.reconcileGraceMs, skip: new Set(sweep.instanceIds) });
  // An embedded-metric-format line: CloudWatch graphs (and can alarm on) the repairs.
  const emf = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: 'currant', Dimensions: [[]], Metrics: [{ Name: 'OverdueWakeups', Unit: 'Count' }, { Name: 'RepairedWakeups', Unit: 'Count' }] }],
    },
    OverdueWakeups: report.overdue,
    RepairedWakeups: report.resent,
  };
  log(report.overdue > 0 ? 'warn' : 'info', report.overdue > 0 ? 'reconcile: re-sent overdue wake-ups' : 'reconcile: nothing overdue', { ...report, ...emf });
  return { ...report, sweep: { ...sweep, instanceIds: sweep.instanceIds.slice(0, 20) } };
}
