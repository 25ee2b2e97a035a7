/**
 * Runs a workflow in a test, in-process, on the runtime core itself (`runtime/driver.ts`: the same
 * `startWorkflow` / `advance` / `signalInstance` / `cancelInstance` the engines call) over the
 * in-memory store, with a clock that only moves when the test says so — or, in `finish()`, when
 * nothing else can happen. So a workflow that sleeps 30 days finishes its test in milliseconds.
 *
 *   const wf = testWorkflow('workflows/approval.workflow', { tasks: { requestApproval: returns(null), notify: returns(null) } });
 *   const run = await wf.start({ requestId: 'r-1' });   // runs until it waits (tasks run, no time passes)
 *   await run.skip('1d');                               // a day later…
 *   await run.signal('approval', { approved: true });   // …someone approves
 *   await run.finish();                                 // to the end, skipping time past any sleep
 *   run.status; run.result; run.callsOf('notify'); run.steps;
 *
 * Each `start` is a world of its own (store, clock, tasks' call counts): runs never share state.
 * Task attempts dispatched together run together; their results are applied in dispatch order, so
 * a run is deterministic when its task implementations are.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile, formatDuration, parseDuration, type Program } from '../dsl/index.ts';
import { advance, cancelInstance, ProgramCache, signalInstance, startWorkflow, type RuntimeDeps } from '../runtime/driver.ts';
import { DefinitionError } from '../runtime/errors.ts';
import { MemoryStore } from '../runtime/memory.ts';
import { eventIds, isFinal, type Instance, type InstanceStatus, type Limits, type RuntimeEvent, type StepLog, type Value, type WorkflowError } from '../runtime/types.ts';
import { instanceView, pendingOf, type InstanceView } from '../runtime/view.ts';
import { invokeTask, type TaskModule } from '../sdk/node/core.ts';
import { TestDispatcher, type SendTask, type StartChild } from './dispatcher.ts';
import { TaskScripts, type TaskBehaviour } from './scripts.ts';

/** Where the clock of a test starts unless `startAt` says otherwise. */
export const DEFAULT_START = '2025-01-01T00:00:00.000Z';

export interface TestWorkflowOptions {
  /**
   * What each task does: a module (`import * as tasks from './tasks.ts'`) or an object of
   * implementations and scripted outcomes (`returns`, `fails`, `timesOut`, or a list of them, one
   * per call). A task with none fails its call, not retried, saying so.
   */
  tasks?: TaskModule | Record<string, TaskBehaviour>;
  /** The clock's start (default 2025-01-01T00:00:00Z): `now()` in the workflow, the step log's times. */
  startAt?: Date | string;
  /** Interpreter limits, as on the engine. */
  limits?: Limits;
}

/** One call of a task (one attempt), in the order they were made. */
export interface TaskCall {
  task: string;
  args: Value[];
  /** 1 for the first attempt of an await, 2 for its first retry, … */
  attempt: number;
  /** The await's id in the workflow (stable across attempts); `ctx.idempotencyKey` is `<instance id>/<taskId>`. */
  taskId: string;
  /** Where the workflow awaited it. */
  line: number;
  col: number;
  /** The test clock when it was called (ISO). */
  at: string;
}

export interface FinishOptions {
  /** Give up (throw) when the workflow needs the clock moved further than this (default "36500d"). */
  within?: string | number;
  /** Give up after firing this many timers (default 10,000): a workflow that never ends. */
  maxTimers?: number;
}

export interface TestWorkflow<I = Record<string, unknown>, O = Value> {
  /** The workflow's name (`workflow name(…)`). */
  readonly name: string;
  /** Starts a run and lets it go as far as it can without the clock moving; `id` defaults to `<name>-test`. */
  start(input: I, opts?: { id?: string }): Promise<TestRun<O>>;
  /** `start` then `finish`. */
  run(input: I, opts?: { id?: string } & FinishOptions): Promise<TestRun<O>>;
}

/**
 * Compiles the workflow (a `.workflow` path, a file URL, or `{ source }`); throws a
 * `DefinitionError` listing every diagnostic when it does not check.
 */
