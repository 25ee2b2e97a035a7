/**
 * Two live processes on one database never run the same attempt (adapters/embedded/lease.ts):
 * real `currant run` and `currant worker` processes on one SQLite file, with tasks that log
 * `<pid> <instance> <task> <attempt>` each time they start.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/embedded/store.ts';
import type { Instance } from '../../runtime/types.ts';
import { eventually, fixture, spawnCurrant, tempDir, type Running } from './helpers.ts';

const tmp = tempDir('currant-lease-');
afterAll(tmp.cleanup);

const ITEMS = Array.from({ length: 20 }, (_, k) => k + 1);
/** Each task works this long: 10 rounds of two take ~8 s, long enough for a second process to start meanwhile. */
const TASK_MS = '800';
const SUM = ITEMS.reduce((a, b) => a + b, 0);

interface Run {
  pid: number;
  instance: string;
  task: string;
  attempt: number;
  at: number;
}

function runsIn(file: string): Run[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [pid, instance, task, attempt, at] = l.split(' ');
      return { pid: Number(pid), instance: instance!, task: task!, attempt: Number(attempt), at: Number(at) };
    });
}

/** The instance as stored, read in this process (no CLI start-up per poll). */
function stored(db: string, id: string): Promise<Instance | undefined> {
  if (!existsSync(db)) return Promise.resolve(undefined);
  const store = new SqliteStore(db);
  return store.load(id).finally(() => store.close());
}

function runLease(db: string, id: string, counts: string, extra: string[] = []): Running {
  return spawnCurrant(['run', fixture('lease.workflow'), '--tasks', fixture('lease-tasks.ts'), '--input', JSON.stringify({ items: ITEMS }), '--db', db, '--id', id, ...extra], {
    env: { CURRANT_TEST_COUNT_FILE: counts, CURRANT_TEST_TASK_MS: TASK_MS },
  });
}

const perAttempt = (runs: Run[]) => {
  const m = new Map<string, Run[]>();
  for (const r of runs) m.set(`${r.instance} ${r.task}#${r.attempt}`, [...(m.get(`${r.instance} ${r.task}#${r.attempt}`) ?? []), r]);
  return m;
};

