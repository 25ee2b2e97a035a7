/**
 * Fuzz target for the interpreter: real programs (every case of the language corpus that compiles,
 * test/dsl/corpus/*.cases) with their literals mutated, run with hostile inputs, hostile task
 * results and failures, hostile signal payloads, events in any order, and the state through JSON at
 * every await (as the engines store it).
 *
 * Takes nothing; gives a fast-check arbitrary of runs and the check. The check throws only when the
 * interpreter broke its contract: an exception escaped `start`/`resume` (a crash or an "internal
 * error" for the user), a failure without a code and a message, a state that is not plain JSON.
 * Failing the workflow with a CR code (a budget, a type error at run time) is a correct outcome.
 *
 *   fc.assert(fc.property(interpreterRuns, (r) => checkRun(r)));
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, resume, start, type Activation, type ExecOptions, type Program, type Value, type WorkflowEvent } from '../../dsl/index.ts';
import { loadCases } from '../../test/dsl/corpus/run.ts';
import { hostileJson, NASTY_KEYS } from './protocol.ts';

const CORPUS = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'test', 'dsl', 'corpus');

/** Sources of every corpus case that compiles without errors, loaded once. */
let seeds: string[] | undefined;
export function seedPrograms(): string[] {
  seeds ??= loadCases(CORPUS)
    .map((c) => c.source)
    .filter((src) => {
      const r = compile(src);
      return r.program !== undefined && !r.diagnostics.some((d) => d.severity === 'error');
    });
  return seeds;
}

/** A literal replacement: numbers, strings and durations that stress the built-ins and budgets. */
const numberLiteral = fc.oneof(
  fc.constantFrom('0', '-1', '1e308', '-0', '0.1', '9007199254740993', '1e-320', '100000', '1000000', '2147483648'),
  fc.integer({ min: -1000, max: 1_000_000 }).map(String),
);
const stringLiteral = fc
  .oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom(...NASTY_KEYS),
    fc.constantFrom('1s', '0s', '10000d', '1ms', '-1s', 'x'.repeat(1000)),
  )
  .map((s) => JSON.stringify(s));

/** Replaces some numeric and string literals of `source` (by index into the matches), keeping its syntax. */
function mutateLiterals(source: string, numbers: string[], strings: string[], pick: number[]): string {
  let n = 0;
  let k = 0;
  return source.replace(/"(?:[^"\\\n]|\\.)*"|(?<![\w.$])\d+(?:\.\d+)?(?![\w.])/g, (m) => {
    const i = n++;
    if (!pick.includes(i % 8)) return m;
    const next = m.startsWith('"') ? strings[k % strings.length] : numbers[k % numbers.length];
    k++;
    return next ?? m;
  });
}

export interface InterpreterRun {
  source: string;
  input: Record<string, unknown>;
  /** Task outcomes, used in turn: a value, or a failure. */
  outcomes: ({ ok: true; value: unknown } | { ok: false; message: string })[];
  signals: unknown[];
  /** Reverse each wave of events (results arriving in another order). */
  reverse: boolean;
  /** Deliver a cancel (with a hostile reason) after this many events. */
  cancelAt?: number;
  cancelReason?: unknown;
}

