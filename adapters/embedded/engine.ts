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
 */
import { randomUUID } from 'node:crypto';
import { pendingCommands } from '../../runtime/core.ts';
import { advance, cancelInstance, ProgramCache, redriveInstance, signalInstance, startWorkflow, type RuntimeDeps } from '../../runtime/driver.ts';
import { InstanceNotFoundError } from '../../runtime/errors.ts';
import {
  isFinal,
  timerIds,
  type Instance,
  type InstanceSummary,
  type Limits,
  type ListFilter,
  type RuntimeEvent,
  type StepLog,
  type Value,
} from '../../runtime/types.ts';
import { InProcessDispatcher } from './dispatcher.ts';
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
  /** Task attempts running at the same time (default 16). */
  concurrency?: number;
  /** Interpreter limits (statement budget, state size). */
  limits?: Limits;
  /** Versions per instance kept for step history (SqliteStore `history`; default 200, 0 = none). */
  history?: number;
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
  /** On startup: re-dispatch outstanding task attempts and re-arm pending timers (due ones fire now). */
  resumeAll(): Promise<{ instances: number; tasks: number; timers: number }>;
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

  constructor(
    private readonly opts: EngineOptions,
    readonly tasks: TaskRegistry,
  ) {
    this.store = new SqliteStore(opts.dbPath ?? '.currant/currant.db', opts.history === undefined ? {} : { history: opts.history });
    const now = opts.clock?.now ?? (() => new Date());
    const uuid = opts.clock?.uuid ?? randomUUID;
    this.dispatcher = new InProcessDispatcher({
      tasks,
      now,
      concurrency: opts.concurrency,
      deliver: (id, event) => this.deliver(id, event),
      onFinished: (id) => this.finished(id),
      processes: opts.taskProcesses,
    });
    this.deps = {
      // The driver's view leaves the step log out of each load and appends new steps on save.
      store: this.store.forDriver(),
      dispatcher: this.dispatcher,
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
    await this.serial(id, () => startWorkflow(this.deps, definition, input, { id }), true);
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

  async resumeAll(): Promise<{ instances: number; tasks: number; timers: number }> {
    this.assertOpen();
    const counts = { instances: 0, tasks: 0, timers: 0 };
    const nowMs = this.deps.clock.now().getTime();
    for (const id of this.store.unfinished()) {
      const instance = await this.store.load(id);
      if (!instance || isFinal(instance.status)) continue;
      // An attempt whose timeout passed while we were down is not re-run: its timeout timer fires
      // now and the retry policy decides (re-running it too would only make a duplicate).
      const commands = pendingCommands(instance).filter((c) => {
        if (c.type !== 'sendTask') return true;
        const timeout = instance.timers[timerIds.taskTimeout(c.taskId, c.attempt)];
        return !timeout || Date.parse(timeout.fireAt) > nowMs;
      });
      counts.instances++;
      for (const c of commands) {
        if (c.type === 'sendTask') counts.tasks++;
        else if (c.type === 'scheduleTimer') counts.timers++;
      }
      await this.serial(id, () => this.dispatcher.dispatch(commands, instance));
    }
    return counts;
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
    this.dispatcher.close();
    await Promise.allSettled([...this.chains.values()]);
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

  private finished(id: string): void {
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
