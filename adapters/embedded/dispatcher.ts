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
  private readonly queue: SendTask[] = [];
  /** Attempts queued or running, by `${instanceId}\0${taskId}#${attempt}`. */
  private readonly active = new Set<string>();
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
          this.active.add(key);
          this.queue.push(c);
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

  private pump(): void {
    const limit = this.opts.concurrency ?? 16;
    while (!this.closed && this.running < limit && this.queue.length > 0) {
      const c = this.queue.shift()!;
      this.running++;
      // Why setImmediate: the caller (the driver) has just saved; running the task on a later turn
      // keeps dispatch non-blocking and keeps task code out of the driver's stack.
      setImmediate(() => void this.run(c));
    }
  }

  private async run(c: SendTask): Promise<void> {
    const key = `${c.instanceId}\0${eventIds.taskResult(c.taskId, c.attempt)}`;
    const outcome = await this.attempt(c);
    this.running--;
    this.active.delete(key);
    if (outcome && !this.closed) {
      const base = { type: 'taskResult' as const, id: eventIds.taskResult(c.taskId, c.attempt), taskId: c.taskId, attempt: c.attempt };
      this.opts.deliver(c.instanceId, outcome.ok ? { ...base, ok: true, result: outcome.result } : { ...base, ok: false, error: outcome.error });
    }
    if (this.active.size === 0) for (const f of this.idle.splice(0)) f();
    this.pump();
  }

  /** Runs one attempt; `undefined` when it timed out (the runtime's durable timeout timer reports it). */
  private async attempt(c: SendTask): Promise<AttemptOutcome | undefined> {
    const fn = this.opts.tasks[c.task];
    if (!fn) {
      return {
        ok: false,
        error: { message: `no implementation for task '${c.task}' in the tasks module`, type: 'TaskNotFound', retryable: false },
      };
    }
    const controller = new AbortController();
    const ctx: TaskContext = {
      instanceId: c.instanceId,
      taskId: c.taskId,
      task: c.task,
      idempotencyKey: idempotencyKey(c.instanceId, c.taskId),
      attempt: c.attempt,
      signal: controller.signal,
    };
    let handle: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      handle = setTimeout(() => {
        controller.abort(new Error(`task ${c.task} timed out after ${c.timeoutMs}ms`));
        resolve(undefined);
      }, Math.min(c.timeoutMs, MAX_DELAY));
    });
    const work = (async (): Promise<AttemptOutcome> => {
      try {
        return toResult(await fn(...c.args, ctx));
      } catch (e) {
        return { ok: false, error: toTaskError(e) };
      }
    })();
    try {
      return await Promise.race([work, timedOut]);
    } finally {
      clearTimeout(handle);
    }
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
