/**
 * Schedules on one machine: the schedules file (`currant worker --schedules currant.schedules.json`)
 * and the runner that starts one instance per firing in a running engine.
 *
 * Takes a JSON file of declarations (runtime/schedules.ts, plus `file`: the .workflow file, relative
 * to the schedules file) and an engine; gives `loadSchedulesFile` (every problem at once, each
 * workflow compiled and the input checked against its parameters) and `ScheduleRunner`:
 *
 *   { "schedules": [
 *       { "name": "nightly-report", "file": "reports/nightly.workflow", "cron": "0 2 * * *",
 *         "timeZone": "Europe/Paris", "input": { "day": "yesterday" } },
 *       { "name": "poll-feeds", "file": "feeds.workflow", "rate": "15m" } ] }
 *
 *   const runner = new ScheduleRunner(engine, await loadSchedulesFile('currant.schedules.json'));
 *   const caughtUp = await runner.start();   // fires missed firings (the last one each), then arms timers
 *   runner.stop();
 *
 * Each firing starts the instance `<name>@<UTC second>` (runtime/schedules.ts `firingId`): a firing
 * seen twice (two workers on one database, a restart) finds that instance and starts nothing.
 *
 * Missed firings (no worker ran when they came due): the last one is started when a worker starts
 * (or wakes from a suspended machine), the earlier ones are skipped and counted. Why not all of
 * them: a schedule says "keep this fresh" far more often than "run once per slot", and an hourly job
 * after a week away would otherwise start 168 instances at once. A schedule that never fired in this
 * database (no instance of it yet) starts at its next firing, not with a catch-up.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { compile, hasErrors, renderDiagnostics } from '../../dsl/index.ts';
import { InstanceConflictError } from '../../runtime/errors.ts';
import { validateInput } from '../../runtime/core.ts';
import { checkSchedule, countFirings, firingId, firingTimeOf, lastFiring, nextFiring, type Schedule } from '../../runtime/schedules.ts';
import type { Engine } from './engine.ts';

/** A schedule with the workflow it starts. */
export interface LoadedSchedule {
  schedule: Schedule;
  /** The .workflow file as given in the schedules file, and its text. */
  definition: { source: string; file: string };
}

export class SchedulesFileError extends Error {
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(`${path}: ${problems.length === 1 ? problems[0] : `${problems.length} problems\n  ${problems.join('\n  ')}`}`);
    this.name = 'SchedulesFileError';
  }
}

/** Largest schedules file read (a hand-written list of schedules is a few KB). */
const MAX_FILE_BYTES = 1024 * 1024;

/** Reads and checks a schedules file; throws `SchedulesFileError` listing every problem. */
export function loadSchedulesFile(path: string): LoadedSchedule[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SchedulesFileError(path, [`cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
  }
  if (text.length > MAX_FILE_BYTES) throw new SchedulesFileError(path, [`it is over ${MAX_FILE_BYTES} bytes`]);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SchedulesFileError(path, [`not JSON: ${(e as Error).message}`]);
  }
  const list = (doc as { schedules?: unknown } | null)?.schedules;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Array.isArray(list)) {
    throw new SchedulesFileError(path, ['expected { "schedules": [ { "name", "file", "cron" | "rate", "timeZone"?, "input"? }, … ] }']);
  }
  const problems: string[] = [];
  const out: LoadedSchedule[] = [];
  const names = new Set<string>();
  list.forEach((entry, k) => {
    const where = `schedules[${k}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${where}: expected an object`);
      return;
    }
    const { file, workflow, ...rest } = entry as Record<string, unknown>;
    if (typeof file !== 'string' || file.length === 0) {
      problems.push(`${where}: "file" must name the .workflow file (relative to ${path})`);
      return;
    }
    const full = resolve(dirname(path), file);
    let source: string;
    try {
      source = readFileSync(full, 'utf8');
    } catch (e) {
      problems.push(`${where}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      return;
    }
    const compiled = compile(source, file);
    if (!compiled.program || hasErrors(compiled.diagnostics)) {
      problems.push(`${where}: ${file} does not check:\n${renderDiagnostics(compiled.diagnostics.filter((d) => d.severity === 'error'), source, file)}`);
      return;
    }
    const name = compiled.program.workflow.name;
    if (workflow !== undefined && workflow !== name) problems.push(`${where}: ${file} holds workflow '${name}', not '${String(workflow)}'`);
    const checked = checkSchedule({ ...rest, workflow: name });
    if (!checked.ok) {
      problems.push(...checked.problems);
      return;
    }
    const s = checked.schedule;
    if (names.has(s.name)) problems.push(`schedule '${s.name}': the name is used twice`);
    names.add(s.name);
    try {
      validateInput(compiled.program, s.input);
    } catch (e) {
      problems.push(`schedule '${s.name}': its input does not fit ${name}: ${((e as { problems?: string[] }).problems ?? [(e as Error).message]).join('; ')}`);
      return;
    }
    out.push({ schedule: s, definition: { source, file: full } });
  });
  if (problems.length > 0) throw new SchedulesFileError(path, problems);
  return out;
}

