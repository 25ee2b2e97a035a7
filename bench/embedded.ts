/**
 * Embedded runtime cost per step: workflows of n sequential awaits of a trivial task, run on the
 * embedded engine with a real SQLite file (WAL). The promise of no replay is that a step's cost does
 * not grow with the instance's history: step 10,000 should cost what step 10 costs.
 *
 *   const rows = await benchEmbedded();  // [{ n: 10, msPerStepFirst10, msPerStepLast10, stepsPerSecond }, …]
 *
 * A step is one await: the task result is saved, the interpreter resumes, the next task is sent.
 * It is timed as the interval between consecutive task invocations (the task records a timestamp),
 * so it covers load → resume → conditional save → dispatch → task call. Each window's figure is the
 * median of its 10 intervals, so one GC pause does not decide the comparison; see `benchEmbedded`
 * for how rounds are combined.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEngine } from '../adapters/embedded/index.ts';

const SOURCE = `
task inc(i: number): number

workflow loop(n: number): number {
  let s = 0
  for (let i = 0; i < n; i++) {
    s = await inc(i)
  }
  return s
}
`;

export interface EmbeddedBench {
  n: number;
  /** Median ms per step over the first 10 steps. */
  msPerStepFirst10: number;
  /** Median ms per step over the last 10 steps. */
  msPerStepLast10: number;
  /** Whole run: steps / seconds (start to completion; best round). */
  stepsPerSecond: number;
  /** msPerStepLast10 / msPerStepFirst10 (the target is ≤ 1.2). */
  ratio: number;
}

/**
 * Runs each size `rounds` times and keeps, per window, the lowest median (other processes on a
 * shared machine only ever add time, so the lowest is the closest to the runtime's own cost).
 */
export async function benchEmbedded(sizes: number[] = [10, 1_000, 10_000], rounds = 3, history?: number): Promise<EmbeddedBench[]> {
  const dir = mkdtempSync(join(tmpdir(), 'currant-bench-'));
  try {
    await runOnce(join(dir, 'warmup.db'), 300); // JIT and SQLite page cache warm-up, not reported
    const out: EmbeddedBench[] = [];
    for (const n of sizes) {
      const runs: EmbeddedBench[] = [];
      for (let r = 0; r < rounds; r++) runs.push(await runOnce(join(dir, `n${n}-${r}.db`), n, history));
      const first = Math.min(...runs.map((x) => x.msPerStepFirst10));
      const last = Math.min(...runs.map((x) => x.msPerStepLast10));
      out.push({
        n,
        msPerStepFirst10: first,
        msPerStepLast10: last,
        stepsPerSecond: Math.max(...runs.map((x) => x.stepsPerSecond)),
        ratio: round(last / first),
      });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runOnce(dbPath: string, n: number, history?: number): Promise<EmbeddedBench> {
  const stamps = new Float64Array(n);
  const engine = await createEngine({
    dbPath,
    ...(history === undefined ? {} : { history }),
    tasks: {
      inc: (i: number) => {
        stamps[i] = performance.now();
        return i + 1;
      },
    },
  });
  try {
    const t0 = performance.now();
    const i = await engine.start({ source: SOURCE, file: 'bench.workflow' }, { n });
    const done = await engine.waitFor(i.id);
    const total = performance.now() - t0;
    if (done.status !== 'completed' || done.result !== n) throw new Error(`bench workflow ended ${done.status}: ${JSON.stringify(done.error)}`);
    // Interval k is the cost of step k: from task k-1's call to task k's call.
    const intervals: number[] = [];
    for (let k = 1; k < n; k++) intervals.push(stamps[k]! - stamps[k - 1]!);
    const first = median(intervals.slice(0, 10));
    const last = median(intervals.slice(-10));
    return {
      n,
      msPerStepFirst10: round(first),
      msPerStepLast10: round(last),
      stepsPerSecond: Math.round(n / (total / 1000)),
      ratio: round(last / first),
    };
  } finally {
    await engine.close();
  }
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// `tsx bench/embedded.ts` prints the table on its own.
// `tsx bench/embedded.ts --history` compares step history on (default) and off in one run.
if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--history')) {
    void (async () => {
      for (const [label, h] of [['history 200 (default)', undefined], ['history off', 0], ['history 200 (default), again', undefined], ['history off, again', 0]] as const) {
        const rows = await benchEmbedded([1_000], 3, h);
        console.log(label, rows[0]);
      }
    })();
  } else benchEmbedded().then((rows) => console.table(rows));
}
