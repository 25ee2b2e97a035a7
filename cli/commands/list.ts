/**
 * `currant list [--status s] [--workflow w] [--db] [--json]`: instances in a database, one line
 * each (id, workflow, status, last update, result / error / current line).
 *
 *   $ currant list --status waiting
 */
import type { InstanceStatus, InstanceSummary } from '../../runtime/index.ts';
import { EXIT, type ExitCode } from '../exit.ts';
import { dbPathExisting, output } from '../io.ts';
import { formatSummaryRow } from '../render.ts';
import { openStore } from './shared.ts';

export async function listCommand(opts: { status?: InstanceStatus; workflow?: string; db?: string; json?: boolean }): Promise<ExitCode> {
  const store = openStore(dbPathExisting(opts.db));
  try {
    const items: InstanceSummary[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({
        ...(opts.status ? { status: opts.status } : {}),
        ...(opts.workflow ? { workflow: opts.workflow } : {}),
        ...(cursor ? { cursor } : {}),
      });
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    const out = output(process.stdout);
    if (opts.json) {
      out.line(JSON.stringify(items, null, 2));
      return EXIT.OK;
    }
    if (items.length === 0) {
      out.line(out.c.dim('no instances'));
      return EXIT.OK;
    }
    const widths = {
      id: Math.max(2, ...items.map((i) => i.id.length)),
      workflow: Math.max(8, ...items.map((i) => i.workflow.length)),
    };
    out.line(out.c.bold(`${'id'.padEnd(widths.id)}  ${'workflow'.padEnd(widths.workflow)}  ${'status'.padEnd(9)}  updated`));
    for (const s of items) out.line(formatSummaryRow(s, out, widths));
    return EXIT.OK;
  } finally {
    store.close();
  }
}
