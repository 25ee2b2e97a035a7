/**
 * `currant signal <id> <name> [json] [--db]`: deliver a signal to an instance. The payload is
 * JSON text or `@file` (default `null`); invalid JSON or an unknown id is exit 2 with nothing sent.
 * A signal the workflow is not (yet) waiting for is buffered and delivered when it waits.
 *
 *   $ currant signal approval-1a2b3c4d approval '{"approved": true, "by": "ana"}'
 */
import type { Value } from '../../runtime/index.ts';
import { InstanceNotFoundError, isFinal } from '../../runtime/index.ts';
import { CliError, EXIT, type ExitCode } from '../exit.ts';
import { dbPathExisting, output, readJsonArg } from '../io.ts';
import { statusColor } from '../render.ts';
import { openStore } from './shared.ts';

export async function signalCommand(id: string, name: string, json: string | undefined, opts: { db?: string }): Promise<ExitCode> {
  const payload = (json === undefined ? null : readJsonArg(json, 'signal payload')) as Value;
  const engine = await openStore(dbPathExisting(opts.db));
  try {
    const before = await engine.get(id);
    if (!before) throw new InstanceNotFoundError(id);
    if (isFinal(before.status)) throw new CliError(EXIT.USAGE, `instance ${id} is already ${before.status}; signal not sent`);
    await engine.signal(id, name, payload);
    const after = await engine.get(id);
    const out = output(process.stdout);
    out.line(`signal "${name}" sent to ${id} (now ${statusColor(after?.status ?? 'unknown', out)})`);
    return EXIT.OK;
  } finally {
    await engine.close();
  }
}
