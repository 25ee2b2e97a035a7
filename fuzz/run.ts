/**
 * `npm run fuzz`: the long run of every fuzz target (fuzz/targets/index.ts), for a number of inputs
 * shared out by weight, in worker threads watched for hangs and crashes. Reports, per target, the
 * inputs tried and what was found; writes each finding (with the seed and path that replay it) to
 * fuzz/findings/. Exit 0 when nothing was found, 1 otherwise, 2 on bad arguments. Each target runs
 * in a child process (its own heap: a crash or an out-of-memory there is counted, not fatal).
 *
 *   npm run fuzz                                   # 1,000,000 inputs, a fresh seed
 *   npm run fuzz -- --inputs 20000 --seed 7 --targets interpreter,api
 *   npm run fuzz -- --replay interpreter:123456:4:2   # re-run one finding (target:seed:path)
 *
 * A chunk of inputs that makes no progress for --hang-ms (default 60 s) counts as a hang: its worker
 * is killed and the run goes on with the next chunk. A worker that dies (out of memory, an
 * uncaught error outside the property) counts as a crash.
 */
import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import { TARGETS } from './targets/index.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

interface Job {
  target: string;
  runs: number;
  seed: number;
  chunk: number;
}
type FromWorker = { type: 'progress'; runs: number } | { type: 'finding'; seed: number; path?: string; counterexample: string; error: string; runs: number } | { type: 'done' };

// ---------------------------------------------------------------------------------------------
// worker: run the target's property chunk by chunk, report after each
// ---------------------------------------------------------------------------------------------

async function workerMain(job: Job): Promise<void> {
  // The code under test logs (the api and step handlers): keep the runner's output readable.
  for (const k of ['log', 'warn', 'error', 'info'] as const) console[k] = () => {};
  const property = await TARGETS[job.target]!.property();
  let done = 0;
  for (let c = 0; done < job.runs; c++) {
    const runs = Math.min(job.chunk, job.runs - done);
    const seed = job.seed + c;
    const out = await fc.check(property as fc.IAsyncProperty<never>, { numRuns: runs, seed, endOnFailure: true });
    done += runs;
    if (out.failed) {
      send({
        type: 'finding',
        seed,
        path: out.counterexamplePath ?? undefined,
        counterexample: printable(out.counterexample),
        error: String((out.errorInstance as Error)?.stack ?? out.errorInstance).slice(0, 4000),
        runs: done,
      } satisfies FromWorker);
    } else send({ type: 'progress', runs: done });
  }
  send({ type: 'done' });
}

// ---------------------------------------------------------------------------------------------
// main: share the inputs out, run the targets two at a time, watch them
// ---------------------------------------------------------------------------------------------

interface Tally {
  target: string;
  planned: number;
  tried: number;
  findings: number;
  hangs: number;
  crashes: number;
  ms: number;
}

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const v = argv[k + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
    out[a.slice(2)] = v;
    k++;
  }
  for (const k of Object.keys(out)) if (!['inputs', 'seed', 'targets', 'chunk', 'hang-ms', 'replay', 'jobs'].includes(k)) throw new Error(`unknown option --${k}`);
  return out;
}

