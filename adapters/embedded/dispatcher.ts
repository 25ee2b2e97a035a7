/**
 * The embedded `Dispatcher`: runs task attempts in-process (with a concurrency limit and an
 * AbortSignal per attempt) and arms timers with `setTimeout`. Results and due timers come back as
 * runtime events through `deliver`.
 *
 *   const d = new InProcessDispatcher({ tasks, clock, concurrency: 8, deliver: (id, ev) => engine.deliver(id, ev) });
 *   await d.dispatch([{ type: 'sendTask', instanceId: 'i-1', taskId: 'n3.s1', task: 'inc', args: [1], attempt: 1, timeoutMs: 30000 }]);
 *
 * Each attempt runs through the task SDK's `invokeTask` (`sdk/node/core.ts`), the same runner a
 * task Lambda uses: same context (with `deadline` and `signal`), timeout, error mapping, result
 * conversion and `TaskNotFound`.
 *
 * Timers are durable because the instance row holds them (`instance.timers`): this class only keeps
 * in-memory handles, and the engine re-arms every pending timer from the store on restart
 * (`resumeAll`). Commands are idempotent here too: the same attempt or the same timer dispatched
 * twice (a resend, a restart) runs or is armed once.
 */
import type { Dispatcher } from '../../runtime/ports.ts';
import { eventIds, type DispatchCommand, type Instance, type RuntimeEvent } from '../../runtime/types.ts';
import { invokeTask } from '../../sdk/node/core.ts';
import type { AttemptOutcome, TaskProcess, TaskRegistry } from './tasks.ts';

type SendTask = Extract<DispatchCommand, { type: 'sendTask' }>;

/** One attempt from dispatch to its outcome. */
interface Job {
  c: SendTask;
  key: string;
  /**
   * Epoch ms (by `now`) the attempt must end by. It runs from dispatch, like the runtime's timeout
   * timer, so time spent waiting for a slot counts; `invokeTask` gets it as `latestDeadline`.
   */
  deadlineAt: number;
}

export interface InProcessDispatcherOptions {
  tasks: TaskRegistry;
  now: () => Date;
  /** Task attempts running at the same time (default 16). */
  concurrency?: number;
  deliver: (instanceId: string, event: RuntimeEvent) => void;
  /** Called when an instance reaches a final status (after it was saved). */
  onFinished?: (instanceId: string, instance: Instance | undefined) => void;
  /**
   * Tasks run by other processes (a Python tasks file): an attempt of a task one of them serves
   * goes to it instead of the in-process registry, under the same concurrency limit and deadline.
   */
  processes?: readonly TaskProcess[];
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
  /** Which process serves a task, by task name. */
  private readonly external = new Map<string, TaskProcess>();

  constructor(private readonly opts: InProcessDispatcherOptions) {
    for (const p of opts.processes ?? []) for (const name of p.tasks) if (!this.external.has(name)) this.external.set(name, p);
  }

  async dispatch(commands: DispatchCommand[], instance?: Instance): Promise<void> {
    if (this.closed) return;
    for (const c of commands) {
      switch (c.type) {
        case 'sendTask': {
          const key = `${c.instanceId}\0${eventIds.taskResult(c.taskId, c.attempt)}`;
          if (this.active.has(key)) break; // already queued or running: at most once per process
          const job = this.job(c, key);
          this.active.set(key, job);
          this.queue.push(job);
          break;
        }
        case 'scheduleTimer':
          this.arm(c.instanceId, c.timerId, c.fireAt);
          break;
        case 'cancelTimer':
          this.disarm(c.instanceId, c.timerId);
          break;
        case 'finished':
          // The finishing transition already sent a cancelTimer for each pending timer.
          this.opts.onFinished?.(c.instanceId, instance);
          break;
        default: {
          const never: never = c;
          throw new Error(`unexpected command ${JSON.stringify(never)}`);
        }
      }
    }
    this.pump();
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

  private job(c: SendTask, key: string): Job {
    return { c, key, deadlineAt: this.nowMs() + c.timeoutMs };
  }

  private nowMs(): number {
    return this.opts.now().getTime();
  }

  private forget(job: Job): void {
    if (this.active.get(job.key) === job) this.active.delete(job.key);
    if (this.active.size === 0) for (const f of this.idle.splice(0)) f();
  }

  private pump(): void {
    const limit = this.opts.concurrency ?? 16;
    while (!this.closed && this.running < limit && this.queue.length > 0) {
      const job = this.queue.shift()!;
      if (this.nowMs() >= job.deadlineAt) {
        // Timed out while waiting for a slot: never run it; the runtime's timeout timer reports it.
        this.forget(job);
        continue;
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
    this.forget(job);
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
        else this.opts.deliver(instanceId, { type: 'timerFired', id: eventIds.timer(timerId), timerId });
      },
      Math.min(delay, MAX_DELAY),
    );
    this.timers.set(key, { fireAt, handle });
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
