/**
 * `currant cancel <id> [--db]`: cancel an unfinished instance (pending timers dropped, late task
 * results ignored). When the workflow has a `catch`/`finally` around the await it is blocked on,
 * the cancellation error is thrown there and it compensates (its awaits run in the process that
 * runs the instance, a `run` or a `worker`) until its code ends or the grace period is over; a
 * second `cancel` stops that at once. Unknown id: exit 2; an instance that already finished: exit
 * 2, unchanged. A `run` waiting on the instance in another process sees the end and exits 3.
 *
 *   $ currant cancel approval-1a2b3c4d
 *   cancelled approval-1a2b3c4d (was waiting)
 *   $ currant cancel trip-77
 *   cancelling trip-77 (was waiting): the workflow compensates until 2026-01-01T00:05:00.000Z; cancel again to stop it now
 */
import { cancelInstance } from '../../runtime/driver.ts';
import { InstanceNotFoundError, isFinal } from '../../runtime/index.ts';
import { CliError, EXIT, type ExitCode } from '../exit.ts';
import { dbPathExisting, output } from '../io.ts';
import { applyHere, openStore } from './shared.ts';

export async function cancelCommand(id: string, opts: { db?: string }): Promise<ExitCode> {
  const store = openStore(dbPathExisting(opts.db));
  try {
    const before = await store.load(id);
    if (!before) throw new InstanceNotFoundError(id);
    if (isFinal(before.status)) throw new CliError(EXIT.USAGE, `instance ${id} is already ${before.status}; nothing to cancel`);
    const r = await cancelInstance(applyHere(store), id, 'cancelled with currant cancel');
    // It may have finished between the look and the cancel: then the cancel was a no-op.
    if (r.duplicate) throw new CliError(EXIT.USAGE, `instance ${id} is already ${r.instance.status}; nothing to cancel`);
    const out = output(process.stdout);
    if (r.instance.cancelling) {
      out.line(`${out.c.yellow('cancelling')} ${id} (was ${before.status}): the workflow compensates until ${r.instance.cancelling.until}; cancel again to stop it now`);
    } else out.line(`${out.c.yellow('cancelled')} ${id} (was ${before.status})`);
    return EXIT.OK;
  } finally {
    store.close();
  }
}
