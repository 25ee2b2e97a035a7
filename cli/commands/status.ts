/**
 * `currant status <id> [--db] [--json]`: one instance — status, result or error, the line it is
 * at, pending tasks / timers / signals, and its step log. Unknown id: exit 2.
 *
 *   $ currant status approval-1a2b3c4d
 */
import { InstanceNotFoundError } from '../../runtime/index.ts';
import { EXIT, type ExitCode } from '../exit.ts';
import { dbPathExisting, output } from '../io.ts';
import { formatStatus, statusJson } from '../render.ts';
import { openStore } from './shared.ts';

export async function statusCommand(id: string, opts: { db?: string; json?: boolean }): Promise<ExitCode> {
  const store = openStore(dbPathExisting(opts.db));
  try {
    const instance = await store.load(id);
    if (!instance) throw new InstanceNotFoundError(id);
    const file = (await store.getDefinition(instance.definitionHash))?.file;
    const out = output(process.stdout);
    if (opts.json) out.line(JSON.stringify(statusJson(instance, file), null, 2));
    else out.line(formatStatus(instance, out, file));
    return EXIT.OK;
  } finally {
    store.close();
  }
}
