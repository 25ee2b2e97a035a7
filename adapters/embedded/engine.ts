/**
 * The embedded engine: the runtime core on one machine — SQLite store, in-process task executor
 * and timers, one serial event queue per instance.
 *
 * Takes a database path and task implementations; gives start / waitFor / signal / cancel / redrive / get /
 * list / resumeAll / close.
 *
 *   const engine = await createEngine({ dbPath: '.currant/currant.db', tasksModule: './tasks.ts' });
 *   await engine.resumeAll();                    // continue whatever was running when we last stopped
 *   const { id } = await engine.start({ source, file: 'order.workflow' }, { orderId: 'o1', amount: 5 });
 *   const done = await engine.waitFor(id);       // { status: 'completed', result: … }
 *   await engine.close();
 *
 * Events for one instance are applied one at a time (a promise chain per instance), so the
 * driver's conditional save rarely conflicts; when another process writes the same database
 * (a CLI `signal` next to a worker) the driver's reload-and-retry handles it.
 *
 * Several processes on one database: each instance's task attempts and timers run only in the
 * process holding its lease (`lease.ts`). A process that finds an instance leased elsewhere saves
 * its transitions but dispatches nothing, and keeps asking for the lease; when the holder dies its
 * lease expires and one of the others takes the instance over (`resumeOne`).
 */
import { randomUUID } from 'node:crypto';
import { pendingCommands } from '../../runtime/core.ts';
import { advance, cancelInstance, ProgramCache, redriveInstance, signalInstance, startWorkflow, type RuntimeDeps } from '../../runtime/driver.ts';
import { InstanceNotFoundError } from '../../runtime/errors.ts';
import { cancelChild, startChild, type WorkflowLookup } from '../../runtime/children.ts';
import { compile } from '../../dsl/index.ts';
import {
  isFinal,
  timerIds,
  type DispatchCommand,
  type Instance,
  type InstanceSummary,
  type Limits,
  type ListFilter,
  type RuntimeEvent,
  type StepLog,
  type Value,
} from '../../runtime/types.ts';
import { DEFAULT_CONCURRENCY, InProcessDispatcher } from './dispatcher.ts';
import { Leases, type LeaseOptions } from './lease.ts';
import { SqliteStore } from './store.ts';
import { PythonTasks, type PythonTasksOptions } from './python.ts';
import { loadTasksModule, type TaskProcess, type TaskRegistry } from './tasks.ts';

export interface EngineOptions {
  /** SQLite file (created with its folder). Default `.currant/currant.db`; `:memory:` for tests. */
  dbPath?: string;
  /** Task implementations by name. */
  tasks?: TaskRegistry;
  /**
   * A .js/.mjs/.ts module exporting task functions, merged under `tasks` (explicit `tasks` win); or
   * a `.py` tasks file, run in a Python process (`python.ts`); or a list of both.
   */
  tasksModule?: string | string[];
  /**
   * Tasks served by other processes (`PythonTasks.start('tasks.py')`). The engine owns them from
   * here on: `close()` stops them.
   */
  taskProcesses?: TaskProcess[];
  /** How `.py` entries of `tasksModule` are run (interpreter, timeouts). */
  python?: PythonTasksOptions;
  /** Injected clock and ids (default: the system clock, random UUIDs). */
  clock?: { now?: () => Date; uuid?: () => string };
  /**
   * Called for every step added to an instance's log, after it was saved. The instance passed is
   * the driver's copy: its `steps` may hold only the latest steps (use `get` for the whole log).
   */
  onStep?: (instance: Instance, step: StepLog) => void;
  /** Called when applying an event fails unexpectedly (default: console.error). */
  onError?: (error: unknown, instanceId: string) => void;
  /**
   * Task attempts running at the same time in this process (default 16, `DEFAULT_CONCURRENCY`); a
   * fan-out's own `concurrency` can only lower it. Attempts past it wait for a slot, and their
   * timeout starts when they start.
   */
  concurrency?: number;
  /** Interpreter limits (statement budget, state size). */
  limits?: Limits;
  /**
   * Per-instance leases, so two processes on one database never run the same attempt (`lease.ts`):
   * options (`ttlMs`, default 15 s), or `false` to turn them off (one process per file only).
   */
  lease?: LeaseOptions | false;
  /** Versions per instance kept for step history (SqliteStore `history`; default 200, 0 = none). */
  history?: number;
  /**
   * The deployment: the workflows child starts (`workflows.charge(input)`) may start, each
   * `{ file, source }` (the CLI passes the .workflow files beside the one it runs). Without it a
   * child start fails at its await with CR044.
   */
  workflows?: { file: string; source: string }[];
}

