/**
 * `currant redrive <id> [--tasks <module>] [--db] [--json]`: resume a failed instance from the await
 * whose task failed — that task runs again as attempt 1 with a fresh retry budget, the variables as
 * they were (runtime `redriveInstance`). An instance that is not failed, or failed with a runtime
 * error in the workflow text (the text is frozen: it would fail the same way), is exit 2 with the
 * reason, unchanged.
 *
 * Without `--tasks` the redrive is saved and the task is handed to the process that runs the
 * database's instances: a running `currant worker` takes it over within its takeover delay
 * (`--takeover-after`, 10 s by default), or a later `worker` at start. With `--tasks` it runs here,
 * printing each step like `run`, and the exit code is the instance's end (0, 1, 3).
 *
 *   $ currant redrive processOrder-1a2b3c4d --tasks examples/order/tasks.ts
 */
import { randomUUID } from 'node:crypto';
import { createEngine } from '../../adapters/embedded/index.ts';
import { redriveInstance } from '../../runtime/driver.ts';
import { InstanceNotFoundError, instanceView, type StepLog } from '../../runtime/index.ts';
import { EXIT, exitForStatus, type ExitCode } from '../exit.ts';
import { dbPathExisting, output } from '../io.ts';
import { finalJson, formatFinal, formatStep } from '../render.ts';
import { loadTasks } from './run.ts';
import { applyHere, openStore } from './shared.ts';

export interface RedriveOptions {
  db?: string;
  tasks?: string;
  json?: boolean;
}

export async function redriveCommand(id: string, opts: RedriveOptions): Promise<ExitCode> {
  const dbPath = dbPathExisting(opts.db);
  const out = output(process.stdout);
  if (opts.tasks === undefined) {
    const store = openStore(dbPath);
    try {
      const r = await redriveInstance(applyHere(store), id, `cli-${randomUUID()}`);
      const pending = instanceView(r.instance).pending.tasks;
      if (opts.json) {
        out.line(JSON.stringify(instanceView(r.instance)));
        return EXIT.OK;
      }
      const what = pending.map((t) => `${t.task} (line ${t.line})`).join(', ');
      out.line(`${out.c.cyan('redriven')} ${id}: ${what} to be sent again as attempt 1`);
      out.line(out.c.dim('the process that runs this database takes it over: a running `currant worker` within its takeover delay, or run it here with --tasks <module>'));
      return EXIT.OK;
    } finally {
      store.close();
    }
  }

  const tasks = await loadTasks(opts.tasks);
  if (opts.json) console.log = console.error; // stdout carries one JSON document
  const print = (instanceId: string, step: StepLog) => {
    if (!opts.json && instanceId === id) out.line(formatStep(step, out));
  };
  const engine = await createEngine({ dbPath, tasks, onStep: (i, s) => print(i.id, s) });
  try {
    const before = await engine.store.load(id);
    if (!before) throw new InstanceNotFoundError(id);
    await engine.redrive(id, `cli-${randomUUID()}`);
    const final = await engine.waitFor(id);
    const file = (await engine.store.getDefinition(final.definitionHash))?.file;
    if (opts.json) process.stdout.write(JSON.stringify(finalJson(final)) + '\n');
    else out.line(formatFinal(final, out, file));
    return exitForStatus(final.status);
  } finally {
    await engine.close();
  }
}
