/**
 * The embedded `Dispatcher`: runs task attempts in-process (at most `concurrency` at once, an
 * AbortSignal per attempt) and arms timers with `setTimeout`. Results and due timers come back as
 * runtime events through `deliver`.
 *
 *   const d = new InProcessDispatcher({ tasks, now, concurrency: 8, deliver: (id, ev) => engine.deliver(id, ev) });
 *   await d.dispatch([{ type: 'sendTask', instanceId: 'i-1', taskId: 'n3.s1', task: 'inc', args: [1], attempt: 1, timeoutMs: 30000 }]);
 *
 * Each attempt runs through the task SDK's `invokeTask` (`sdk/node/core.ts`), the same runner a
 * task Lambda uses: same context (with `deadline` and `signal`), timeout, error mapping, result
 * conversion and `TaskNotFound`.
 *
 * An attempt's time starts when it starts, not while it waits for a slot: one that had to wait
 * reports `taskStarted` when it begins (the runtime then moves its timeout timer to start +
 * timeout, durably), and until then this class holds back that attempt's timeout timer if it
 * comes due, so 100 one-second tasks with a 3 s timeout and 16 slots all run and all succeed.
 * An attempt whose timeout timer is cancelled while it waits (the instance was cancelled or ended)
 * is dropped without running.
 *
 * Timers are durable because the instance row holds them (`instance.timers`): this class only keeps
 * in-memory handles, and the engine re-arms every pending timer from the store on restart
 * (`resumeAll`). Commands are idempotent here too: the same attempt or the same timer dispatched
 * twice (a resend, a restart) runs or is armed once.
 */
import type { Dispatcher } from '../../runtime/ports.ts';
import { eventIds, timerIds, type DispatchCommand, type Instance, type RuntimeEvent } from '../../runtime/types.ts';
import { invokeTask } from '../../sdk/node/core.ts';
import type { AttemptOutcome, TaskProcess, TaskRegistry } from './tasks.ts';

type SendTask = Extract<DispatchCommand, { type: 'sendTask' }>;

/** One attempt from dispatch to its outcome. */
interface Job {
  c: SendTask;
  key: string;
  /** Key of the attempt's timeout timer (`instanceId\0timerId`). */
  timeoutKey: string;
  /** Set when it could not start at once: it reports `taskStarted` when it does. */
  waited?: boolean;
  /** Epoch ms (by `now`) it started running. */
  startedAt?: number;
  /** Epoch ms it must end by: start + timeout (`invokeTask` gets it as `latestDeadline`). */
  deadlineAt: number;
  /** Its timeout timer came due while it waited: re-armed from its start. */
  timeoutHeld?: boolean;
}

/** Default of `concurrency`: task attempts running at once in one process. */
export const DEFAULT_CONCURRENCY = 16;
/** Largest `concurrency` accepted. */
export const MAX_CONCURRENCY = 10_000;

/** Checks a concurrency setting; gives the number or throws a RangeError naming what is wrong. */
export function checkConcurrency(n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    throw new RangeError(`concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got ${String(n)}`);
  }
  return n;
}

export interface InProcessDispatcherOptions {
  tasks: TaskRegistry;
  now: () => Date;
  /** Task attempts running at the same time (default DEFAULT_CONCURRENCY, 16). */
  concurrency?: number;
  deliver: (instanceId: string, event: RuntimeEvent) => void;
  /**
   * Asked just before an attempt starts: may this process run the instance's work now (the
   * engine's lease)? When not, the attempt is dropped here (another process runs it).
   */
  mayRun?: (instanceId: string) => boolean;
  /** Called when an instance reaches a final status (after it was saved). */
  onFinished?: (instanceId: string, instance: Instance | undefined) => void;
  /**
   * Tasks run by other processes (a Python tasks file): an attempt of a task one of them serves
   * goes to it instead of the in-process registry, under the same concurrency limit and deadline.
   */
  processes?: readonly TaskProcess[];
  /** Carries out `startChild` and `cancelChild` (the engine: runtime/children.ts, each in the child's queue). */
  children?: (c: Extract<DispatchCommand, { type: 'startChild' | 'cancelChild' }>) => void;
}

// setTimeout's limit is 2^31-1 ms (~24.8 days); longer sleeps re-arm in steps.
const MAX_DELAY = 2_147_483_647;

