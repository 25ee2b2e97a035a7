/**
 * `currant worker --tasks <module> [--db]`: keep every unfinished instance in a database moving
 * (tasks re-sent, timers re-armed, due timers fired, signals and cancels from other processes
 * picked up) until Ctrl-C or SIGTERM, then shut down cleanly: stop polling, close the engine (no
 * new work starts; the database is closed after the current transitions), exit 0.
 *
 * It takes the instances that are unfinished when it starts (typically left by a `run` that was
 * interrupted or killed). Instances started later belong to the `run` that started them.
 *
 *   $ currant worker --tasks examples/order/tasks.ts
 *   worker: 2 unfinished instances in .currant/currant.db (Ctrl-C to stop)
 */
import { createEngine } from '../../adapters/embedded/index.ts';
import type { StepLog } from '../../runtime/index.ts';
import { EXIT, type ExitCode } from '../exit.ts';
import { DEFAULT_DB, dbPathForWrite, output } from '../io.ts';
import { formatStep } from '../render.ts';
import { loadTasks } from './run.ts';
import { ExternalWatch, stepKey } from './shared.ts';

const POLL_MS = 500;

export async function workerCommand(opts: { tasks: string; db?: string }): Promise<ExitCode> {
  const tasks = await loadTasks(opts.tasks);
  const out = output(process.stdout);
  const printed = new Set<string>();
  const print = (id: string, step: StepLog) => {
    const key = stepKey(id, step);
    if (printed.has(key)) return;
    printed.add(key);
    out.line(`${out.c.dim(id)} ${formatStep(step, out)}`);
  };
  const engine = await createEngine({ dbPath: dbPathForWrite(opts.db), tasks, onStep: (i, s) => print(i.id, s) });
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const watch = new ExternalWatch(engine, (i) => i.steps.forEach((s) => print(i.id, s)));
  // Steps already in the log were printed by whoever made them; only new ones are printed here.
  for (const id of engine.store.unfinished()) {
    const i = await engine.store.load(id);
    if (!i) continue;
    for (const s of i.steps) printed.add(stepKey(id, s));
    watch.add(i);
  }
  const counts = await engine.resumeAll();
  out.line(
    `worker: ${counts.instances} unfinished instance${counts.instances === 1 ? '' : 's'} in ${opts.db ?? DEFAULT_DB}` +
      ` (${counts.tasks} task${counts.tasks === 1 ? '' : 's'} re-sent, ${counts.timers} timer${counts.timers === 1 ? '' : 's'} re-armed; Ctrl-C to stop)`,
  );
  watch.start(POLL_MS);
  const signal = await stopped;
  out.line(`worker: ${signal}, shutting down`);
  watch.stop();
  await engine.close();
  return EXIT.OK;
}
