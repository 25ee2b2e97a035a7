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

/** Records what the core asks for: task attempts to run, timers to fire. Nothing runs by itself. */
export class TestDispatcher implements Dispatcher {
  private queued: { c: SendTask; line: number; col: number }[] = [];
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
      }
    }
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
