/**
 * Which currant processes are running instances of a database right now — so `currant signal`
 * can say when nobody will act on a signal until the instance is resumed.
 *
 * Each `run` and `worker` writes a small file `<db>.processes/<pid>.json` while it runs
 * (`announce`; removed when it stops) saying what it runs and with which tasks modules. A reader
 * (`runningProcesses`) keeps the files whose process is alive on this machine (signal 0), and
 * removes the others (left by a process that was killed). No database table, no heartbeat: SQLite
 * files are used from one machine, and a pid check there is exact.
 *
 *   const here = announce(dbPath, { kind: 'run', instanceId: 'order-1', tasks: ['tasks.ts'] });
 *   runningProcesses(dbPath)   // [{ pid: 4242, kind: 'run', instanceId: 'order-1', tasks: [...] }]
 *   here.release();
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface Presence {
  pid: number;
  host: string;
  kind: 'run' | 'worker';
  /** The instance a `run` runs (absent for a worker, or a run that resumed every instance). */
  instanceId?: string;
  /** The `--tasks` modules, as given (for the resume command we suggest). */
  tasks: string[];
  /** The `--db` as given. */
  db?: string;
  startedAt: string;
}

function folderOf(dbPath: string): string {
  return `${dbPath}.processes`;
}

/** Records this process as running instances of `dbPath` until `release()` (or its exit). */
export function announce(dbPath: string, what: Omit<Presence, 'pid' | 'host' | 'startedAt'>): { release(): void; update(change: Partial<Presence>): void } {
  const folder = folderOf(dbPath);
  const file = join(folder, `${process.pid}.json`);
  let presence: Presence = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), ...what };
  const write = () => {
    try {
      mkdirSync(folder, { recursive: true });
      writeFileSync(file, JSON.stringify(presence));
    } catch {
      // Best effort: without it `signal` only says less.
    }
  };
  const release = () => {
    rmSync(file, { force: true });
    process.off('exit', release);
  };
  write();
  process.on('exit', release);
  return {
    release,
    update: (change) => {
      presence = { ...presence, ...change };
      write();
    },
  };
}

/** The live processes announced for `dbPath` on this machine; stale files are removed. */
export function runningProcesses(dbPath: string): Presence[] {
  return scan(dbPath).live;
}

/** Live and stale (left by killed processes, removed now) announcements. */
function scan(dbPath: string): { live: Presence[]; stale: Presence[] } {
  const folder = folderOf(dbPath);
  let names: string[];
  try {
    names = readdirSync(folder).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return { live: [], stale: [] };
  }
  const live: Presence[] = [];
  const stale: Presence[] = [];
  for (const name of names) {
    const file = join(folder, name);
    let p: Presence;
    try {
      p = JSON.parse(readFileSync(file, 'utf8')) as Presence;
    } catch {
      continue; // being written, or not ours: ignore
    }
    if (typeof p?.pid !== 'number' || (p.host !== hostname() && p.host !== undefined)) continue;
    if (alive(p.pid)) live.push(p);
    else {
      stale.push(p);
      rmSync(file, { force: true });
    }
  }
  return { live, stale };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else — alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Who will act on a new event for `instanceId`: the run running it, else a worker (or a run that
 * resumed every instance); `runner` is undefined when nobody. `lastTasks` are the `--tasks` of a
 * process that ran it (or any) and was killed, to suggest the resume command.
 */
export function runnerOf(dbPath: string, instanceId: string): { runner?: Presence; lastTasks?: string[] } {
  const { live, stale } = scan(dbPath);
  const others = live.filter((p) => p.pid !== process.pid);
  const runner =
    others.find((p) => p.kind === 'run' && p.instanceId === instanceId) ??
    others.find((p) => p.kind === 'worker' || (p.kind === 'run' && p.instanceId === undefined));
  const previous = stale.find((p) => p.instanceId === instanceId) ?? stale[0];
  return { ...(runner ? { runner } : {}), ...(previous?.tasks?.length ? { lastTasks: previous.tasks } : {}) };
}
