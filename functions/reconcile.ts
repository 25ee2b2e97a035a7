/**
 * The reconciler: a scheduled Lambda (every minute, cdk/engine.ts) with two jobs.
 *
 * 1. The sweep (`sweepParked`): wake-ups due more than 15 minutes ahead are parked in the sparse
 *    `byPark` index instead of travelling as SQS messages re-sent every 15 minutes (adapters/aws/
 *    wake.ts). Each run reads every shard of the index from its high-water mark up to
 *    `SWEEP_AHEAD_MS` (14 minutes) ahead, claims what it read by moving the mark (a conditional
 *    write per page of 100, so overlapping runs never both send one) and sends it in batches of ten,
 *    delayed until due. Per long timer: an index entry written and removed, a tenth of a
 *    SendMessageBatch and a share of one query; per run: a read of the marks and 8 queries.
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
import middy from '@middy/core';
import { ENGINE_METRICS } from './metric-names.ts';
import { observability, tally } from './observability.ts';
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
  /** Wake-ups read, claimed and sent together (default 100). */
  pageSize?: number;
  /** How long a run may go on sweeping full pages (default 30 s; the function's timeout is 60 s). */
  budgetMs?: number;
  now?: () => Date;
}

export interface SweepReport {
  /** Parked wake-ups due within the horizon that this run read. */
  due: number;
  /** Claimed by this run and sent. */
  sent: number;
  /** Read but claimed by another run first (an overlapping invocation): not sent here. */
  skipped: number;
  /** Claimed but their send failed: the repair re-sends them once overdue by the grace. */
  failed: number;
  /** The run stopped at its time budget with more to read: the next run goes on from the marks. */
  truncated: boolean;
  /** The instances whose wake-up was sent (the repair skips them in the same run). */
  instanceIds: string[];
}

/**
 * One sweep of the parked wake-ups (adapters/aws/wake.ts): each `byPark` shard is read from its
 * high-water mark to now + `aheadMs`, a page at a time; a page is claimed by moving the mark to its
 * last key (a conditional write on the small state item) and then sent in batches of ten, each
 * delayed until due. Claim first, send second: overlapping runs never both send a page. The price of
 * that order: a run that dies between its claim and its send leaves those wake-ups to the repair,
 * which re-sends them once they are overdue by the grace (they stay in `byDue`).
 *
 * A mark only moves forward and entries are parked only more than 15 minutes ahead, so every parked
 * wake-up is read by exactly one claimed page, however many runs fail or overlap; a run that missed
 * its minute (or a stopped schedule) leaves a wider window to the next one, which sends the overdue
 * ones at once.
 */
export async function sweepParked(wakes: WakePort, opts: SweepOptions = {}): Promise<SweepReport> {
  const nowMs = (opts.now ?? (() => new Date()))().getTime();
  const before = new Date(nowMs + (opts.aheadMs ?? SWEEP_AHEAD_MS)).toISOString();
  const pageSize = opts.pageSize ?? SWEEP_PAGE;
  const until = Date.now() + (opts.budgetMs ?? SWEEP_BUDGET_MS);
  const report: SweepReport = { due: 0, sent: 0, skipped: 0, failed: 0, truncated: false, instanceIds: [] };
  const marks = await wakes.store.sweepMarks();
  // The shards side by side: each has its own mark, so they never contend.
  await Promise.all(
    marks.map(async (mark, shard) => {
      let from = mark;
      for (;;) {
        if (Date.now() > until) {
          report.truncated = true;
          return;
        }
        const page = await wakes.store.parkedWakes(shard, from, before, pageSize);
        if (page.length === 0) return;
        report.due += page.length;
        const to = page[page.length - 1]!.key;
        if (!(await wakes.store.claimSweep(shard, from, to))) {
          report.skipped += page.length;
          return; // another run holds this shard: it sends the rest
        }
        try {
          await wakes.sender.sendWakes(page.map((p) => ({ instanceId: p.instanceId, wake: { id: p.wake.id, at: p.wake.at } })));
          report.sent += page.length;
          for (const p of page) report.instanceIds.push(p.instanceId);
        } catch (e) {
          report.failed += page.length;
          log('warn', 'sweep: could not send claimed wake-ups; the repair re-sends them once overdue', { shard, count: page.length, error: String(e) });
        }
        from = to;
        if (page.length < pageSize) return;
      }
    }),
  );
  return report;
}

/** Wake-ups per page of a sweep: read in one query, claimed in one write, sent in ten batches. */
const SWEEP_PAGE = 100;
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

async function run(): Promise<ReconcileReport & { sweep: SweepReport }> {
  const rt = runtime();
  const sweep = await sweepParked(rt.deps.wakes);
  if (sweep.due > 0) log('info', 'sweep: sent parked wake-ups coming due', { event: 'sweep', outcome: 'ok', ...sweep, instanceIds: sweep.instanceIds.slice(0, 20) });
  const report = await reconcile(rt.deps.wakes, { graceMs: rt.config.reconcileGraceMs, skip: new Set(sweep.instanceIds) });
  // Metrics (written as an embedded-metric-format line when the run ends): CloudWatch graphs and
  // alarms on the repairs (cdk/observability.ts alarms on RepairedWakeups).
  tally.countEngine(ENGINE_METRICS.overdueWakeups, report.overdue);
  tally.countEngine(ENGINE_METRICS.repairedWakeups, report.resent);
  log(report.overdue > 0 ? 'warn' : 'info', report.overdue > 0 ? 'reconcile: re-sent overdue wake-ups' : 'reconcile: nothing overdue', {
    event: 'reconcile',
    outcome: report.failed > 0 ? 'partly-failed' : 'ok',
    ...report,
  });
  return { ...report, sweep: { ...sweep, instanceIds: sweep.instanceIds.slice(0, 20) } };
}

export const handler = middy(run).use(observability());
