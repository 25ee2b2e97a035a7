/**
 * Working with a database that another currant process may be running.
 *
 * Gives `openStore` (the SQLite store alone, for status / list / signal / cancel), `applyHere`
 * (deps that save a signal or cancel without running anything in this short-lived process) and
 * `ExternalWatch` (lets a `run` or `worker` process notice what other processes wrote).
 *
 * Why this exists: the embedded engine keeps tasks and timers in the process that runs an
 * instance. A `currant signal` in another process must not run the tasks its signal unblocks (it
 * exits right away, and has no task module), so it only saves the transition: the new outstanding
 * tasks/timers are in the instance row, each marked `producedBy` the signal's event id. The running
 * process polls its instances; when a new signal id appears in `seenEvents`, it delivers that
 * signal event again to its own engine. The core sees a duplicate and answers with `resend` — the
 * still-outstanding commands that signal produced — which the running process's dispatcher carries
 * out. A cancel needs nothing resent: the poll just sees the final status.
 *
 *   const store = openStore(dbPath); await signalInstance(applyHere(store), id, 'go', payload);
 *   const watch = new ExternalWatch(engine, printStep); watch.add(instance); watch.start(200);
 */
import { randomUUID } from 'node:crypto';
import type { Engine } from '../../adapters/embedded/index.ts';
import { SqliteStore } from '../../adapters/embedded/index.ts';
import { ProgramCache, type RuntimeDeps } from '../../runtime/driver.ts';
import { applyChildCommands, isFinal, type Instance, type StepLog } from '../../runtime/index.ts';

export function openStore(dbPath: string): SqliteStore {
  return new SqliteStore(dbPath);
}

/**
 * Driver deps whose dispatcher does nothing: the transition is saved, the work stays in the row.
 * The store is the driver's view (`forDriver`): the transition's steps are appended, each with the
 * version it saved (step history), and the instance handed back carries only those steps.
 */
export function applyHere(store: SqliteStore): RuntimeDeps {
  const deps: RuntimeDeps = {
    store: store.forDriver(),
    dispatcher: { dispatch: (commands) => applyChildCommands(deps, commands) },
    programs: new ProgramCache(store),
    clock: { now: () => new Date(), uuid: randomUUID },
  };
  return deps;
}


/** A step's identity for printing each step once, whichever way it was seen. */
export function stepKey(instanceId: string, s: StepLog): string {
  return `${instanceId}\u0000${JSON.stringify(s)}`;
}

export class ExternalWatch {
  /** Signal event ids already known per watched instance. */
  private readonly known = new Map<string, Set<string>>();
  private readonly finalWaiters = new Map<string, ((i: Instance) => void)[]>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly engine: Engine,
    /** Called with each step written by another process (this process's own steps come via onStep). */
    private readonly onForeignSteps: (instance: Instance) => void = () => {},
  ) {}

  /** Watches an instance; the signals it already has are not re-delivered. True when it is new here. */
  add(instance: Instance): boolean {
    if (this.known.has(instance.id)) return false;
    this.known.set(instance.id, new Set(instance.seenEvents ?? []));
    return true;
  }

  /** Resolves when a poll sees the instance final (e.g. cancelled by another process). */
  whenFinal(id: string): Promise<Instance> {
    return new Promise((resolve) => {
      const list = this.finalWaiters.get(id) ?? [];
      list.push(resolve);
      this.finalWaiters.set(id, list);
    });
  }

  start(intervalMs: number, discover?: () => string[]): void {
    const tick = async () => {
      if (this.busy) return;
      this.busy = true;
      try {
        if (discover) await this.discover(discover());
        await this.poll();
      } finally {
        this.busy = false;
      }
    };
    this.timer = setInterval(() => void tick().catch(() => {}), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async discover(ids: string[]): Promise<void> {
    for (const id of ids) {
      if (this.known.has(id)) continue;
      const i = await this.engine.store.load(id);
      if (i) this.add(i);
    }
  }

  private async poll(): Promise<void> {
    for (const [id, seen] of this.known) {
      const instance = await this.engine.store.load(id);
      if (!instance) continue;
      this.onForeignSteps(instance);
      for (const eventId of instance.seenEvents ?? []) {
        if (seen.has(eventId)) continue;
        seen.add(eventId);
        // A duplicate of an applied signal: the core resends what it produced (see the header).
        // Name and payload are not read for a duplicate.
        this.engine.deliver(id, { type: 'signal', id: eventId, name: '', payload: null });
      }
      if (isFinal(instance.status)) {
        this.known.delete(id);
        for (const f of this.finalWaiters.get(id) ?? []) f(instance);
        this.finalWaiters.delete(id);
      }
    }
  }
}
