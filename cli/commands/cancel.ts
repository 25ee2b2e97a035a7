/**
 * `currant cancel <id> [--db]`: cancel an unfinished instance (pending timers dropped, late task
 * results ignored). Unknown id: exit 2; an instance that already finished: exit 2, unchanged.
 *
 *   $ currant cancel approval-1a2b3c4d
 */
import { InstanceNotFoundError, isFinal } from '../../runtime/index.ts';
import { CliError, EXIT, type ExitCode } from '../exit.ts';
import { dbPathExisting, output } from '../io.ts';
import { openStore } from './shared.ts';

export async function cancelCommand(id: string, opts: { db?: string }): Promise<ExitCode> {
  const engine = await openStore(dbPathExisting(opts.db));
  try {
    const before = await engine.get(id);
    if (!before) throw new InstanceNotFoundError(id);
    if (isFinal(before.status)) throw new CliError(EXIT.USAGE, `instance ${id} is already ${before.status}; nothing to cancel`);
    await engine.cancel(id);
    const out = output(process.stdout);
    out.line(`${out.c.yellow('cancelled')} ${id}`);
    return EXIT.OK;
  } finally {
    await engine.close();
  }
}