export function testWorkflow<I = Record<string, unknown>, O = Value>(
  workflow: string | URL | { source: string; file?: string },
  options: TestWorkflowOptions = {},
): TestWorkflow<I, O> {
  const definition = readDefinition(workflow);
  const { program, diagnostics } = compile(definition.source, definition.file);
  if (!program) throw new DefinitionError(diagnostics, definition.source, definition.file);
  const scripts = new TaskScripts(options.tasks ?? {});
  for (const name of scripts.scripted()) {
    // `workflows.<name>` scripts the child workflow of that name (its result, or its failure)
    if (!name.startsWith('workflows.') && !program.tasks.some((t) => t.name === name)) {
      throw new TypeError(`tasks.${name}: ${definition.file} declares no task '${name}' (it declares: ${program.tasks.map((t) => t.name).join(', ') || 'none'})`);
    }
  }
  const startMs = Date.parse(options.startAt === undefined ? DEFAULT_START : new Date(options.startAt).toISOString());
  const start = async (input: I, opts: { id?: string } = {}) => {
    const run = new TestRun<O>(program, scripts, startMs, options.limits);
    await run.begin(definition, input, opts.id ?? `${program.workflow.name}-test`);
    return run;
  };
  return {
    name: program.workflow.name,
    start,
    run: async (input, opts = {}) => (await start(input, opts)).finish(opts),
  };
}

function readDefinition(workflow: string | URL | { source: string; file?: string }): { source: string; file: string } {
  if (typeof workflow === 'object' && !(workflow instanceof URL)) return { source: workflow.source, file: workflow.file ?? 'test.workflow' };
  const path = workflow instanceof URL ? fileURLToPath(workflow) : workflow;
  return { source: readFileSync(path, 'utf8'), file: path };
}

/** One run of a workflow in a test: drive it (`skip`, `signal`, `cancel`, `finish`) and look at it. */
export class TestRun<O = Value> {
  private readonly store = new MemoryStore();
  private readonly dispatcher = new TestDispatcher();
  private readonly deps: RuntimeDeps;
  private readonly startedAt: number;
  private clockMs: number;
  private ids = 0;
  private current!: Instance;
  private readonly made: TaskCall[] = [];
  private readonly callsPerTask = new Map<string, number>();
  /** Answers scripted with `{ after }`: delivered when the clock reaches `at`, in order. */
  private readonly late: { at: number; event: RuntimeEvent }[] = [];

  /** @internal — made by `testWorkflow(…).start(…)`. */
  constructor(
    private readonly program: Program,
    private readonly scripts: TaskScripts,
    startMs: number,
    limits: Limits | undefined,
  ) {
    this.startedAt = this.clockMs = startMs;
    this.deps = {
      store: this.store,
      dispatcher: this.dispatcher,
      programs: new ProgramCache(this.store),
      clock: {
        now: () => new Date(this.clockMs),
        uuid: () => `00000000-0000-4000-8000-${String(++this.ids).padStart(12, '0')}`,
      },
      limits,
    };
  }

  /** @internal */
  async begin(definition: { source: string; file: string }, input: unknown, id: string): Promise<void> {
    const { instance } = await startWorkflow(this.deps, definition, input, { id });
    this.current = instance;
    await this.settle();
  }

  // --- looking at it ----------------------------------------------------------------------------

  get id(): string {
    return this.current.id;
  }
  get status(): InstanceStatus {
    return this.current.status;
  }
  /** The workflow's return value once `completed`. */
  get result(): O | undefined {
    return this.current.result as O | undefined;
  }
  /** Why it `failed` (`code`, `message`, `line`, …; CR007 for a task that failed for good), or `CANCELLED`. */
  get error(): WorkflowError | undefined {
    return this.current.error;
  }
  /** The whole instance as the store holds it (state, outstanding work, step log). */
  get instance(): Instance {
    return this.current;
  }
  /** The step log, oldest first (the last 200 steps, as on the engine). */
  get steps(): StepLog[] {
    return this.current.steps;
  }
  /** The lines the workflow logged with `console.*`, in order. */
  get logs(): string[] {
    return this.current.steps.filter((s) => s.kind === 'log').map((s) => s.outcome);
  }
  /** Every task call (attempt) so far, in order. */
  get calls(): TaskCall[] {
    return [...this.made];
  }
  /** The calls of one task, in order. */
  callsOf(task: string): TaskCall[] {
    return this.made.filter((c) => c.task === task);
  }
  /** The test clock now. */
  get now(): Date {
    return new Date(this.clockMs);
  }
  /** How far the clock has moved since the start, in ms. */
  get elapsedMs(): number {
    return this.clockMs - this.startedAt;
  }
  /** The signals the workflow is waiting for now. */
  get waitingFor(): string[] {
    return pendingOf(this.current).signals.map((s) => s.name);
  }
  /** The status view the CLI and the API show (current line, variables, pending work, steps). */
  view(): InstanceView {
    return instanceView(this.current);
  }

