/**
 * A test harness for the runtime core: the memory store, a recording dispatcher, a clock the test
 * moves by hand, and short-hands for the events a dispatcher would deliver.
 *
 *   const h = new Harness();
 *   const i = await h.start(SOURCE, { n: 1 });
 *   const [t] = h.sentTasks();
 *   await h.complete(t, 2);
 */
import { expect } from 'vitest';
import { advance, ProgramCache, startWorkflow, type AdvanceResult, type RuntimeDeps } from '../../runtime/driver.ts';
import { MemoryStore, RecordingDispatcher } from '../../runtime/memory.ts';
import { attemptToken } from '../../runtime/tokens.ts';
import type { DispatchCommand, Instance, RuntimeEvent, TaskError, Value } from '../../runtime/types.ts';

export type SendTask = Extract<DispatchCommand, { type: 'sendTask' }>;
export type ScheduleTimer = Extract<DispatchCommand, { type: 'scheduleTimer' }>;

export class Harness {
  nowMs = Date.parse('2026-01-01T00:00:00.000Z');
  private ids = 0;
  readonly store = new MemoryStore();
  readonly dispatcher = new RecordingDispatcher();
  readonly deps: RuntimeDeps;
  id = 'i-1';

  constructor() {
    this.deps = {
      store: this.store,
      dispatcher: this.dispatcher,
      programs: new ProgramCache(this.store),
      clock: { now: () => new Date(this.nowMs), uuid: () => `uuid-${++this.ids}` },
    };
  }

  async start(source: string, input: unknown, id = this.id): Promise<Instance> {
    this.id = id;
    return (await startWorkflow(this.deps, { source, file: 'test.workflow' }, input, { id })).instance;
  }

  async load(): Promise<Instance> {
    return (await this.store.load(this.id))!;
  }

  /** Commands dispatched since the last call. */
  take(): DispatchCommand[] {
    return this.dispatcher.take();
  }

  /** sendTask commands dispatched since the last `take`/`sentTasks` (consumes all recorded commands). */
  sentTasks(): SendTask[] {
    return this.take().filter((c): c is SendTask => c.type === 'sendTask');
  }

  send(event: RuntimeEvent): Promise<AdvanceResult> {
    return advance(this.deps, this.id, event);
  }

  /** Delivers a task result as the task would, echoing the token of the attempt it names. */
  async complete(t: Pick<SendTask, 'taskId' | 'attempt'> & { token?: string }, result: Value): Promise<AdvanceResult> {
    const token = t.token ?? (await this.token(t));
    return this.send({ type: 'taskResult', id: `${t.taskId}#${t.attempt}`, taskId: t.taskId, attempt: t.attempt, token, ok: true, result });
  }

  async fail(t: Pick<SendTask, 'taskId' | 'attempt'> & { token?: string }, error: TaskError): Promise<AdvanceResult> {
    const token = t.token ?? (await this.token(t));
    return this.send({ type: 'taskResult', id: `${t.taskId}#${t.attempt}`, taskId: t.taskId, attempt: t.attempt, token, ok: false, error });
  }

  /** The token a task sent attempt `t` echoes. */
  async token(t: Pick<SendTask, 'taskId' | 'attempt'>): Promise<string | undefined> {
    const secret = (await this.load()).secret;
    return secret === undefined ? undefined : attemptToken(secret, t.taskId, t.attempt);
  }

  /** Moves the clock to the timer's fire time and delivers it. */
  async fire(timerId: string): Promise<AdvanceResult> {
    const i = await this.load();
    const timer = i.timers[timerId];
    expect(timer, `timer ${timerId} pending`).toBeDefined();
    this.nowMs = Math.max(this.nowMs, Date.parse(timer!.fireAt));
    return this.send({ type: 'timerFired', id: `timer:${timerId}`, timerId });
  }

  signal(name: string, payload: Value, signalId = `sig-${name}-${++this.ids}`): Promise<AdvanceResult> {
    return this.send({ type: 'signal', id: signalId, name, payload });
  }

  /** Runs the instance to the end, answering each task with `answer(task, args)`. */
  async drive(answer: (task: string, args: Value[]) => Value, maxSteps = 10_000): Promise<Instance> {
    for (let k = 0; k < maxSteps; k++) {
      const tasks = this.sentTasks();
      if (tasks.length === 0) return this.load();
      for (const t of tasks) await this.complete(t, answer(t.task, t.args));
    }
    throw new Error('did not finish');
  }
}
