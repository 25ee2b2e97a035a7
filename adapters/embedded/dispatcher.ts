/**
 * The embedded `Dispatcher`: runs task attempts in-process (with a concurrency limit and an
 * AbortSignal per attempt) and arms timers with `setTimeout`. Results and due timers come back as
 * runtime events through `deliver`.
 *
 *   const d = new InProcessDispatcher({ tasks, clock, concurrency: 8, deliver: (id, ev) => engine.deliver(id, ev) });
 *   await d.dispatch([{ type: 'sendTask', instanceId: 'i-1', taskId: 'n3.s1', task: 'inc', args: [1], attempt: 1, timeoutMs: 30000 }]);
 *
 * Timers are durable because the instance row holds them (`instance.timers`): this class only keeps
 * in-memory handles, and the engine re-arms every pending timer from the store on restart
 * (`resumeAll`). Commands are idempotent here too: the same attempt or the same timer dispatched
 * twice (a resend, a restart) runs or is armed once.
 */
import type { Dispatcher } from '../../runtime/ports.ts';
import { eventIds, idempotencyKey, type DispatchCommand, type Instance, type RuntimeEvent } from '../../runtime/types.ts';
import { toResult, toTaskError, type AttemptOutcome, type TaskContext, type TaskRegistry } from './tasks.ts';

type SendTask = Extract<DispatchCommand, { type: 'sendTask' }>;

/** One attempt from dispatch to its outcome. Its deadline runs from dispatch, like the runtime's timeout timer. */
interface Job {
  c: SendTask;
  key: string;
  controller: AbortController;
  deadline: NodeJS.Timeout;
  /** Resolves (with undefined) when the deadline passes. */
  expired: Promise<undefined>;
  isExpired: boolean;
  started: boolean;
}

export interface InProcessDispatcherOptions {
  tasks: TaskRegistry;
  now: () => Date;
  /** Task attempts running at the same time (default 16). */
  concurrency?: number;
  deliver: (instanceId: string, event: RuntimeEvent) => void;
  /** Called when an instance reaches a final status (after it was saved). */
  onFinished?: (instanceId: string, instance: Instance | undefined) => void;
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

  constructor(private readonly opts: InProcessDispatcherOptions) {}

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
    for (const j of this.active.values()) clearTimeout(j.deadline);
    this.queue.length = 0;
  }

  private job(c: SendTask, key: string): Job {
    let expire: (v: undefined) => void = () => {};
    const job: Job = {
      c,
      key,
      controller: new AbortController(),
      expired: new Promise<undefined>((resolve) => (expire = resolve)),
      isExpired: false,
      started: false,
      // Armed now, before the runtime's timeout timer for the same attempt (dispatched right after
      // this sendTask with the same delay), so the task's signal is aborted before the runtime
      // counts the attempt as timed out.
      deadline: setTimeout(() => {
        job.isExpired = true;
        job.controller.abort(new Error(`task ${c.task} timed out after ${c.timeoutMs}ms`));
        expire(undefined);
        if (!job.started) this.forget(job); // never ran: it stays in the queue only as a tombstone
      }, Math.min(c.timeoutMs, MAX_DELAY)),
    };
    return job;
  }

  private forget(job: Job): void {
    clearTimeout(job.deadline);
    if (this.active.get(job.key) === job) this.active.delete(job.key);
    if (this.active.size === 0) for (const f of this.idle.splice(0)) f();
  }

  private pump(): void {
    const limit = this.opts.concurrency ?? 16;
    while (!this.closed && this.running < limit && this.queue.length > 0) {
      const job = this.queue.shift()!;
      if (job.isExpired) continue;
      job.started = true;
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
      const base = { type: 'taskResult' as const, id: eventIds.taskResult(c.taskId, c.attempt), taskId: c.taskId, attempt: c.attempt };
      this.opts.deliver(c.instanceId, outcome.ok ? { ...base, ok: true, result: outcome.result } : { ...base, ok: false, error: outcome.error });
    }
    this.pump();
  }

  /** Runs one attempt; `undefined` when it timed out (the runtime's durable timeout timer reports it). */
  private async attempt(job: Job): Promise<AttemptOutcome | undefined> {
    const { c } = job;
    const fn = this.opts.tasks[c.task];
    if (!fn) {
      return {
        ok: false,
        error: { message: `no implementation for task '${c.task}' in the tasks module`, type: 'TaskNotFound', retryable: false },
      };
    }
    const ctx: TaskContext = {
      instanceId: c.instanceId,
      taskId: c.taskId,
      task: c.task,
      idempotencyKey: idempotencyKey(c.instanceId, c.taskId),
      attempt: c.attempt,
      signal: job.controller.signal,
    };
    const work = (async (): Promise<AttemptOutcome> => {
      try {
        return toResult(await fn(...c.args, ctx));
      } catch (e) {
        return { ok: false, error: toTaskError(e) };
      }
    })();
    return Promise.race([work, job.expired]);
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