export const interpreterRuns: fc.Arbitrary<InterpreterRun> = fc
  .record({
    seed: fc.nat(),
    numbers: fc.array(numberLiteral, { minLength: 1, maxLength: 4 }),
    strings: fc.array(stringLiteral, { minLength: 1, maxLength: 4 }),
    pick: fc.array(fc.nat({ max: 7 }), { maxLength: 3 }),
    input: fc.dictionary(fc.oneof(fc.constantFrom('a', 'b', 'n', 'xs', 'items', 'name', 'orderId', 'amount', 'text'), fc.constantFrom(...NASTY_KEYS)), hostileJson, { maxKeys: 4 }),
    outcomes: fc.array(
      fc.oneof(
        { weight: 4, arbitrary: hostileJson.map((value) => ({ ok: true as const, value })) },
        { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((message) => ({ ok: false as const, message })) },
      ),
      { maxLength: 12 },
    ),
    signals: fc.array(hostileJson, { maxLength: 3 }),
    reverse: fc.boolean(),
    cancelAt: fc.option(fc.nat({ max: 10 }), { nil: undefined }),
    cancelReason: hostileJson,
  })
  .map((r) => {
    const all = seedPrograms();
    const base = all[r.seed % all.length]!;
    return { source: mutateLiterals(base, r.numbers, r.strings, r.pick), input: r.input, outcomes: r.outcomes, signals: r.signals, reverse: r.reverse, cancelAt: r.cancelAt, cancelReason: r.cancelReason };
  });

/** Events per run at most: past it, the run stops (a loop of awaits is a correct program). */
const MAX_EVENTS = 200;

/** Runs one program to its end (or MAX_EVENTS); throws when the interpreter broke its contract. */
export function checkRun(run: InterpreterRun): 'completed' | 'failed' | 'cancelled' | 'stuck' | 'diagnostics' | 'long' {
  const compiled = compile(run.source, 'fuzz.workflow');
  if (!compiled.program || compiled.diagnostics.some((d) => d.severity === 'error')) return 'diagnostics';
  const program: Program = compiled.program;
  let n = 0;
  const opts: ExecOptions = { now: () => new Date(), uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
  let outcome = 0;
  let signal = 0;
  let activation: Activation = guard('start', () => start(program, structuredClone(run.input) as Record<string, Value>, opts));
  const queue: WorkflowEvent[] = [];
  for (let events = 0; events < MAX_EVENTS; events++) {
    const wave: WorkflowEvent[] = [];
    for (const cmd of activation.commands) {
      if (cmd.type === 'complete') return 'completed';
      if (cmd.type === 'fail') {
        if (typeof cmd.error.code !== 'string' || !cmd.error.code || typeof cmd.error.message !== 'string') throw new Error(`a failure without code or message: ${JSON.stringify(cmd.error)}`);
        if (/internal/i.test(cmd.error.message)) throw new Error(`an internal error reached the workflow: ${cmd.error.code} ${cmd.error.message}`);
        return 'failed';
      }
      if (cmd.type === 'cancelled') {
        if (cmd.error.code !== 'CANCELLED' || typeof cmd.error.message !== 'string') throw new Error(`a cancel that is not CANCELLED: ${JSON.stringify(cmd.error)}`);
        return 'cancelled';
      }
      if (cmd.type === 'scheduleTask') {
        const o = run.outcomes[outcome++ % Math.max(1, run.outcomes.length)] ?? { ok: true as const, value: null };
        wave.push(o.ok ? { type: 'taskCompleted', id: cmd.id, result: o.value as Value } : { type: 'taskFailed', id: cmd.id, failure: { message: o.message, attempts: 1 } });
      } else if (cmd.type === 'startTimer') wave.push({ type: 'timerFired', id: cmd.id });
      else if (cmd.type === 'waitForSignal' && signal < run.signals.length) wave.unshift({ type: 'signal', name: cmd.name, payload: run.signals[signal++] as Value });
    }
    // a cancel from outside, its reason any JSON at all (the runtime passes strings; the interpreter must not care)
    if (run.cancelAt === events) wave.unshift({ type: 'cancel', reason: run.cancelReason as string });
    if (run.reverse) wave.reverse();
    queue.push(...wave);
    const event = queue.shift();
    if (!event) return 'stuck';
    const text = guard('serialise', () => JSON.stringify(activation.state));
    const state = JSON.parse(text);
    const next = guard('resume', () => resume(program, state, event, opts));
    activation = next.ignored ? { ...activation, commands: [] } : next;
  }
  return 'long';
}

function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new Error(`${what} threw: ${(e as Error)?.stack ?? String(e)}`);
  }
}
