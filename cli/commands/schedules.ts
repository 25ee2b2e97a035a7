/**
 * `currant schedules --schedules <file> [--db] [--json]`: the schedules a worker started with that
 * file would run — each one's workflow, cron (and time zone) or rate, next firing, and the last
 * firing found in the database with its instance's status. A file that does not check is exit 2
 * with every problem listed (the worker refuses it the same way).
 *
 *   $ currant schedules --schedules currant.schedules.json
 *   name            workflow       when                             next (UTC)            last
 *   nightly-report  nightlyReport  0 2 * * * (Europe/Paris)         2026-01-02T01:00:00Z  nightly-report@2026-01-01T01:00:00Z completed
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadSchedulesFile, SchedulesFileError, type LoadedSchedule } from '../../adapters/embedded/schedules.ts';
import { firingTimeOf, isoSeconds, nextFiring, type Schedule } from '../../runtime/schedules.ts';
import { CliError, EXIT, type ExitCode } from '../exit.ts';
import { DEFAULT_DB, output } from '../io.ts';
import { openStore } from './shared.ts';

/** Loads a schedules file for the CLI: a file that does not check is a usage error (exit 2). */
export function schedulesFromFile(path: string): LoadedSchedule[] {
  try {
    return loadSchedulesFile(resolve(path));
  } catch (e) {
    if (e instanceof SchedulesFileError) throw new CliError(EXIT.USAGE, `schedules ${e.message}`);
    throw e;
  }
}

/** `0 2 * * * (Europe/Paris)` or `every 15m`. */
export function describeWhen(s: Schedule): string {
  return s.cron !== undefined ? `${s.cron}${s.timeZone === 'UTC' ? ' (UTC)' : ` (${s.timeZone})`}` : `every ${s.rate}`;
}

export interface ScheduleRow {
  name: string;
  workflow: string;
  file: string;
  cron?: string;
  rate?: string;
  timeZone: string;
  input: unknown;
  nextFiring: string | null;
  last: { id: string; firedAt: string; status: string } | null;
}

export async function schedulesCommand(opts: { schedules: string; db?: string; json?: boolean }): Promise<ExitCode> {
  const loaded = schedulesFromFile(opts.schedules);
  const dbPath = resolve(opts.db ?? DEFAULT_DB);
  const store = existsSync(dbPath) ? openStore(dbPath) : undefined;
  try {
    const now = new Date();
    const rows: ScheduleRow[] = [];
    for (const l of loaded) {
      const s = l.schedule;
      const lastId = store?.lastIdWithPrefix(`${s.name}@`);
      const lastAt = lastId === undefined ? undefined : firingTimeOf(s.name, lastId);
      const inst = lastId === undefined ? undefined : await store!.load(lastId);
      const next = nextFiring(s, now);
      const row: ScheduleRow = {
        name: s.name,
        workflow: s.workflow,
        file: l.definition.file,
        timeZone: s.timeZone,
        input: s.input,
        nextFiring: next ? isoSeconds(next) : null,
        last: lastId && lastAt && inst ? { id: lastId, firedAt: isoSeconds(lastAt), status: inst.status } : null,
      };
      if (s.cron !== undefined) row.cron = s.cron;
      else row.rate = s.rate;
      rows.push(row);
    }
    const out = output(process.stdout);
    if (opts.json) {
      out.line(JSON.stringify(rows, null, 2));
      return EXIT.OK;
    }
    if (rows.length === 0) {
      out.line(out.c.dim('no schedules'));
      return EXIT.OK;
    }
    const when = (r: ScheduleRow) => describeWhen({ ...r, input: {} } as Schedule);
    const w = {
      name: Math.max(4, ...rows.map((r) => r.name.length)),
      workflow: Math.max(8, ...rows.map((r) => r.workflow.length)),
      when: Math.max(4, ...rows.map((r) => when(r).length)),
    };
    out.line(out.c.bold(`${'name'.padEnd(w.name)}  ${'workflow'.padEnd(w.workflow)}  ${'when'.padEnd(w.when)}  ${'next (UTC)'.padEnd(20)}  last`));
    for (const r of rows) {
      const last = r.last ? `${r.last.id} ${r.last.status}` : out.c.dim('never fired here');
      out.line(`${r.name.padEnd(w.name)}  ${r.workflow.padEnd(w.workflow)}  ${when(r).padEnd(w.when)}  ${(r.nextFiring ?? '—').padEnd(20)}  ${last}`);
    }
    return EXIT.OK;
  } finally {
    store?.close();
  }
}
