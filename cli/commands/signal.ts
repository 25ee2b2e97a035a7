/**
 * `currant signal <id> <name> [json] [--db]`: deliver a signal to an instance. The payload is
 * JSON text or `@file` (default `null`); invalid JSON, an unknown id or a finished instance is
 * exit 2 with nothing sent. A signal the workflow is not (yet) waiting for is buffered until it
 * waits. The signal is saved to the database; the process running the instance (`run` or
 * `worker`) carries out what it unblocks (see shared.ts), or the next `worker` does.
 *
 *   $ currant signal approval-1a2b3c4d approval '{"approved": true, "by": "ana"}'
 */
import { randomUUID } from 'node:crypto';
import { signalInstance } from '../../runtime/driver.ts';
import { InstanceNotFoundError, isFinal, type Value } from '../../runtime/index.ts';
import { CliError, EXIT, type ExitCode } from '../exit.ts';
import { dbPathExisting, output, readJsonArg } from '../io.ts';
import { statusColor } from '../render.ts';
import { runnerOf } from './presence.ts';
import { applyHere, openStore } from './shared.ts';

export async function signalCommand(id: string, name: string, json: string | undefined, opts: { db?: string }): Promise<ExitCode> {
  const payload = (json === undefined ? null : readJsonArg(json, 'signal payload')) as Value;
  const dbPath = dbPathExisting(opts.db);
  const store = openStore(dbPath);
  try {
    const before = await store.load(id);
    if (!before) throw new InstanceNotFoundError(id);
    if (isFinal(before.status)) throw new CliError(EXIT.USAGE, `instance ${id} is already ${before.status}; signal not sent`);
    const r = await signalInstance(applyHere(store), id, name, payload, `signal:${randomUUID()}`);
    // Its wait's timeout passed before now and nothing had fired it (no process was running): the
    // timeout fired first and ended the instance, so the signal was not delivered.
    if (!r.duplicate && r.undelivered !== undefined) throw new CliError(EXIT.USAGE, `instance ${id} is ${r.instance.status}: ${r.undelivered}; signal not delivered`);
    const out = output(process.stdout);
    out.line(`signal "${name}" sent to ${id} (now ${statusColor(r.instance.status, out)})`);
    if (!isFinal(r.instance.status)) noteWhoRunsIt(dbPath, id, opts.db, (await store.getDefinition(r.instance.definitionHash))?.file, r.instance.input);
    return EXIT.OK;
  } finally {
    store.close();
  }
}

/**
 * A signal is saved to the database; only a `run` or `worker` process carries out what it
 * unblocks. When none is running the instance, say so on stderr, with the command to resume it.
 */
function noteWhoRunsIt(dbPath: string, id: string, db: string | undefined, file: string | undefined, input: unknown): void {
  const { runner, lastTasks } = runnerOf(dbPath, id);
  const err = output(process.stderr);
  if (runner) return;
  const dbFlag = db ? ` --db ${db}` : '';
  const tasks = lastTasks?.length ? lastTasks.map((t) => `--tasks ${t}`).join(' ') : '--tasks <module>';
  const json = JSON.stringify(input);
  const inputFlag = json.length <= 200 && !json.includes("'") ? `--input '${json}'` : '--input <its input>';
  err.line(
    `${err.c.yellow('note:')} no currant process is running ${id} right now: the signal is saved, and what it unblocks runs once the instance is resumed:\n` +
      `  currant worker ${tasks}${dbFlag}` +
      (file ? `\n  or: currant run ${file} ${tasks} ${inputFlag} --id ${id}${dbFlag}` : ''),
  );
}