export class InProcessDispatcher implements Dispatcher {
  private readonly queue: Job[] = [];
  /** Attempts queued or running, by `${instanceId}\0${taskId}#${attempt}`. */
  private readonly active = new Map<string, Job>();
  private running = 0;
  private readonly timers = new Map<string, { fireAt: string; handle: NodeJS.Timeout }>();
  private closed = false;
  private readonly idle: (() => void)[] = [];
  /** Queued or running attempts by the key of their timeout timer. */
  private readonly byTimeout = new Map<string, Job>();
  private readonly limit: number;
  /** Which process serves a task, by task name. */
  private readonly external = new Map<string, TaskProcess>();

  constructor(private readonly opts: InProcessDispatcherOptions) {
    this.limit = checkConcurrency(opts.concurrency ?? DEFAULT_CONCURRENCY);
    for (const p of opts.processes ?? []) for (const name of p.tasks) if (!this.external.has(name)) this.external.set(name, p);
  }

  async dispatch(commands: DispatchCommand[], instance?: Instance): Promise<void> {
    if (this.closed) return;
    for (const c of commands) {
      switch (c.type) {
        case 'sendTask': {
          const key = `${c.instanceId}\0${eventIds.taskResult(c.taskId, c.attempt)}`;
          if (this.active.has(key)) break; // already queued or running: at most once per process
          const job: Job = { c, key, timeoutKey: `${c.instanceId}\0${timerIds.taskTimeout(c.taskId, c.attempt)}`, deadlineAt: Infinity };
          this.active.set(key, job);
          this.byTimeout.set(job.timeoutKey, job);
          this.queue.push(job);
          break;
        }
        case 'scheduleTimer':
          this.arm(c.instanceId, c.timerId, c.fireAt);
          break;
        case 'cancelTimer': {
          this.disarm(c.instanceId, c.timerId);
          // An attempt's timeout is cancelled when the attempt stops being outstanding (a result,
          // cancel, the instance ended): if it is still waiting for a slot, it need not run at all.
          const job = this.byTimeout.get(`${c.instanceId}\0${c.timerId}`);
          if (job && job.startedAt === undefined) this.drop(job);
          break;
        }
        case 'finished':
          // The finishing transition already sent a cancelTimer for each pending timer.
          this.opts.onFinished?.(c.instanceId, instance);
          break;
        case 'startChild':
        case 'cancelChild':
          if (!this.opts.children) throw new Error(`this dispatcher cannot carry out ${c.type} (no children handler)`);
          this.opts.children(c);
          break;
        case 'notifyParent':
          this.opts.deliver(c.parentId, c.event);
          break;
        default: {
          const never: never = c;
          throw new Error(`unexpected command ${JSON.stringify(never)}`);
        }
      }
    }
    this.pump();
    // What could not start now waits for a slot: it will report when it starts.
    for (const job of this.queue) job.waited = true;
  }

  /** Drops the queued attempts and disarms the timers of an instance this process no longer runs. */
  forget(instanceId: string): void {
    for (const job of [...this.queue]) if (job.c.instanceId === instanceId) this.drop(job);
    for (const [key, t] of [...this.timers]) {
      if (key.startsWith(`${instanceId}\0`)) {
        clearTimeout(t.handle);
        this.timers.delete(key);
      }
    }
  }

  /** Task attempts queued or running. */
  get busy(): number {
    return this.active.size;
  }

  /** Armed timers. */
  get armed(): number {
    return this.timers.size;
  }

  /** Resolves when no task attempt is queued or running. */
  whenIdle(): Promise<void> {
    if (this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Stops: clears timers, drops queued attempts; running attempts finish but are not reported. */
  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t.handle);
    this.timers.clear();
    this.queue.length = 0;
  }

  private nowMs(): number {
    return this.opts.now().getTime();
  }

  private done(job: Job): void {
    if (this.active.get(job.key) === job) this.active.delete(job.key);
    if (this.byTimeout.get(job.timeoutKey) === job) this.byTimeout.delete(job.timeoutKey);
    if (this.active.size === 0) for (const f of this.idle.splice(0)) f();
  }

  /** Removes a job that has not started. */
  private drop(job: Job): void {
    const k = this.queue.indexOf(job);
    if (k >= 0) this.queue.splice(k, 1);
    this.done(job);
  }

