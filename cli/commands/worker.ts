/**
 * `currant worker --tasks <module> [--db] [--schedules <file>]`: keep every unfinished instance in a database moving
 * (tasks re-sent, timers re-armed, due timers fired, signals and cancels from other processes
 * picked up) until Ctrl-C or SIGTERM, then shut down cleanly: stop polling, close the engine (no
 * new work starts; the database is closed after the current transitions), exit 0.
 *
 * Each instance's work runs in the one process holding its lease (adapters/embedded/lease.ts), so
 * two workers, or a worker and a `run`, never run the same attempt. The worker takes the unfinished
 * instances nobody else holds when it starts (typically left by a `run` that was interrupted or
 * killed), and later any instance whose lease runs out (its process died: at once when it was on
 * this machine, else after the lease's 15 s) or that has a timer overdue by more than
 * `--takeover-after` (default 10s) and no live holder. Instances a live `run` or another worker
 * holds are left alone; the worker takes them over only if that process stops.
 *
 *   $ currant worker --tasks examples/order/tasks.ts
 *   worker: 2 unfinished instances in .currant/currant.db (Ctrl-C to stop)
 */
import { createEngine, type Engine } from '../../adapters/embedded/index.ts';
import { workflowFilesIn } from '../deployment.ts';
import type { StepLog } from '../../runtime/index.ts';
import { isFinal, type Instance } from '../../runtime/index.ts';
import { CliError, EXIT, type ExitCode } from '../exit.ts';
import { DEFAULT_DB, dbPathForWrite, output } from '../io.ts';
import { Progress, progressEveryMs } from '../progress.ts';
import { formatStep } from '../render.ts';
import { concurrencyOption, loadTaskModules } from './run.ts';
import { announce } from './presence.ts';
import { ExternalWatch, stepKey } from './shared.ts';
import { ScheduleRunner, type FiringOutcome } from '../../adapters/embedded/schedules.ts';
import { describeWhen, schedulesFromFile } from './schedules.ts';
import type { Output } from '../io.ts';

const POLL_MS = 500;
/** How often to look for abandoned instances. */
const SWEEP_MS = 2_000;
/** Instances repaired per sweep at most (the rest at the next sweep, 2 s later). */
const SWEEP_LIMIT = 500;

