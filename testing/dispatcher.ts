/**
 * The dispatcher of a test run: it records what the runtime core asks for — task attempts to run,
 * timers to fire — and runs nothing by itself; `TestRun` (harness.ts) takes the attempts and fires
 * the timers when the test's clock says so.
 *
 *   const d = new TestDispatcher();
 *   await d.dispatch(commands, instance);   // from the driver
 *   d.takeAttempts();                        // [{ c: sendTask, line, col }, …] in dispatch order
 *   d.earliest();                            // { id, fireAt } of the next timer
 */
import type { Dispatcher } from '../runtime/ports.ts';
import { eventIds, type DispatchCommand, type Instance } from '../runtime/types.ts';

export type SendTask = Extract<DispatchCommand, { type: 'sendTask' }>;
export type StartChild = Extract<DispatchCommand, { type: 'startChild' }>;

/** Records what the core asks for: task attempts to run, timers to fire. Nothing runs by itself. */
export class TestDispatcher implements Dispatcher {
  private queued: { c: SendTask; line: number; col: number }[] = [];
  /** Child workflow starts not taken yet (a resend of one already taken is dropped). */
  private starts: StartChild[] = [];
  private readonly started = new Set<string>();
  private readonly sent = new Set<string>();
  /** Pending timers: id → fire time (ms). */
  readonly timers = new Map<string, number>();

  async dispatch(commands: DispatchCommand[], instance?: Instance): Promise<void> {
    for (const c of commands) {
      if (c.type === 'sendTask') {
        const key = eventIds.taskResult(c.taskId, c.attempt);
        if (this.sent.has(key)) continue; // a resend of an attempt already made
        this.sent.add(key);
        const at = instance?.tasks[c.taskId]?.at;
        this.queued.push({ c, line: at?.line ?? 0, col: at?.col ?? 0 });
      } else if (c.type === 'scheduleTimer') {
        this.timers.set(c.timerId, Date.parse(c.fireAt));
      } else if (c.type === 'cancelTimer') {
        this.timers.delete(c.timerId);
      } else if (c.type === 'startChild' && !this.started.has(c.childId)) {
        this.started.add(c.childId);
        this.starts.push(c);
      }
    }
  }

  /** The child workflow starts dispatched since the last call, in order. */
  takeChildren(): StartChild[] {
    return this.starts.splice(0);
  }

  /** The attempts dispatched since the last call, in dispatch order. */
  takeAttempts(): { c: SendTask; line: number; col: number }[] {
    return this.queued.splice(0);
  }

  /** The timer that fires first (ties: the one scheduled first). */
  earliest(): { id: string; fireAt: number } | undefined {
    let first: { id: string; fireAt: number } | undefined;
    for (const [id, fireAt] of this.timers) if (!first || fireAt < first.fireAt) first = { id, fireAt };
    return first;
  }
}
