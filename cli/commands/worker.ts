/**
 * `currant worker --tasks <module> [--db]`: keep every unfinished instance in a database moving
 * (tasks re-sent, timers re-armed, due timers fired) until Ctrl-C or SIGTERM, then shut down
 * cleanly: stop taking work, let the engine close the database, exit 0.
 *
 *   $ currant worker --tasks examples/order/tasks.ts
 *   worker: 2 unfinished instances in .currant/currant.db (Ctrl-C to stop)
 */
import { createEngine } from '../../adapters/embedded/index.ts';
import { EXIT, type ExitCode } from '../exit.ts';
import { DEFAULT_DB, dbPathForWrite, output } from '../io.ts';
import { formatStep } from '../render.ts';
import { loadTasks } from './run.ts';

export async function workerCommand(opts: { tasks: string; db?: string }): Promise<ExitCode> {
  const tasks = await loadTasks(opts.tasks);
  const out = output(process.stdout);
  const engine = await createEngine({
    dbPath: dbPathForWrite(opts.db),
    tasks,
    onStep: (instance, step) => out.line(`${out.c.dim(instance.id)} ${formatStep(step, out)}`),
  });
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const resumed = await engine.resumeAll();
  const count = Array.isArray(resumed) ? resumed.length : typeof resumed === 'number' ? resumed : undefined;
  out.line(`worker: ${count === undefined ? 'resumed' : `${count} unfinished instance${count === 1 ? '' : 's'}`} in ${opts.db ?? DEFAULT_DB} (Ctrl-C to stop)`);
  const signal = await stopped;
  out.line(`worker: ${signal}, shutting down`);
  await engine.close();
  return EXIT.OK;
}
