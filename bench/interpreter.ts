/**
 * Interpreter throughput: simple DSL statements per second for a compute loop, next to the same
 * loop in plain JavaScript, and the serialised state size of each example workflow at its first
 * await.
 *
 *   const r = benchInterpreter();  // { dslStatementsPerSecond, jsIterationsPerSecond, ... }
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { compile, start, type ExecOptions } from '../dsl/index.ts';

const LOOP = `
workflow compute(n: number): number {
  let sum = 0
  for (let i = 0; i < n; i++) {
    sum += i % 7
  }
  return sum
}
`;

const options = (maxSteps: number): ExecOptions => ({
  now: () => new Date(0),
  uuid: () => '00000000-0000-4000-8000-000000000000',
  maxSteps,
  // as the runtime passes it: the state then keeps no instance information of its own
  instance: { id: 'bench', startedAt: new Date(0).toISOString() },
});

export interface InterpreterBench {
  iterations: number;
  /** Statements the interpreter reported executing (one loop body statement per iteration). */
  statements: number;
  seconds: number;
  dslStatementsPerSecond: number;
  jsIterationsPerSecond: number;
}

export function benchInterpreter(iterations = 2_000_000, rounds = 5): InterpreterBench {
  const { program, diagnostics } = compile(LOOP, 'bench.workflow');
  if (!program) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  // warm-up
  start(program, { n: 10_000 }, options(1e9));
  let best = Infinity;
  let steps = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    const a = start(program, { n: iterations }, options(1e9));
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (a.commands[0]?.type !== 'complete') throw new Error(`benchmark workflow did not complete: ${JSON.stringify(a.commands)}`);
    steps = a.steps;
    best = Math.min(best, dt);
  }
  let jsBest = Infinity;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    let sum = 0;
    for (let i = 0; i < iterations; i++) sum += i % 7;
    sink += sum;
    jsBest = Math.min(jsBest, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  if (sink === -1) console.log(sink);
  return {
    iterations,
    statements: steps,
    seconds: best,
    dslStatementsPerSecond: steps / best,
    jsIterationsPerSecond: iterations / jsBest,
  };
}

/** Loops of the same shape as LOOP with the error constructs in the body, by name. */
export const CONSTRUCT_LOOPS: Record<string, string> = {
  'plain loop': LOOP,
  'try/finally around the body': `
workflow compute(n: number): number {
  let sum = 0
  for (let i = 0; i < n; i++) {
    try { sum += i % 7 } finally { sum += 0 }
  }
  return sum
}
`,
  'throw and catch each iteration': `
workflow compute(n: number): number {
  let sum = 0
  for (let i = 0; i < n; i++) {
    try { throw i % 7 } catch (e) { sum += e }
  }
  return sum
}
`,
  'catch a runtime error each iteration': `
workflow compute(n: number): number {
  let sum = 0
  const o: any = null
  for (let i = 0; i < n; i++) {
    try { sum += o.x } catch (e) { sum += 1 }
  }
  return sum
}
`,
};

export interface ConstructCost {
  name: string;
  iterations: number;
  /** Nanoseconds per loop iteration, best of the rounds. */
  nsPerIteration: number;
  /** That over the plain loop's, measured in the same run. */
  vsPlain: number;
}

/** Cost per iteration of each loop of CONSTRUCT_LOOPS, side by side in one run. */
export function benchConstructs(iterations = 200_000, rounds = 3): ConstructCost[] {
  const rows: ConstructCost[] = [];
  for (const [name, src] of Object.entries(CONSTRUCT_LOOPS)) {
    const { program, diagnostics } = compile(src, 'bench.workflow');
    if (!program) throw new Error(`${name}: ${diagnostics.map((d) => d.message).join('\n')}`);
    start(program, { n: 1_000 }, options(1e9));
    let best = Infinity;
    for (let r = 0; r < rounds; r++) {
      const t0 = process.hrtime.bigint();
      const a = start(program, { n: iterations }, options(1e9));
      const dt = Number(process.hrtime.bigint() - t0);
      if (a.commands[0]?.type !== 'complete') throw new Error(`${name} did not complete: ${JSON.stringify(a.commands)}`);
      best = Math.min(best, dt);
    }
    rows.push({ name, iterations, nsPerIteration: best / iterations, vsPlain: 0 });
  }
  const plain = rows[0]!.nsPerIteration;
  for (const r of rows) r.vsPlain = r.nsPerIteration / plain;
  return rows;
}