export async function workerCommand(opts: { tasks: string | string[]; python?: string; db?: string; takeoverAfter?: string; schedules?: string; concurrency?: string; workflows?: string }): Promise<ExitCode> {
  const graceMs = Number(opts.takeoverAfter ?? 10_000);
  if (!Number.isInteger(graceMs) || graceMs < 0) throw new CliError(EXIT.USAGE, `--takeover-after must be a number of milliseconds, got '${opts.takeoverAfter}'`);
  const concurrency = concurrencyOption(opts.concurrency);
  // Checked before anything runs: a schedules file with a problem is exit 2, every problem listed.
  const schedules = opts.schedules === undefined ? [] : schedulesFromFile(opts.schedules);
  const deployment = opts.workflows === undefined ? undefined : workflowFilesIn(opts.workflows);
  const loaded = await loadTaskModules(opts.tasks, undefined, opts.python);
  const out = output(process.stdout);
  const printed = new Set<string>();
  const progress = new Progress(out, { withIds: true, plainEveryMs: progressEveryMs() });
  const print = (id: string, step: StepLog) => {
    const key = stepKey(id, step);
    if (printed.has(key)) return;
    printed.add(key);
    progress.line(`${out.c.dim(id)} ${formatStep(step, out)}`, id);
  };
  const dbPath = dbPathForWrite(opts.db);
  const engine = await createEngine({
    dbPath,
    tasks: loaded.tasks,
    taskProcesses: loaded.processes,
    ...(deployment ? { workflows: deployment } : {}),
    concurrency,
    onStep: (i, s) => {
      progress.update(i);
      print(i.id, s);
    },
  }).catch(async (e) => {
    await loaded.close();
    throw e;
  });
  const here = announce(dbPath, { kind: 'worker', tasks: Array.isArray(opts.tasks) ? opts.tasks : [opts.tasks], ...(opts.db ? { db: opts.db } : {}) });
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const watch = new ExternalWatch(engine, (i) => {
    progress.update(i);
    i.steps.forEach((s) => print(i.id, s));
  });
  // Steps already in the log were printed by whoever made them; only new ones are printed here.
  for (const id of engine.store.unfinished()) {
    const i = await engine.store.load(id);
    if (!i) continue;
    for (const s of i.steps) printed.add(stepKey(id, s));
    watch.add(i);
    progress.update(i);
  }
  const counts = await engine.resumeAll();
  const elsewhere = counts.leasedElsewhere > 0 ? `, ${counts.leasedElsewhere} run by another live process` : '';
  out.line(
    `worker: ${counts.instances} unfinished instance${counts.instances === 1 ? '' : 's'} in ${opts.db ?? DEFAULT_DB}` +
      ` (${counts.tasks} task${counts.tasks === 1 ? '' : 's'} re-sent, ${counts.timers} timer${counts.timers === 1 ? '' : 's'} re-armed${elsewhere}; Ctrl-C to stop)`,
  );
  watch.start(POLL_MS);
  progress.start();
  const takeover = (i: Instance) => {
    for (const s of i.steps) printed.add(stepKey(i.id, s)); // its history was printed elsewhere
    progress.line(`${out.c.dim(i.id)} worker: taking over (nobody else is running it)`, i.id);
  };
  const sweeper = setInterval(() => void sweep(engine, watch, graceMs, takeover).catch(() => {}), SWEEP_MS);
  const runner = new ScheduleRunner(engine, schedules, { onFiring: (f) => progress.line(formatFiring(f, out), f.id) });
  if (schedules.length > 0) {
    progress.line(`worker: ${schedules.length} schedule${schedules.length === 1 ? '' : 's'}: ${schedules.map((l) => `${l.schedule.name} (${describeWhen(l.schedule)})`).join(', ')}`);
    await runner.start();
  }
  const signal = await stopped;
  progress.stop();
  out.line(`worker: ${signal}, shutting down`);
  runner.stop();
  clearInterval(sweeper);
  watch.stop();
  await engine.close();
  here.release();
  return EXIT.OK;
}

/**
 * The embedded reconciler: takes over instances nobody runs. Two signs: a lease that ran out (its
 * process stopped renewing: killed, or its machine slept), and a timer overdue by more than
 * `graceMs` in an instance that has no live lease holder (a CLI `signal`/`start` armed it in a
 * process that then exited, or a database from before leases). An instance whose lease a live
 * process holds is never touched, whatever its timers say. Taking over re-dispatches the instance's
 * outstanding work here (due timers fire at once); a timer someone else fired meanwhile is a
 * duplicate and changes nothing.
 */
async function sweep(engine: Engine, watch: ExternalWatch, graceMs: number, onTakeover: (i: Instance) => void): Promise<void> {
  const cutoff = Date.now() - graceMs;
  // Index reads (SqliteStore.overdue, the leases' expiry index): a sweep costs the same with 10 or
  // 100,000 instances waiting.
  const ids = new Set([...(engine.leases?.expired(SWEEP_LIMIT) ?? []), ...engine.store.overdue(new Date(cutoff).toISOString(), SWEEP_LIMIT)]);
  for (const id of ids) {
    if (engine.leases?.holds(id)) continue; // ours already
    const instance = await engine.store.load(id);
    if (!instance || isFinal(instance.status)) continue;
    if (!(await engine.adopt(id))) continue; // a live process runs it
    if (watch.add(instance)) onTakeover(instance);
  }
}

/** One line per firing: started (and how many were missed), already started, or failed. */
function formatFiring(f: FiringOutcome, out: Output): string {
  switch (f.kind) {
    case 'started':
      return `schedule ${f.schedule}: started ${f.id}${f.missed && f.missed > 1 ? ` (the last of ${f.missed} firings missed while no worker ran)` : f.missed === 1 ? ' (missed while no worker ran)' : ''}`;
    case 'exists':
      return out.c.dim(`schedule ${f.schedule}: ${f.id} already started`);
    case 'failed':
      return out.c.red(`schedule ${f.schedule}: could not start ${f.id}: ${(f.error as Error)?.message ?? String(f.error)}`);
  }
}