export interface Engine {
  /** Stores the definition by hash and starts an instance (idempotent for a repeated `id` + input). */
  start(definition: { source: string; file: string }, input: unknown, opts?: { id?: string }): Promise<Instance>;
  /** Resolves with the instance once it is completed, failed or cancelled. */
  waitFor(id: string): Promise<Instance>;
  /**
   * Starts an instance unless the id exists; an existing one (same workflow and input) is left
   * alone, nothing resent (a schedule's firing another worker started: that worker runs it).
   */
  startIfNew(definition: { source: string; file: string }, input: unknown, opts: { id: string }): Promise<{ instance: Instance; created: boolean }>;
  /** `start` then `waitFor`. */
  run(definition: { source: string; file: string }, input: unknown, opts?: { id?: string }): Promise<Instance>;
  /** Delivers a signal; `signalId` de-duplicates a repeated delivery. */
  signal(id: string, name: string, payload?: Value, opts?: { signalId?: string }): Promise<Instance>;
  cancel(id: string, reason?: string): Promise<Instance>;
  /**
   * Resumes a failed instance from the await whose task failed: that task runs again as attempt 1
   * (runtime `redriveInstance`). `key` makes a repeat a no-op. `RedriveRefusedError` when it cannot.
   */
  redrive(id: string, key?: string): Promise<Instance>;
  /** The stored instance; `InstanceNotFoundError` if there is none. */
  get(id: string): Promise<Instance>;
  list(filter?: ListFilter): Promise<{ items: InstanceSummary[]; cursor?: string }>;
  /**
   * On startup: re-dispatch outstanding task attempts and re-arm pending timers (due ones fire now)
   * of every unfinished instance whose lease this process can take; `leasedElsewhere` counts those
   * another live process runs (this one takes them over if that process stops).
   */
  resumeAll(): Promise<{ instances: number; tasks: number; timers: number; leasedElsewhere: number }>;
  /**
   * Takes an instance over if no live process holds its lease: re-dispatches its outstanding work
   * here. False when another process holds it (it is then retried at each lease renewal).
   */
  adopt(id: string): Promise<boolean>;
  /** The leases of this process (undefined when turned off). */
  readonly leases: Leases | undefined;
  /** Applies a raw runtime event (normally the dispatcher does this; tests inject duplicates). */
  deliver(id: string, event: RuntimeEvent): void;
  /** Resolves when every event delivered so far has been applied and no task is running. */
  settled(): Promise<void>;
  close(): Promise<void>;
  readonly store: SqliteStore;
  readonly tasks: TaskRegistry;
}

export async function createEngine(opts: EngineOptions = {}): Promise<Engine> {
  const modules = opts.tasksModule === undefined ? [] : Array.isArray(opts.tasksModule) ? opts.tasksModule : [opts.tasksModule];
  const processes: TaskProcess[] = [...(opts.taskProcesses ?? [])];
  let loaded: TaskRegistry = {};
  try {
    for (const m of modules) {
      if (m.endsWith('.py')) processes.push(await PythonTasks.start(m, opts.python));
      else loaded = { ...loaded, ...(await loadTasksModule(m)) };
    }
  } catch (e) {
    await Promise.allSettled(processes.map((p) => p.close()));
    throw e;
  }
  return new EmbeddedEngine({ ...opts, taskProcesses: processes }, { ...loaded, ...(opts.tasks ?? {}) });
}