/**
 * Shapes of per-element work over an array: the plain loop first, then the same work with a
 * callback or a helper. Each runs its statement 20 times over `n` numbers built in the workflow.
 */
export const CALLBACK_SHAPES: Record<string, string> = {
  'for…of loop: ys.push(x * 2)': 'const ys: number[] = []\n    for (const x of xs) ys.push(x * 2)\n    r += ys.length',
  'xs.map(x => x * 2)': 'const ys = xs.map((x) => x * 2)\n    r += ys.length',
  'xs.map(x => { return x * 2 })': 'const ys = xs.map((x) => { return x * 2 })\n    r += ys.length',
  'xs.map(double) (a helper)': 'const ys = xs.map(double)\n    r += ys.length',
  'for…of loop: s += x': 'let s = 0\n    for (const x of xs) s += x\n    r += s',
  'xs.reduce((a, x) => a + x, 0)': 'r += xs.reduce((a, x) => a + x, 0)',
  'xs.filter(x => x % 2 === 0)': 'r += xs.filter((x) => x % 2 === 0).length',
};

const callbackWorkflow = (op: string) => `
function double(x: number): number { return x * 2 }
workflow compute(n: number): number {
  const xs: number[] = []
  for (let i = 0; i < n; i++) xs.push(i)
  let r = 0
  for (let k = 0; k < 20; k++) {
    ${op}
  }
  return r
}
`;

export interface CallbackCost {
  name: string;
  /** Nanoseconds per array element, best of the rounds, less building the array. */
  nsPerElement: number;
  /** That over the first shape's (the plain loop), measured in the same run. */
  vsLoop: number;
}

/** Cost per element of each shape of CALLBACK_SHAPES, side by side in one run. */
export function benchCallbacks(n = 10_000, rounds = 5): CallbackCost[] {
  const time = (src: string, name: string): number => {
    const { program, diagnostics } = compile(src, 'bench.workflow');
    if (!program) throw new Error(`${name}: ${diagnostics.map((d) => d.message).join('\n')}`);
    start(program, { n: 1_000 }, options(1e9));
    let best = Infinity;
    for (let r = 0; r < rounds; r++) {
      const t0 = process.hrtime.bigint();
      const a = start(program, { n }, options(1e9));
      const dt = Number(process.hrtime.bigint() - t0);
      if (a.commands[0]?.type !== 'complete') throw new Error(`${name} did not complete: ${JSON.stringify(a.commands)}`);
      best = Math.min(best, dt);
    }
    return best;
  };
  const base = time(callbackWorkflow('r += 1'), 'base');
  const rows: CallbackCost[] = [];
  let loop = 0;
  for (const [name, op] of Object.entries(CALLBACK_SHAPES)) {
    const ns = Math.max(0, time(callbackWorkflow(op), name) - base) / (20 * n);
    if (rows.length === 0 || name.startsWith('for…of')) loop = ns;
    rows.push({ name, nsPerElement: ns, vsLoop: ns / loop });
  }
  return rows;
}

export interface StateSize {
  example: string;
  bytesAtFirstAwait: number;
}

/** Serialised state size of each example at its first await (the size saved per step). */
export function exampleStateSizes(root = join(import.meta.dirname, '..', 'examples')): StateSize[] {
  const out: StateSize[] = [];
  if (!existsSync(root)) return out;
  for (const dir of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    const folder = join(root, dir.name);
    for (const f of readdirSync(folder).filter((n) => n.endsWith('.workflow'))) {
      const { program } = compile(readFileSync(join(folder, f), 'utf8'), f);
      if (!program) continue;
      const inputFile = join(folder, 'input.json');
      const input = existsSync(inputFile) ? JSON.parse(readFileSync(inputFile, 'utf8')) : {};
      const a = start(program, input, options(100_000));
      out.push({ example: `${dir.name}/${f}`, bytesAtFirstAwait: a.stateBytes });
    }
  }
  return out;
}
