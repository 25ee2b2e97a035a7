/**
 * `currant worker`: after a `run` is killed with SIGKILL during a sleep, a worker on the same
 * database finishes the instance without re-running completed tasks, and stops cleanly on SIGTERM.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { currant, eventually, fixture, spawnCurrant, statusOf, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

// Each CLI call starts node + tsx (about a second, more when test files run in parallel).
describe('currant worker', { timeout: 90_000 }, () => {
  it('continues an instance whose run was killed, then shuts down on SIGTERM with exit 0', async () => {
    const db = join(tmp.dir, 'worker.db');
    const counts = join(tmp.dir, 'counts.txt');
    writeFileSync(counts, '');
    const env = { CURRANT_TEST_COUNT_FILE: counts };
    const run = spawnCurrant(['run', fixture('sleeps.workflow'), '--tasks', fixture('tasks.ts'), '--input', '{"name":"k"}', '--db', db, '--id', 'k-1'], { env });
    await eventually(async () => {
      const s = await statusOf('k-1', db).catch(() => undefined);
      return s?.pending.timers.some((t: { purpose: string }) => t.purpose === 'sleep') ? s : undefined;
    }, 20_000, 'the sleep to start');
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');

    const worker = spawnCurrant(['worker', '--tasks', fixture('tasks.ts'), '--db', db], { env });
    const done = await eventually(async () => {
      const s = await statusOf('k-1', db);
      return s?.status === 'completed' ? s : undefined;
    }, 20_000, 'the worker to finish k-1');
    expect(done.result).toBe(2);
    expect(readFileSync(counts, 'utf8').trim().split('\n').sort()).toEqual(['after:k', 'before:k']);

    expect(worker.stdout()).toMatch(/worker: 1 unfinished instance/);
    await eventually(async () => (/k-1 .*task count line 7: ok/.test(worker.stdout()) ? true : undefined), 10_000, 'the count step line').catch(() => undefined);
    expect(worker.stdout()).toMatch(/k-1 .*task count line 7: ok/);
    // A signal from another process reaches an instance the worker runs.
    const waiting = spawnCurrant(['run', fixture('waits.workflow'), '--tasks', fixture('tasks.ts'), '--input', '{"name":"s"}', '--db', db, '--id', 's-1']);
    await eventually(async () => ((await statusOf('s-1', db))?.pending.signals.length ? true : undefined), 20_000, 's-1 waiting');
    waiting.child.kill('SIGKILL');
    await waiting.done;
    expect(worker.stdout()).not.toContain('s-1'); // started after the worker: not its instance yet
    const restarted = spawnCurrant(['worker', '--tasks', fixture('tasks.ts'), '--db', db]);
    await eventually(async () => (/worker: 1 unfinished instance/.test(restarted.stdout()) ? true : undefined), 20_000, 'the second worker');
    const sent = await currant(['signal', 's-1', 'go', '{"who":"wo"}', '--db', db]);
    expect(sent.code, sent.stderr).toBe(0);
    const s1 = await eventually(async () => {
      const s = await statusOf('s-1', db);
      return s?.status === 'completed' ? s : undefined;
    }, 20_000, 'the worker to finish s-1');
    expect(s1.result).toBe('s: hello wo! ');
    // The worker prints a step's line after saving it: the line may reach the pipe a moment after
    // the status reads completed.
    await eventually(async () => (/s-1 .*task greet line 5: ok/.test(restarted.stdout()) ? true : undefined), 10_000, 'the greet step line').catch(() => undefined);
    expect(restarted.stdout()).toMatch(/s-1 .*signal: received "go"/);
    expect(restarted.stdout()).toMatch(/s-1 .*task greet line 5: ok/);
    restarted.child.kill('SIGINT');
    expect((await restarted.done).code).toBe(0);

    worker.child.kill('SIGTERM');
    const stopped = await worker.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('worker: SIGTERM, shutting down');
  });
});

describe('currant run, interrupted', { timeout: 90_000 }, () => {
  it('SIGINT leaves the instance in the database (exit 130); run --id attaches and finishes it', async () => {
    const db = join(tmp.dir, 'attach.db');
    const counts = join(tmp.dir, 'attach-counts.txt');
    writeFileSync(counts, '');
    const env = { CURRANT_TEST_COUNT_FILE: counts };
    const args = ['run', fixture('sleeps.workflow'), '--tasks', fixture('tasks.ts'), '--input', '{"name":"m"}', '--db', db, '--id', 'm-1'];
    const run = spawnCurrant(args, { env });
    await eventually(async () => {
      const s = await statusOf('m-1', db).catch(() => undefined);
      return s?.pending.timers.some((t: { purpose: string }) => t.purpose === 'sleep') ? s : undefined;
    }, 20_000, 'the sleep to start');
    run.child.kill('SIGINT');
    const stopped = await run.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('instance m-1 stays in the database');
    expect((await statusOf('m-1', db)).status).toBe('waiting');

    const again = await spawnCurrant([...args, '--json'], { env }).done;
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: 'm-1', status: 'completed', result: 2 });
    expect(readFileSync(counts, 'utf8').trim().split('\n').sort()).toEqual(['after:m', 'before:m']);
  });
});

describe('currant worker, taking over', { timeout: 90_000 }, () => {
  it('takes over an instance started after it whose run died, once a timer is overdue', async () => {
    const db = join(tmp.dir, 'takeover.db');
    const counts = join(tmp.dir, 'takeover-counts.txt');
    writeFileSync(counts, '');
    const env = { CURRANT_TEST_COUNT_FILE: counts };
    const worker = spawnCurrant(['worker', '--tasks', fixture('tasks.ts'), '--db', db, '--takeover-after', '300'], { env });
    await eventually(async () => (/worker: 0 unfinished instances/.test(worker.stdout()) ? true : undefined), 20_000, 'the worker');
    const run = spawnCurrant(['run', fixture('sleeps.workflow'), '--tasks', fixture('tasks.ts'), '--input', '{"name":"t"}', '--db', db, '--id', 't-1'], { env });
    await eventually(async () => {
      const s = await statusOf('t-1', db);
      return s?.pending.timers.some((t: { purpose: string }) => t.purpose === 'sleep') ? s : undefined;
    }, 20_000, 'the sleep to start');
    run.child.kill('SIGKILL');
    await run.done;
    const done = await eventually(async () => {
      const s = await statusOf('t-1', db);
      return s?.status === 'completed' ? s : undefined;
    }, 30_000, 'the worker to take t-1 over');
    expect(done.result).toBe(2);
    expect(readFileSync(counts, 'utf8').trim().split('\n').sort()).toEqual(['after:t', 'before:t']);
    expect(worker.stdout()).toContain('t-1 worker: taking over');
    await eventually(async () => (/t-1 .*task count line 7: ok/.test(worker.stdout()) ? true : undefined), 10_000, 'the count step line').catch(() => undefined);
    expect(worker.stdout()).toMatch(/t-1 .*task count line 7: ok/);
    worker.child.kill('SIGINT');
    expect((await worker.done).code).toBe(0);
  });

  it('rejects a --takeover-after that is not a number of milliseconds (exit 2)', async () => {
    const r = await spawnCurrant(['worker', '--tasks', fixture('tasks.ts'), '--db', join(tmp.dir, 'x.db'), '--takeover-after', '5s']).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--takeover-after must be a number of milliseconds');
  });
});