class EmbeddedEngine implements Engine {
  readonly store: SqliteStore;
  private readonly deps: RuntimeDeps;
  private readonly dispatcher: InProcessDispatcher;
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly waiters = new Map<string, { resolve: (i: Instance) => void; reject: (e: unknown) => void }[]>();
  private closed = false;
  private readonly workflows: WorkflowLookup | undefined;
  readonly leases: Leases | undefined;
  /** Unfinished instances this process would run: taken over when their lease comes free. */
  private readonly wanted = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: EngineOptions,
    readonly tasks: TaskRegistry,
  ) {
    if (opts.workflows) this.workflows = workflowLookup(opts.workflows);
    this.store = new SqliteStore(opts.dbPath ?? '.currant/currant.db', opts.history === undefined ? {} : { history: opts.history });
    const now = opts.clock?.now ?? (() => new Date());
    const uuid = opts.clock?.uuid ?? randomUUID;
    this.leases = opts.lease === false ? undefined : new Leases(this.store.db, opts.lease);
    this.dispatcher = new InProcessDispatcher({
      tasks,
      now,
      concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
      deliver: (id, event) => this.deliver(id, event),
      onFinished: (id) => this.finished(id),
      children: (c) => this.child(c),
      mayRun: this.leases ? (id) => this.leases!.holds(id) : undefined,
      processes: opts.taskProcesses,
    });
    if (this.leases) {
      this.heartbeat = setInterval(() => this.tick(), Math.max(50, Math.floor(this.leases.ttlMs / 3)));
      this.heartbeat.unref();
    }
    this.deps = {
      // The driver's view leaves the step log out of each load and appends new steps on save.
      store: this.store.forDriver(),
      // Work leaves only under the instance's lease (see the header).
      dispatcher: { dispatch: (commands, instance) => this.dispatch(commands, instance) },
      programs: new ProgramCache(this.store),
      clock: { now, uuid },
      limits: opts.limits,
      onTransition: (instance, steps) => {
        if (!opts.onStep) return;
        for (const s of steps) {
          try {
            opts.onStep(instance, s);
          } catch (e) {
            this.report(e, instance.id);
          }
        }
      },
    };
  }

  async start(definition: { source: string; file: string }, input: unknown, o: { id?: string } = {}): Promise<Instance> {
    this.assertOpen();
    const id = o.id ?? this.deps.clock.uuid();
    // A new id is leased before it exists, so no other process can take it over in between; an
    // existing one only if nobody else holds it.
    this.leases?.acquire(id);
    this.wanted.add(id);
    try {
      await this.serial(id, () => startWorkflow(this.deps, definition, input, { id }), true);
    } catch (e) {
      this.wanted.delete(id);
      if (!(await this.store.load(id))) this.leases?.release(id);
      throw e;
    }
    return this.get(id);
  }

  async startIfNew(definition: { source: string; file: string }, input: unknown, o: { id: string }): Promise<{ instance: Instance; created: boolean }> {
    this.assertOpen();
    const { created } = await this.serial(o.id, () => startWorkflow(this.deps, definition, input, { id: o.id, resendExisting: false }), true);
    return { instance: await this.get(o.id), created };
  }

  waitFor(id: string): Promise<Instance> {
    return new Promise<Instance>((resolve, reject) => {
      // Register first, then look: a finish between the two is then seen by one of them.
      const list = this.waiters.get(id) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(id, list);
      this.store.load(id).then((i) => {
        if (!i) this.settleWaiters(id, undefined, new InstanceNotFoundError(id));
        else if (isFinal(i.status)) this.settleWaiters(id, i);
      }, reject);
    });
  }

  async run(definition: { source: string; file: string }, input: unknown, o: { id?: string } = {}): Promise<Instance> {
    const i = await this.start(definition, input, o);
    return this.waitFor(i.id);
  }

  async signal(id: string, name: string, payload: Value = null, o: { signalId?: string } = {}): Promise<Instance> {
    this.assertOpen();
    await this.serial(id, () => signalInstance(this.deps, id, name, payload, o.signalId), true);
    return this.get(id);
  }

  async cancel(id: string, reason?: string): Promise<Instance> {
    this.assertOpen();
    await this.serial(id, () => cancelInstance(this.deps, id, reason), true);
    return this.get(id);
  }

  async redrive(id: string, key?: string): Promise<Instance> {
    this.assertOpen();
    await this.serial(id, () => redriveInstance(this.deps, id, key), true);
    return this.get(id);
  }

  async get(id: string): Promise<Instance> {
    const i = await this.store.load(id);
    if (!i) throw new InstanceNotFoundError(id);
    return i;
  }

  list(filter: ListFilter = {}): Promise<{ items: InstanceSummary[]; cursor?: string }> {
    return this.store.list(filter);
  }

  /** Applies one event (a task result, a due timer) after those already queued for the instance. */
  deliver(id: string, event: RuntimeEvent): void {
    // Errors are reported by `serial` (onError); the returned promise is only for API callers.
    this.serial(id, () => advance(this.deps, id, event)).catch(() => {});
  }

  async resumeAll(): Promise<{ instances: number; tasks: number; timers: number; leasedElsewhere: number }> {
    this.assertOpen();
    const counts = { instances: 0, tasks: 0, timers: 0, leasedElsewhere: 0 };
    for (const id of this.store.unfinished()) {
      this.wanted.add(id);
      if (this.leases && !this.leases.acquire(id)) {
        counts.leasedElsewhere++;
        continue;
      }
      const r = await this.resumeOne(id);
      if (!r) continue;
      counts.instances++;
      counts.tasks += r.tasks;
      counts.timers += r.timers;
    }
    return counts;
  }

  async adopt(id: string): Promise<boolean> {
    this.assertOpen();
    this.wanted.add(id);
    if (this.leases && !this.leases.acquire(id)) return false;
    return (await this.resumeOne(id)) !== undefined;
  }

  /**
   * Re-dispatches an unfinished instance's outstanding work in this process (the caller holds its
   * lease). An attempt whose timeout passed while no process ran it is not re-run: its timeout
   * timer fires now and the retry policy decides (re-running it too would only make a duplicate).
   */
  private async resumeOne(id: string): Promise<{ tasks: number; timers: number } | undefined> {
    const instance = await this.store.load(id);
    if (!instance || isFinal(instance.status)) {
      this.wanted.delete(id);
      if (instance) this.leases?.release(id);
      return undefined;
    }
    const nowMs = this.deps.clock.now().getTime();
    const commands = pendingCommands(instance).filter((c) => {
      if (c.type !== 'sendTask') return true;
      const timeout = instance.timers[timerIds.taskTimeout(c.taskId, c.attempt)];
      return !timeout || Date.parse(timeout.fireAt) > nowMs;
    });
    const r = { tasks: 0, timers: 0 };
    for (const c of commands) {
      if (c.type === 'sendTask') r.tasks++;
      else if (c.type === 'scheduleTimer') r.timers++;
    }
    await this.serial(id, () => this.dispatcher.dispatch(commands, instance));
    return r;
  }

  /** The driver's dispatch: work (tasks, timers) only under the instance's lease. */
  private async dispatch(commands: DispatchCommand[], instance: Instance | undefined): Promise<void> {
    const id = instance?.id ?? commands[0]?.instanceId;
    if (!this.leases || id === undefined || !commands.some((c) => c.type === 'sendTask' || c.type === 'scheduleTimer')) {
      return this.dispatcher.dispatch(commands, instance);
    }
    if (!isFinal(instance?.status ?? 'running')) this.wanted.add(id);
    if (this.leases.acquire(id)) return this.dispatcher.dispatch(commands, instance);
    // Another live process runs this instance: it carries out the work this transition saved.
    return this.dispatcher.dispatch(
      commands.filter((c) => c.type !== 'sendTask' && c.type !== 'scheduleTimer'),
      instance,
    );
  }

  /** Lease heartbeat: keep what we hold, stop what was taken over, take over what came free. */
  private tick(): void {
    if (this.closed || !this.leases) return;
    try {
      for (const id of this.leases.renew()) this.dispatcher.forget(id);
      for (const id of [...this.wanted]) {
        if (this.leases.holds(id)) continue;
        if (this.leases.acquire(id)) void this.resumeOne(id).catch((e) => this.report(e, id));
      }
    } catch (e) {
      // A busy database (another process holding the write lock past busy_timeout): next tick.
      if (this.opts.onError) this.opts.onError(e, '(lease heartbeat)');
    }
  }

  async settled(): Promise<void> {
    for (;;) {
      await Promise.allSettled([...this.chains.values()]);
      await this.dispatcher.whenIdle();
      // A task that just finished may have queued another event: wait for a quiet turn.
      await new Promise((r) => setImmediate(r));
      if (this.chains.size === 0 && this.dispatcher.busy === 0) return;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.dispatcher.close();
    await Promise.allSettled([...this.chains.values()]);
    // A clean stop hands every instance on at once (a killed process's leases expire instead).
    this.leases?.releaseAll();
    for (const id of [...this.waiters.keys()]) this.settleWaiters(id, undefined, new Error('the engine was closed'));
    await Promise.allSettled((this.opts.taskProcesses ?? []).map((p) => p.close()));
    this.store.close();
  }

  /**
   * Runs `fn` after everything already queued for this instance. Events delivered by the
   * dispatcher report their errors; API calls (`rethrow`) get them back.
   */
  private serial<T>(id: string, fn: () => Promise<T>, rethrow = false): Promise<T> {
    const prev = this.chains.get(id) ?? Promise.resolve();
    const run = prev.then(() => {
      if (this.closed) throw new Error('the engine was closed');
      return fn();
    });
    const tail = run.catch((e) => {
      if (!rethrow && !this.closed) this.report(e, id);
    });
    this.chains.set(id, tail);
    void tail.then(() => {
      if (this.chains.get(id) === tail) this.chains.delete(id);
    });
    return run;
  }

  /** A child start or cancel, applied in the child's queue; what the parent must hear goes to its queue. */
  private child(c: Extract<DispatchCommand, { type: 'startChild' | 'cancelChild' }>): void {
    if (c.type === 'cancelChild') {
      this.serial(c.childId, () => cancelChild(this.deps, c)).catch(() => {});
      return;
    }
    this.serial(c.childId, () => startChild(this.deps, c, this.workflows)).then(
      (event) => event && this.deliver(c.instanceId, event),
      () => {},
    );
  }

  private finished(id: string): void {
    this.wanted.delete(id);
    this.leases?.release(id);
    // Reload: the driver's copy carries only the latest steps (see SqliteStore.forDriver).
    if (!this.waiters.has(id)) return;
    void this.store.load(id).then((i) => i && this.settleWaiters(id, i));
  }

  private settleWaiters(id: string, instance: Instance | undefined, error?: unknown): void {
    const list = this.waiters.get(id);
    if (!list) return;
    this.waiters.delete(id);
    for (const w of list) (instance ? w.resolve(instance) : w.reject(error));
  }

  private report(e: unknown, id: string): void {
    // An unexpected failure leaves the instance where it was saved; waiters would hang forever.
    this.settleWaiters(id, undefined, e);
    if (this.opts.onError) this.opts.onError(e, id);
    else console.error(`currant: instance ${id}:`, e);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the engine was closed');
  }
}

/**
 * The deployment by workflow name, from its files. Each is compiled once here: a file that does not
 * compile, or two files with one workflow name, are the caller's error (thrown at engine creation).
 */
export function workflowLookup(files: { file: string; source: string }[]): WorkflowLookup {
  const byName = new Map<string, { file: string; source: string }>();
  for (const f of files) {
    const { program } = compile(f.source, f.file);
    if (!program) continue; // `currant check` reports it; a child start naming it fails with CR041
    const clash = byName.get(program.workflow.name);
    if (clash) throw new Error(`workflow '${program.workflow.name}' is defined twice: ${clash.file} and ${f.file}`);
    byName.set(program.workflow.name, f);
  }
  return (name) => byName.get(name);
}
