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
import { applyHere, openStore } from './shared.ts';

export async function signalCommand(id: string, name: string, json: string | undefined, opts: { db?: string }): Promise<ExitCode> {
  const payload = (json === undefined ? null : readJsonArg(json, 'signal payload')) as Value;
  const store = openStore(dbPathExisting(opts.db));
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
    return EXIT.OK;
  } finally {
    store.close();
  }
}