  // --- driving it -------------------------------------------------------------------------------

  /**
   * Runs whatever can happen without the clock moving: task calls and their results, timers
   * already due. `start`, `skip`, `signal` and `cancel` end with this.
   */
  async settle(): Promise<this> {
    for (;;) {
      const children = this.dispatcher.takeChildren();
      if (children.length > 0) {
        for (const c of children) {
          const e = await this.child(c);
          if (e) await advance(this.deps, this.current.id, e);
        }
        continue;
      }
      const batch = this.dispatcher.takeAttempts();
      if (batch.length > 0) {
        // Together, like the engine; results applied in dispatch order, so runs are repeatable.
        const events = await Promise.all(batch.map((a) => this.call(a.c, a.line, a.col)));
        for (const e of events) if (e) await advance(this.deps, this.current.id, e);
        continue;
      }
      const next = this.earliest();
      if (next && next.fireAt <= this.clockMs) {
        await advance(this.deps, this.current.id, this.take(next));
        continue;
      }
      break;
    }
    this.current = (await this.store.load(this.current.id))!;
    return this;
  }

  /** Moves the clock forward by `duration` ("30s", "2d", or ms), firing every timer that comes due on the way, in order. */
  async skip(duration: string | number): Promise<this> {
    const target = this.clockMs + toMs(duration, 'skip');
    await this.settle();
    for (;;) {
      const next = this.earliest();
      if (!next || next.fireAt > target) break;
      this.clockMs = Math.max(this.clockMs, next.fireAt);
      await this.settle();
    }
    this.clockMs = target;
    return this.settle();
  }

  /** Sends a signal now (a `SignalRejectedError` if the instance refuses it), then settles. */
  async signal(name: string, payload: Value = null, opts: { signalId?: string } = {}): Promise<this> {
    await signalInstance(this.deps, this.current.id, name, payload, opts.signalId);
    return this.settle();
  }

  /** Cancels the run now, then settles. */
  async cancel(reason?: string): Promise<this> {
    await cancelInstance(this.deps, this.current.id, reason);
    return this.settle();
  }

  /**
   * Runs to the end: whenever nothing else can happen, the clock jumps to the next timer (a sleep,
   * a signal's timeout, a retry's backoff, a task's timeout). Throws when the workflow waits for
   * something only the test can give (a signal without a timeout), or would need more than
   * `within` / `maxTimers` to end.
   */
  async finish(opts: FinishOptions = {}): Promise<this> {
    const horizon = this.clockMs + toMs(opts.within ?? '36500d', 'finish: within');
    const maxTimers = opts.maxTimers ?? 10_000;
    await this.settle();
    for (let fired = 0; !isFinal(this.current.status); fired++) {
      const next = this.earliest();
      if (!next) throw new Error(this.stuck());
      if (next.fireAt > horizon || fired >= maxTimers) {
        throw new Error(
          `${this.program.workflow.name} is still ${this.current.status} after ${formatDuration(this.clockMs - this.startedAt)} of test time and ${fired} timers ` +
            `(finish gives up ${next.fireAt > horizon ? `past ${formatDuration(horizon - this.startedAt)}: pass { within }` : `after ${maxTimers} timers: pass { maxTimers }`} if that is expected)`,
        );
      }
      this.clockMs = Math.max(this.clockMs, next.fireAt);
      await this.settle();
    }
    return this;
  }

  private stuck(): string {
    const { signals, tasks } = pendingOf(this.current);
    const name = this.program.workflow.name;
    if (signals.length > 0) {
      const s = signals[0]!;
      return `${name} is waiting for signal "${s.name}"${s.line ? ` (line ${s.line})` : ''} and nothing else can move it: send it first, e.g. await run.signal(${JSON.stringify(s.name)}, payload)`;
    }
    return `${name} is ${this.current.status} with nothing left to run or fire (${tasks.length} task attempts outstanding)`;
  }