/** What happened at a firing. */
export type FiringOutcome =
  | { kind: 'started'; schedule: string; at: Date; id: string; missed?: number }
  | { kind: 'exists'; schedule: string; at: Date; id: string }
  | { kind: 'failed'; schedule: string; at: Date; id: string; error: unknown };

export interface ScheduleRunnerOptions {
  /** The clock (default: the system clock). */
  now?: () => Date;
  /** Told every firing (the CLI prints them). */
  onFiring?: (o: FiringOutcome) => void;
}

// setTimeout's limit is ~24.8 days; a timer also re-checks at least every minute, so a machine that
// slept through a firing catches up within a minute of waking.
const MAX_WAIT_MS = 60_000;

export class ScheduleRunner {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  private readonly now: () => Date;

  constructor(
    private readonly engine: Engine,
    readonly schedules: readonly LoadedSchedule[],
    private readonly opts: ScheduleRunnerOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Catches up each schedule's missed firings (the last one), then arms its timer. Gives the catch-up firings. */
  async start(): Promise<FiringOutcome[]> {
    const out: FiringOutcome[] = [];
    for (const s of this.schedules) {
      const caught = await this.catchUp(s);
      if (caught) out.push(caught);
      this.arm(s);
    }
    return out;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** When the schedule last fired in this database (its newest instance), if ever. */
  lastFired(s: Schedule): Date | undefined {
    const id = this.engine.store.lastIdWithPrefix(`${s.name}@`);
    return id === undefined ? undefined : firingTimeOf(s.name, id);
  }

  /** The last firing due by now if it has not been started (a firing missed while no worker ran). */
  private async catchUp(l: LoadedSchedule): Promise<FiringOutcome | undefined> {
    const s = l.schedule;
    const last = this.lastFired(s);
    if (last === undefined) return undefined; // never fired here: start with the next firing
    const now = this.now();
    const due = lastFiring(s, now);
    if (!due || due.getTime() <= last.getTime()) return undefined;
    return this.fire(l, due, countFirings(s, last, now));
  }

  private arm(l: LoadedSchedule): void {
    if (this.stopped) return;
    const s = l.schedule;
    const now = this.now();
    const next = nextFiring(s, now);
    if (!next) return; // a cron whose dates never come again
    const wait = Math.max(0, Math.min(next.getTime() - now.getTime(), MAX_WAIT_MS));
    const handle = setTimeout(() => void this.tick(l, next), wait);
    handle.unref?.();
    this.timers.set(s.name, handle);
  }

  private async tick(l: LoadedSchedule, next: Date): Promise<void> {
    if (this.stopped) return;
    const now = this.now();
    if (now.getTime() >= next.getTime()) {
      // Normally `next` itself; after a suspended machine, the last firing due (the catch-up rule).
      const due = lastFiring(l.schedule, now) ?? next;
      const missed = countFirings(l.schedule, new Date(next.getTime() - 1), now);
      await this.fire(l, due, missed > 1 ? missed : undefined);
    }
    this.arm(l);
  }

  private async fire(l: LoadedSchedule, at: Date, missed?: number): Promise<FiringOutcome> {
    const s = l.schedule;
    const id = firingId(s.name, at);
    let outcome: FiringOutcome;
    try {
      // Started already (another worker on this database, or before a restart): left alone, nothing
      // resent — the worker that started it runs it.
      const { created } = await this.engine.startIfNew(l.definition, s.input, { id });
      outcome = created ? { kind: 'started', schedule: s.name, at, id, ...(missed !== undefined ? { missed } : {}) } : { kind: 'exists', schedule: s.name, at, id };
    } catch (e) {
      outcome = e instanceof InstanceConflictError ? { kind: 'exists', schedule: s.name, at, id } : { kind: 'failed', schedule: s.name, at, id, error: e };
    }
    this.opts.onFiring?.(outcome);
    return outcome;
  }
}
