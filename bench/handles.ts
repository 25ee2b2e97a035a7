/**
 * The cost of handles and cancellation in the interpreter, side by side in one run: one await per
 * loop iteration (a start/resume cycle each, the state JSON round-tripped as a store would), by
 * form — a direct `await t(i)` (the baseline), a handle kept in a variable and awaited, a race of a
 * task against a timer, `Promise.all` of two handles, a child workflow (its start command and its
 * end, the interpreter's part only), a signal handle —, then making and dropping
 * many handles in one activation (the sweep's cost), and a cancel that compensates.
 *
 *   benchAwaitForms(2_000)   // [{ name, awaits, usPerAwait, vsDirect, stateBytes }, …]
 *   benchHandleBatch(500)    // { handles, usPerHandle }
 */
import { compile, resume, start, type Activation, type ExecOptions, type ExecState, type Program, type WorkflowEvent } from '../dsl/index.ts';

const HEAD = 'task t(i: number): number\n';

/** Loops of `n` iterations with one await of the named form each. */
export const AWAIT_FORMS: Record<string, string> = {
  'await t(i)': `${HEAD}workflow w(n: number): number {
  let sum = 0
  for (let i = 0; i < n; i++) { sum += await t(i) }
  return sum
}`,
  'const h = t(i); await h': `${HEAD}workflow w(n: number): number {
  let sum = 0
  for (let i = 0; i < n; i++) {
    const h = t(i)
    sum += await h
  }
  return sum
}`,
  'await Promise.race([t(i), sleep("1h")])': `${HEAD}workflow w(n: number): number {
  let sum = 0
  for (let i = 0; i < n; i++) {
    const r = await Promise.race([t(i), sleep("1h")])
    sum += r
  }
  return sum
}`,
  'await Promise.all([h1, h2])': `${HEAD}workflow w(n: number): number {
  let sum = 0
  for (let i = 0; i < n; i++) {
    const a = t(i)
    const b = t(i + 1)
    const [x, y] = await Promise.all([a, b])
    sum += x + y
  }
  return sum
}`,
  'await workflows.kid({ i }) (a child workflow)': `workflow w(n: number): number {
  let sum = 0
  for (let i = 0; i < n; i++) { sum += await workflows.kid({ i }) }
  return sum
}`,
  'await signal(["a", "b"]) kept as a handle': `workflow w(n: number): number {
  let sum = 0
  for (let i = 0; i < n; i++) {
    const s = signal(["a", "b"])
    const v = await s
    sum += v.payload
  }
  return sum
}`,
};

const options = (): ExecOptions => ({
  now: () => new Date(0),
  uuid: () => '00000000-0000-4000-8000-000000000000',
  maxSteps: 1e9,
  instance: { id: 'bench', startedAt: new Date(0).toISOString() },
});

function compiled(name: string, src: string): Program {
  const { program, diagnostics } = compile(src, 'bench.workflow');
  if (!program) throw new Error(`${name}: ${diagnostics.map((d) => d.message).join('\n')}`);
  return program;
}

/** Answers every command of an activation at once: tasks with their argument, signals with 1; timers never fire. */
function answers(a: Activation): WorkflowEvent[] {
  const out: WorkflowEvent[] = [];
  for (const c of a.commands) {
    if (c.type === 'scheduleTask') out.push({ type: 'taskCompleted', id: c.id, result: c.args[0] as number });
    else if (c.type === 'waitForSignal') out.push({ type: 'signal', name: c.name, payload: 1 });
    else if (c.type === 'startChild' && !c.detached) out.push({ type: 'childCompleted', id: c.id, result: (c.input as { i: number }).i });
  }
  return out;
}

/** Runs `program` to its end; gives the awaits made and the largest state seen. */
function drive(program: Program, n: number): { awaits: number; maxBytes: number } {
  const o = options();
  let a = start(program, { n }, o);
  let awaits = 0;
  let maxBytes = a.stateBytes;
  const queue: WorkflowEvent[] = answers(a);
  while (a.state.status === 'waiting') {
    const e = queue.shift();
    if (!e) throw new Error('stuck');
    const next = resume(program, JSON.parse(JSON.stringify(a.state)) as ExecState, e, o);
    if (next.ignored) continue;
    a = next;
    awaits++;
    maxBytes = Math.max(maxBytes, a.stateBytes);
    queue.push(...answers(a));
  }
  if (a.state.status !== 'completed') throw new Error(`did not complete: ${JSON.stringify(a.state.error)}`);
  return { awaits, maxBytes };
}

export interface AwaitFormCost {
  name: string;
  /** Activations (resumes) in the run. */
  awaits: number;
  /** Microseconds per loop iteration (its resumes, JSON round trips and statements), best of the rounds. */
  usPerIteration: number;
  vsDirect: number;
  /** Largest serialised state while it ran. */
  stateBytes: number;
}

export function benchAwaitForms(iterations = 2_000, rounds = 3): AwaitFormCost[] {
  const rows: AwaitFormCost[] = [];
  for (const [name, src] of Object.entries(AWAIT_FORMS)) {
    const program = compiled(name, src);
    drive(program, 50);
    let best = Infinity;
    let run = { awaits: 0, maxBytes: 0 };
    for (let r = 0; r < rounds; r++) {
      const t0 = process.hrtime.bigint();
      run = drive(program, iterations);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000);
    }
    rows.push({ name, awaits: run.awaits, usPerIteration: best / iterations, vsDirect: 0, stateBytes: run.maxBytes });
  }
  for (const r of rows) r.vsDirect = r.usPerIteration / rows[0]!.usPerIteration;
  return rows;
}

const BATCH = (n: number) => `workflow w() {
  for (let i = 0; i < ${n}; i++) { const h = sleep("1h") }
  await sleep("1s")
  return 1
}`;

/** Making `n` sleep handles in one activation that are all dropped at its end (the sweep cancels their timers). */
export function benchHandleBatch(n = 900, rounds = 3): { handles: number; usPerHandle: number; cancelTimers: number } {
  const program = compiled('batch', BATCH(n));
  let best = Infinity;
  let cancels = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    const a = start(program, {}, options());
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000);
    cancels = a.commands.filter((c) => c.type === 'cancelTimer').length;
  }
  return { handles: n, usPerHandle: best / n, cancelTimers: cancels };
}

const CANCEL = `task undo(i: number): void
workflow w(n: number) {
  const hs = []
  for (let i = 0; i < n; i++) hs.push(sleep("1h"))
  try {
    await signal("never")
  } catch (e) {
    await undo(1)
  }
}`;

/** A cancel that compensates, with `n` handles outstanding: the resume of the cancel event, in µs. */
export function benchCancel(n = 100, rounds = 5): { outstanding: number; usCancel: number } {
  const program = compiled('cancel', CANCEL);
  const a = start(program, { n }, options());
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const state = JSON.parse(JSON.stringify(a.state)) as ExecState;
    const t0 = process.hrtime.bigint();
    const b = resume(program, state, { type: 'cancel', reason: 'bench' }, options());
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000);
    if (!b.commands.some((c) => c.type === 'scheduleTask')) throw new Error('the cancel did not compensate');
  }
  return { outstanding: n, usCancel: best };
}
