/**
 * kill -9 durability: a real child process runs workflows on a SQLite file and is SIGKILLed at
 * random moments; restarts on the same file must finish every instance with the right result,
 * run each completed task once (at-least-once only for the attempt in flight at a kill), and fire
 * timers that came due while the process was down.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../adapters/embedded/store.ts';
import { expected } from './fixtures/durable-workflows.ts';

const WORKER = join(import.meta.dirname, 'fixtures', 'worker.ts');
const dir = mkdtempSync(join(tmpdir(), 'currant-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  killed: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  readyAt?: number;
  killedAt?: number;
}

/** Runs the worker once; with `killAfterReady`, SIGKILLs it that many ms after it is ready. */
function runWorker(args: string[], opts: { killAfterReady?: number; killWhen?: () => boolean } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Run = { killed: false, code: null, stdout: '', stderr: '' };
    let poll: NodeJS.Timeout | undefined;
    const kill = () => {
      if (child.exitCode !== null) return;
      run.killedAt = Date.now();
      child.kill('SIGKILL');
    };
    child.stdout.on('data', (b: Buffer) => {
      run.stdout += b.toString();
      if (run.readyAt === undefined && run.stdout.includes('ready ')) {
        run.readyAt = Date.now();
        if (opts.killAfterReady !== undefined) setTimeout(kill, opts.killAfterReady);
        if (opts.killWhen) poll = setInterval(() => opts.killWhen!() && kill(), 10);
      }
    });
    child.stderr.on('data', (b: Buffer) => (run.stderr += b.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      run.code = code;
      run.killed = signal === 'SIGKILL';
      resolve(run);
    });
  });
}

/** Executions per `instanceId taskId` from the log the tasks append to. */
function executions(log: string): Map<string, { count: number; attempts: number[]; at: number[] }> {
  const m = new Map<string, { count: number; attempts: number[]; at: number[] }>();
  if (!existsSync(log)) return m;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const [instanceId, taskId, attempt, at] = line.split(' ');
    const key = `${instanceId} ${taskId}`;
    const e = m.get(key) ?? { count: 0, attempts: [], at: [] };
    e.count++;
    e.attempts.push(Number(attempt));
    e.at.push(Number(at));
    m.set(key, e);
  }
  return m;
}

function lines(log: string): number {
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').length - 1 : 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('embedded durability (SIGKILL and restart)', () => {
  it('finishes every instance after random kills; completed tasks run once, in-flight ones at most once more per kill', async () => {
    const db = join(dir, 'chain', 'currant.db');
    const log = join(dir, 'chain.log');
    const COUNT = 3;
    const STEPS = 16;
    let kills = 0;
    let last: Run | undefined;
    for (let round = 0; round < 30; round++) {
      // Half the kills at a random time, half right after a random number of task executions began
      // (so an attempt is surely in flight).
      const started = lines(log);
      const after = 1 + Math.floor(Math.random() * 5);
      const opts =
        kills >= 5 ? {} : kills % 2 ? { killWhen: () => lines(log) >= started + after } : { killAfterReady: 10 + Math.floor(Math.random() * 150) };
      last = await runWorker([db, log, String(COUNT), 'chain'], opts);
      if (!last.killed) break;
      kills++;
      // Stay down long enough for the workflows' 300ms sleeps to come due meanwhile.
      await sleep(350);
    }
    expect(last!.stderr).toBe('');
    expect(last!.code).toBe(0);
    expect(kills).toBeGreaterThanOrEqual(3);

    const store = new SqliteStore(db);
    for (let k = 1; k <= COUNT; k++) {
      const i = (await store.load(`chain-${k}`))!;
      expect(i).toMatchObject({ status: 'completed', result: expected('chain', k), tasks: {}, timers: {} });
      expect(i.steps.filter((s) => s.kind === 'timer' && s.outcome === 'sleep over').length).toBe(1);
    }
    store.close();

    const ex = executions(log);
    expect(ex.size).toBe(COUNT * STEPS); // every task ran
    let extra = 0;
    for (const [key, e] of ex) {
      expect(e.count, key).toBeLessThanOrEqual(1 + kills);
      expect(new Set(e.attempts), key).toEqual(new Set([1])); // a re-run is the same attempt, not a retry
      extra += e.count - 1;
    }
    // Each kill can interrupt at most one attempt per instance (the workflows are sequential).
    expect(extra).toBeLessThanOrEqual(kills * COUNT);
  }, 120_000);

  it('fires timers that came due while the process was down, on restart', async () => {
    const db = join(dir, 'sleepy', 'currant.db');
    const log = join(dir, 'sleepy.log');
    const COUNT = 2;
    const probe = new SqliteStore(db);
    const sleeping = () => probe.counts().waiting === COUNT;
    const first = await runWorker([db, log, String(COUNT), 'sleepy'], { killWhen: sleeping });
    expect(first.killed).toBe(true);
    await sleep(1300); // the 1s sleeps come due while nothing runs
    const restartAt = Date.now();
    const second = await runWorker([db, log, String(COUNT), 'sleepy']);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const ready = JSON.parse(second.stdout.split('\n').find((l) => l.startsWith('ready '))!.slice(6)) as { timers: number; tasks: number };
    expect(ready).toMatchObject({ instances: COUNT, tasks: 0, timers: COUNT });

    for (let k = 1; k <= COUNT; k++) {
      const i = (await probe.load(`sleepy-${k}`))!;
      expect(i).toMatchObject({ status: 'completed', result: expected('sleepy', k) });
      const slept = i.steps.find((s) => s.kind === 'sleep')!;
      const fired = i.steps.find((s) => s.kind === 'timer')!;
      const fireAt = Date.parse(slept.at) + 1000;
      expect(fireAt).toBeLessThan(restartAt); // due while down …
      expect(Date.parse(fired.at)).toBeGreaterThanOrEqual(restartAt); // … fired by the restarted process
    }
    probe.close();
    for (const e of executions(log).values()) expect(e.count).toBe(1); // nothing was in flight at the kill
  }, 60_000);
});