describe('leases: two live processes on one database', { timeout: 120_000 }, () => {
  it('`run --id X` twice: the second follows the first and runs nothing; both report the result', async () => {
    const db = join(tmp.dir, 'twice.db');
    const counts = join(tmp.dir, 'twice.txt');
    writeFileSync(counts, '');
    const a = runLease(db, 'x-1', counts);
    await eventually(async () => (runsIn(counts).length >= 1 ? true : undefined), 30_000, 'the first run to start a task');
    const b = runLease(db, 'x-1', counts);
    await eventually(async () => (/running in another process/.test(b.stdout()) || b.child.exitCode !== null ? true : undefined), 30_000, 'the second run to follow');
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    expect(ra.stdout).toContain(`completed lease x-1 → ${SUM}`);
    expect(rb.stdout).toContain(`completed lease x-1 → ${SUM}`);
    expect(rb.stdout).toMatch(/x-1 is running in another process .*: following it here/);
    const runs = runsIn(counts);
    // every attempt once, all of them in the first process
    expect(runs).toHaveLength(ITEMS.length);
    expect([...perAttempt(runs).values()].every((rs) => rs.length === 1)).toBe(true);
    expect(new Set(runs.map((r) => r.pid))).toEqual(new Set([a.child.pid]));
  });

  it('the holder is killed (-9): the other process takes over at once and finishes; done tasks are not run again', async () => {
    const db = join(tmp.dir, 'killed.db');
    const counts = join(tmp.dir, 'killed.txt');
    writeFileSync(counts, '');
    const a = runLease(db, 'y-1', counts);
    await eventually(async () => (runsIn(counts).length >= 1 ? true : undefined), 30_000, 'the first run to start a task');
    const b = runLease(db, 'y-1', counts);
    await eventually(async () => (/running in another process/.test(b.stdout()) ? true : undefined), 30_000, 'the second run to follow');
    const seen = runsIn(counts).length;
    expect(seen).toBeLessThan(ITEMS.length - 2); // work is left for the second process
    await eventually(async () => (runsIn(counts).length > seen ? true : undefined), 30_000, 'one more task to start');
    a.child.kill('SIGKILL');
    await a.done;
    const killedAt = Date.now();
    const before = runsIn(counts);
    const rb = await b.done;
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout).toContain(`completed lease y-1 → ${SUM}`);
    const runs = runsIn(counts);
    const byAttempt = perAttempt(runs);
    expect(byAttempt.size).toBe(ITEMS.length); // every task, attempt 1 only (no timeout, no retry)
    // The attempts in flight at the kill (at most 2: the fan-out's concurrency) may run once more in
    // the second process; none runs twice in one process, and none that finished runs again.
    const twice = [...byAttempt.values()].filter((rs) => rs.length > 1);
    expect(twice.length).toBeLessThanOrEqual(2);
    for (const rs of twice) expect(rs.map((r) => r.pid)).toEqual([a.child.pid, b.child.pid]);
    expect(runs.slice(before.length).every((r) => r.pid === b.child.pid)).toBe(true);
    // taken over at once (the holder's pid is gone), not after the 15 s expiry
    expect(Date.now() - killedAt).toBeLessThan(15_000);
  });

  it('two workers on instances left by killed runs: each instance is run by one worker, each attempt once', async () => {
    const db = join(tmp.dir, 'workers.db');
    const counts = join(tmp.dir, 'workers.txt');
    writeFileSync(counts, '');
    const ids = ['w-1', 'w-2', 'w-3', 'w-4'];
    const runs = ids.map((id) => runLease(db, id, counts));
    await eventually(async () => (ids.every((id) => runsIn(counts).some((r) => r.instance === id)) ? true : undefined), 30_000, 'every run to start a task');
    for (const r of runs) r.child.kill('SIGKILL');
    await Promise.all(runs.map((r) => r.done));
    const left = runsIn(counts).length;

    const env = { CURRANT_TEST_COUNT_FILE: counts, CURRANT_TEST_TASK_MS: '100' };
    const w1 = spawnCurrant(['worker', '--tasks', fixture('lease-tasks.ts'), '--db', db], { env });
    const w2 = spawnCurrant(['worker', '--tasks', fixture('lease-tasks.ts'), '--db', db], { env });
    try {
      await eventually(
        async () => ((await Promise.all(ids.map((id) => stored(db, id)))).every((i) => i?.status === 'completed') ? true : undefined),
        60_000,
        'the workers to finish every instance',
      );
      for (const id of ids) expect((await stored(db, id))!.result).toBe(SUM);
      const after = runsIn(counts).slice(left);
      const workerPids = new Set([w1.child.pid, w2.child.pid]);
      expect(after.every((r) => workerPids.has(r.pid))).toBe(true);
      // within the workers: no attempt twice, and each instance's attempts in one worker only
      expect([...perAttempt(after).values()].every((rs) => rs.length === 1)).toBe(true);
      for (const id of ids) expect(new Set(after.filter((r) => r.instance === id).map((r) => r.pid)).size).toBeLessThanOrEqual(1);
      // in all, an attempt ran at most twice: once in its killed run (in flight) and once in a worker
      expect([...perAttempt(runsIn(counts)).values()].every((rs) => rs.length <= 2)).toBe(true);
    } finally {
      w1.child.kill('SIGTERM');
      w2.child.kill('SIGTERM');
      await Promise.all([w1.done, w2.done]);
    }
  });

  it('`--concurrency 1` runs one attempt at a time, though the fan-out allows two', async () => {
    const counts = join(tmp.dir, 'one.txt');
    writeFileSync(counts, '');
    const r = await spawnCurrant(['run', fixture('lease.workflow'), '--tasks', fixture('lease-tasks.ts'), '--input', '{"items":[1,2,3,4]}', '--db', join(tmp.dir, 'one.db'), '--concurrency', '1'], {
      env: { CURRANT_TEST_COUNT_FILE: counts, CURRANT_TEST_TASK_MS: '200' },
    }).done;
    expect(r.code, r.stderr).toBe(0);
    const starts = runsIn(counts).map((x) => x.at);
    expect(starts).toHaveLength(4);
    for (let k = 1; k < 4; k++) expect(starts[k]! - starts[k - 1]!).toBeGreaterThanOrEqual(195);
  });

  it('rejects a --concurrency that is not a whole number from 1 to 10,000 (exit 2)', async () => {
    const r = await spawnCurrant(['run', fixture('lease.workflow'), '--tasks', fixture('lease-tasks.ts'), '--input', '{"items":[1]}', '--db', join(tmp.dir, 'c.db'), '--concurrency', '0']).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--concurrency must be a whole number from 1 to 10000, got '0'");
  });
});