function whole(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a whole number, got '${v}'`);
  return Number(v);
}

async function replay(spec: string): Promise<number> {
  const [target, seed, ...path] = spec.split(':');
  if (!target || !TARGETS[target] || !seed || !/^\d+$/.test(seed)) throw new Error(`--replay wants target:seed[:path], e.g. interpreter:123:4:2 (targets: ${Object.keys(TARGETS).join(', ')})`);
  const property = await TARGETS[target]!.property();
  const out = await fc.check(property as fc.IAsyncProperty<never>, { seed: Number(seed), path: path.length ? path.join(':') : undefined, numRuns: path.length ? 1 : whole(process.argv.includes('--chunk') ? process.argv[process.argv.indexOf('--chunk') + 1] : undefined, 'chunk', 500) });
  if (!out.failed) {
    console.log(`${target}: no failure at seed ${seed}${path.length ? ` path ${path.join(':')}` : ''}`);
    return 0;
  }
  console.log(`${target}: counterexample ${printable(out.counterexample)}\n${(out.errorInstance as Error)?.stack ?? out.errorInstance}`);
  return 1;
}

function runTarget(job: Job, hangMs: number, onFinding: (f: Extract<FromWorker, { type: 'finding' }>) => void): Promise<Omit<Tally, 'planned'>> {
  const t0 = Date.now();
  const tally = { target: job.target, tried: 0, findings: 0, hangs: 0, crashes: 0, ms: 0 };
  return new Promise((resolve) => {
    const launch = (from: number, chunkIndex: number) => {
      if (from >= job.runs) {
        tally.ms = Date.now() - t0;
        return resolve(tally);
      }
      const w = fork(fileURLToPath(import.meta.url), [], {
        env: { ...process.env, CURRANT_FUZZ_JOB: JSON.stringify({ ...job, runs: job.runs - from, seed: job.seed + chunkIndex }) },
        execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      w.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      let base = tally.tried;
      let chunks = 0;
      let settled = false;
      let watchdog: NodeJS.Timeout;
      const arm = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          // No chunk finished in time: a hang. Count the chunk as tried, skip it, go on.
          tally.hangs++;
          onFinding({ type: 'finding', seed: job.seed + chunkIndex + chunks, counterexample: '(hang: no progress)', error: `no progress for ${hangMs} ms`, runs: 0 });
          finish(Math.min(job.chunk, job.runs - tally.tried));
        }, hangMs);
      };
      const finish = (skip: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        w.kill('SIGKILL');
        tally.tried += skip;
        launch(tally.tried, chunkIndex + chunks + 1);
      };
      arm();
      w.on('message', (m: FromWorker) => {
        if (m.type === 'done') {
          settled = true;
          clearTimeout(watchdog);
          w.kill();
          tally.ms = Date.now() - t0;
          return resolve(tally);
        }
        chunks++;
        tally.tried = base + m.runs;
        if (m.type === 'finding') {
          tally.findings++;
          onFinding(m);
        }
        arm();
      });
      w.on('error', (e) => {
        tally.crashes++;
        onFinding({ type: 'finding', seed: job.seed + chunkIndex + chunks, counterexample: '(crash: the worker died)', error: String(e?.stack ?? e), runs: 0 });
        finish(Math.min(job.chunk, job.runs - tally.tried));
      });
      w.on('exit', (code, signal) => {
        if (!settled) {
          tally.crashes++;
          onFinding({ type: 'finding', seed: job.seed + chunkIndex + chunks, counterexample: '(crash)', error: `worker exited with ${code ?? signal}: ${stderr}`, runs: 0 });
          finish(Math.min(job.chunk, job.runs - tally.tried));
        }
      });
      void base;
      base = tally.tried;
    };
    launch(0, 0);
  });
}

async function main(): Promise<number> {
  let args: Record<string, string>;
  let inputs: number, seed: number, chunk: number, hangMs: number, jobs: number, names: string[];
  try {
    args = parseArgs(process.argv.slice(2));
    if (args.replay) return await replay(args.replay);
    inputs = whole(args.inputs, 'inputs', 1_000_000);
    seed = whole(args.seed, 'seed', Date.now() % 2_000_000_000);
    chunk = Math.max(1, whole(args.chunk, 'chunk', 500));
    hangMs = whole(args['hang-ms'], 'hang-ms', 60_000);
    jobs = Math.max(1, whole(args.jobs, 'jobs', Math.max(1, availableParallelism())));
    names = args.targets ? args.targets.split(',') : Object.keys(TARGETS);
    const unknown = names.filter((n) => !TARGETS[n]);
    if (unknown.length) throw new Error(`unknown target(s) ${unknown.join(', ')} (known: ${Object.keys(TARGETS).join(', ')})`);
  } catch (e) {
    console.error(`fuzz: ${(e as Error).message}`);
    return 2;
  }
  const total = names.reduce((s, n) => s + TARGETS[n]!.weight, 0);
  const planned = names.map((n, k) => ({ target: n, runs: k === names.length - 1 ? 0 : Math.floor((inputs * TARGETS[n]!.weight) / total) }));
  planned[planned.length - 1]!.runs = inputs - planned.slice(0, -1).reduce((s, p) => s + p.runs, 0);
  console.log(`fuzz: ${inputs.toLocaleString('en')} inputs over ${names.length} targets, seed ${seed}, ${jobs} at a time`);
  const findingsDir = join(HERE, 'findings');
  const tallies: Tally[] = [];
  const queue = [...planned];
  const t0 = Date.now();
  const runNext = async (): Promise<void> => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      const job: Job = { target: p.target, runs: p.runs, seed: seed + names.indexOf(p.target) * 1_000_003, chunk };
      const t = await runTarget(job, hangMs, (f) => {
        mkdirSync(findingsDir, { recursive: true });
        const file = join(findingsDir, `${p.target}-${f.seed}.json`);
        writeFileSync(file, JSON.stringify({ target: p.target, ...f, replay: `npm run fuzz -- --replay ${p.target}:${f.seed}${f.path ? `:${f.path}` : ''}` }, null, 2));
        console.log(`fuzz: ${p.target}: FOUND ${f.counterexample.slice(0, 200)} → ${file}`);
      });
      tallies.push({ ...t, planned: p.runs });
      console.log(`fuzz: ${p.target}: ${t.tried.toLocaleString('en')} inputs in ${(t.ms / 1000).toFixed(1)} s, ${t.findings} findings, ${t.hangs} hangs, ${t.crashes} crashes`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, planned.length) }, runNext));
  const sum = (k: keyof Tally) => tallies.reduce((s, t) => s + (t[k] as number), 0);
  console.log('');
  console.log('| target | inputs | findings | hangs | crashes | seconds |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const t of tallies.sort((a, b) => names.indexOf(a.target) - names.indexOf(b.target))) {
    console.log(`| ${t.target} | ${t.tried.toLocaleString('en')} | ${t.findings} | ${t.hangs} | ${t.crashes} | ${(t.ms / 1000).toFixed(1)} |`);
  }
  console.log(`| all | ${sum('tried').toLocaleString('en')} | ${sum('findings')} | ${sum('hangs')} | ${sum('crashes')} | ${((Date.now() - t0) / 1000).toFixed(1)} wall |`);
  return sum('findings') + sum('hangs') + sum('crashes') > 0 ? 1 : 0;
}

/** A counterexample as text, at most 4,000 characters; deep values overflow fast-check's printer. */
function printable(v: unknown): string {
  try {
    return fc.stringify(v).slice(0, 4000);
  } catch {
    try {
      return `(too deep to print in full) ${JSON.stringify(v, (_k, x) => (typeof x === 'string' && x.length > 200 ? `${x.slice(0, 200)}…` : x)).slice(0, 4000)}`;
    } catch {
      return '(too deep to print: replay it with --replay)';
    }
  }
}

function send(m: FromWorker): void {
  process.send!(m);
}

const childJob = process.env.CURRANT_FUZZ_JOB;
if (childJob === undefined) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(4);
    },
  );
} else {
  workerMain(JSON.parse(childJob) as Job).then(
    () => process.disconnect?.(),
    (e) => {
      process.stderr.write(String((e as Error)?.stack ?? e));
      process.exit(3);
    },
  );
}