  /**
   * A child workflow the run started: answered by the script of the task `workflows.<name>` (its
   * input as the one argument), as its end reaching the parent: a value completes it, a failure
   * fails it (`code` = the failure's type). A detached child is only recorded as a call.
   */
  private async child(c: StartChild): Promise<RuntimeEvent | undefined> {
    const task = `workflows.${c.workflow}`;
    const send: SendTask = { type: 'sendTask', instanceId: c.instanceId, taskId: c.handle, task, args: [c.input], attempt: 1, timeoutMs: 300_000 };
    const n = (this.callsPerTask.get(task) ?? 0) + 1;
    this.callsPerTask.set(task, n);
    const at = this.current.children?.[c.handle]?.at;
    this.made.push({ task, args: [c.input], attempt: 1, taskId: c.handle, line: at?.line ?? 0, col: at?.col ?? 0, at: new Date(this.clockMs).toISOString() });
    if (c.detached) return undefined;
    const plan = this.scripts.plan(task, n);
    if ('hang' in plan) return undefined;
    const outcome = await invokeTask({ [task]: plan.run }, send, { now: () => this.clockMs });
    const base = { type: 'childResult' as const, id: eventIds.child(c.childId), handle: c.handle, childId: c.childId };
    const event: RuntimeEvent = outcome.ok
      ? { ...base, ok: true, result: outcome.result }
      : { ...base, ok: false, failure: { status: 'failed', code: outcome.error.type ?? 'CR007', message: outcome.error.message } };
    if (plan.afterMs === undefined) return event;
    this.late.push({ at: this.clockMs + plan.afterMs, event });
    return undefined;
  }

  /** Calls one attempt as its script says; the result event, or none when it never answers. */
  private async call(c: SendTask, line: number, col: number): Promise<RuntimeEvent | undefined> {
    const n = (this.callsPerTask.get(c.task) ?? 0) + 1;
    this.callsPerTask.set(c.task, n);
    this.made.push({ task: c.task, args: c.args, attempt: c.attempt, taskId: c.taskId, line, col, at: new Date(this.clockMs).toISOString() });
    const plan = this.scripts.plan(c.task, n);
    // Never answers: the attempt stays outstanding until the clock passes its timeout timer.
    if ('hang' in plan) return undefined;
    const outcome = await invokeTask({ [c.task]: plan.run }, c, { now: () => this.clockMs });
    // An implementation that ran past its timeout in real time: the runtime's timeout timer decides, as on the engine.
    if (!outcome.ok && outcome.timedOut) return undefined;
    const base = { type: 'taskResult' as const, id: eventIds.taskResult(c.taskId, c.attempt), taskId: c.taskId, attempt: c.attempt, token: c.token };
    const event: RuntimeEvent = outcome.ok ? { ...base, ok: true, result: outcome.result } : { ...base, ok: false, error: outcome.error };
    if (plan.afterMs === undefined) return event;
    // A slow answer: it arrives when the clock gets there (after a timeout, it is a duplicate the core ignores).
    this.late.push({ at: this.clockMs + plan.afterMs, event });
    return undefined;
  }

  /** What comes due first: a timer the core asked for or a late answer (ties: timers first, then in order made). */
  private earliest(): { fireAt: number; timerId?: string; late?: number } | undefined {
    const timer = this.dispatcher.earliest();
    let late: { fireAt: number; late: number } | undefined;
    this.late.forEach((l, i) => {
      if (!late || l.at < late.fireAt) late = { fireAt: l.at, late: i };
    });
    if (timer && (!late || timer.fireAt <= late.fireAt)) return { fireAt: timer.fireAt, timerId: timer.id };
    return late;
  }

  /** Removes what `earliest` found from its list and gives the event it delivers. */
  private take(next: { timerId?: string; late?: number }): RuntimeEvent {
    if (next.timerId !== undefined) {
      this.dispatcher.timers.delete(next.timerId);
      return { type: 'timerFired', id: eventIds.timer(next.timerId), timerId: next.timerId };
    }
    return this.late.splice(next.late!, 1)[0]!.event;
  }
}

function toMs(d: string | number, what: string): number {
  const ms = parseDuration(d);
  if (typeof ms !== 'number') throw new TypeError(`${what}: ${ms.error}`);
  return ms;
}