  private pump(): void {
    while (!this.closed && this.running < this.limit && this.queue.length > 0) {
      const job = this.queue.shift()!;
      const { c } = job;
      if (this.opts.mayRun && !this.opts.mayRun(c.instanceId)) {
        // Another process holds the instance now: it runs this attempt.
        this.done(job);
        continue;
      }
      job.startedAt = this.nowMs();
      job.deadlineAt = job.startedAt + c.timeoutMs;
      if (job.waited) {
        // Its clock starts now: the runtime moves the durable timeout timer; until that is applied,
        // a held timeout of this attempt is re-armed from the start here.
        this.opts.deliver(c.instanceId, { type: 'taskStarted', id: eventIds.taskStarted(c.taskId, c.attempt), taskId: c.taskId, attempt: c.attempt, token: c.token });
        if (job.timeoutHeld) this.arm(c.instanceId, timerIds.taskTimeout(c.taskId, c.attempt), new Date(job.deadlineAt).toISOString());
      }
      this.running++;
      // Why setImmediate: the caller (the driver) has just saved; running the task on a later turn
      // keeps dispatch non-blocking and keeps task code out of the driver's stack.
      setImmediate(() => void this.run(job));
    }
  }

  private async run(job: Job): Promise<void> {
    const { c } = job;
    const outcome = await this.attempt(job);
    this.running--;
    this.done(job);
    if (outcome && !this.closed) {
      const base = {
        type: 'taskResult' as const,
        id: eventIds.taskResult(c.taskId, c.attempt),
        taskId: c.taskId,
        attempt: c.attempt,
        token: c.token,
        ...(outcome.durationMs !== undefined ? { durationMs: outcome.durationMs } : {}),
      };
      this.opts.deliver(c.instanceId, outcome.ok ? { ...base, ok: true, result: outcome.result } : { ...base, ok: false, error: outcome.error });
    }
    this.pump();
  }

  /** Runs one attempt; `undefined` when it timed out (the runtime's durable timeout timer reports it). */
  private async attempt(job: Job): Promise<AttemptOutcome | undefined> {
    const external = this.external.get(job.c.task);
    if (external && !Object.hasOwn(this.opts.tasks, job.c.task)) return external.run(job.c, job.deadlineAt);
    const outcome = await invokeTask(this.opts.tasks, job.c, { now: () => this.nowMs(), latestDeadline: job.deadlineAt });
    if (outcome.ok) return { ok: true, result: outcome.result, durationMs: outcome.durationMs };
    // The runtime's own (durable) timeout timer for this attempt reports the timeout; reporting it
    // here too would only race it. The task's signal has been aborted by invokeTask.
    return outcome.timedOut ? undefined : { ok: false, error: outcome.error, durationMs: outcome.durationMs };
  }

  private arm(instanceId: string, timerId: string, fireAt: string): void {
    const key = `${instanceId}\0${timerId}`;
    const existing = this.timers.get(key);
    if (existing && existing.fireAt === fireAt) return;
    if (existing) clearTimeout(existing.handle);
    const delay = Math.max(0, Date.parse(fireAt) - this.opts.now().getTime());
    const handle = setTimeout(
      () => {
        this.timers.delete(key);
        if (this.closed) return;
        // Not due yet (a long sleep in 24.8-day steps, or a timer that woke a millisecond early).
        if (Date.parse(fireAt) > this.opts.now().getTime()) this.arm(instanceId, timerId, fireAt);
        else if (!this.holdTimeout(key, instanceId, timerId)) this.opts.deliver(instanceId, { type: 'timerFired', id: eventIds.timer(timerId), timerId });
      },
      Math.min(delay, MAX_DELAY),
    );
    this.timers.set(key, { fireAt, handle });
  }

  /**
   * A due timeout timer of an attempt of this process that has not had its time yet: held (it
   * waits for a slot) or re-armed for start + timeout (it started later than it was sent). True
   * when held back.
   */
  private holdTimeout(key: string, instanceId: string, timerId: string): boolean {
    const job = this.byTimeout.get(key);
    if (!job || this.active.get(job.key) !== job) return false;
    if (job.startedAt === undefined) {
      job.timeoutHeld = true;
      return true;
    }
    if (this.nowMs() >= job.deadlineAt) return false;
    this.arm(instanceId, timerId, new Date(job.deadlineAt).toISOString());
    return true;
  }

  private disarm(instanceId: string, timerId: string): void {
    const key = `${instanceId}\0${timerId}`;
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t.handle);
      this.timers.delete(key);
    }
  }
}
