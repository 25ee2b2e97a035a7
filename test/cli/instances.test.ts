/**
 * `currant status`, `list`, `signal` and `cancel`, next to a `currant run` that waits for a signal
 * in another process on the same database.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { currant, eventually, fixture, spawnCurrant, statusOf, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);
const TASKS = fixture('tasks.ts');

/** Starts `run waits.workflow` and resolves once the instance waits for its signal. */
async function startWaiting(db: string, id: string, name = 'x') {
  const run = spawnCurrant(['run', fixture('waits.workflow'), '--tasks', TASKS, '--input', JSON.stringify({ name }), '--db', db, '--id', id, '--json']);
  const status = await eventually(async () => {
    const s = existsSync(db) ? await statusOf(id, db) : undefined;
    return s?.pending.signals.length ? s : undefined;
  }, 20_000, `${id} waiting`);
  return { run, status };
}

// Each CLI call starts node + tsx (about a second, more when test files run in parallel).
describe('status, list, signal, cancel', { timeout: 90_000 }, () => {
  it('a signal from another process lets the waiting run finish', async () => {
    const db = join(tmp.dir, 'signal.db');
    const { run, status } = await startWaiting(db, 'w-1');
    expect(status).toMatchObject({ id: 'w-1', workflow: 'waits', status: 'waiting', at: { line: 4 } });
    expect(status.pending.signals).toEqual([expect.objectContaining({ name: 'go', line: 4 })]);
    expect(status.pending.tasks).toEqual([]);

    const listed = await currant(['list', '--db', db, '--status', 'waiting', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((s: { id: string }) => s.id)).toEqual(['w-1']);

    const bad = await currant(['signal', 'w-1', 'go', '{oops', '--db', db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid JSON in signal payload');

    const sent = await currant(['signal', 'w-1', 'go', '{"who":"bob"}', '--db', db]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('signal "go" sent to w-1');

    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ id: 'w-1', status: 'completed', result: 'x: hello bob! ' });

    const text = await currant(['status', 'w-1', '--db', db]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^status +completed$/m);
    expect(text.stdout).toMatch(/^result +"x: hello bob! "$/m);
    expect(text.stdout).toMatch(/signal line 4: waiting for "go"/);
    expect(text.stdout).toMatch(/task greet line 5: ok/);

    const late = await currant(['signal', 'w-1', 'go', '{}', '--db', db]);
    expect(late.code).toBe(2);
    expect(late.stderr).toContain('already completed');
  });

  it('a signal sent after its timeout while no process runs the instance loses to the timeout (exit 2)', async () => {
    const db = join(tmp.dir, 'late.db');
    const run = spawnCurrant(['run', fixture('waits-briefly.workflow'), '--tasks', TASKS, '--db', db, '--id', 'l-1']);
    // The run prints each step as it is saved: once it waits, kill it before the timeout fires.
    await eventually(async () => (/waiting for "go"/.test(run.stdout()) ? true : undefined), 20_000, 'l-1 waiting');
    run.child.kill('SIGKILL'); // nobody is left to fire the 2 s timeout
    await run.done;
    await new Promise((r) => setTimeout(r, 2_500));
    const late = await currant(['signal', 'l-1', 'go', '"too late"', '--db', db]);
    expect(late.code, late.stderr).toBe(2);
    expect(late.stderr).toContain('instance l-1 is completed: the instance completed before the signal arrived');
    expect(late.stderr).toContain('signal not delivered');
    expect(await statusOf('l-1', db)).toMatchObject({ status: 'completed', result: { timedOut: true, payload: null } });
  });

  it('cancel stops a waiting instance; the run exits 3', async () => {
    const db = join(tmp.dir, 'cancel.db');
    const { run } = await startWaiting(db, 'c-1');
    const r = await currant(['cancel', 'c-1', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const done = await run.done;
    expect(done.code).toBe(3);
    expect(JSON.parse(done.stdout)).toMatchObject({ id: 'c-1', status: 'cancelled', error: { code: 'CANCELLED' } });
    expect((await statusOf('c-1', db)).status).toBe('cancelled');
    const again = await currant(['cancel', 'c-1', '--db', db]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already cancelled');
  });

  it('list filters by workflow and status; text output has one row per instance', async () => {
    const db = join(tmp.dir, 'list.db');
    for (const id of ['a', 'b']) {
      const r = await currant(['run', fixture('greet.workflow'), '--tasks', TASKS, '--input', '{"name":"n","times":1}', '--db', db, '--id', id, '--json']);
      expect(r.code).toBe(0);
    }
    const f = await currant(['run', fixture('fails.workflow'), '--tasks', TASKS, '--input', '{"what":"w"}', '--db', db, '--id', 'c', '--json']);
    expect(f.code).toBe(1);
    const ids = async (...args: string[]) => {
      const r = await currant(['list', '--db', db, '--json', ...args]);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout).map((s: { id: string }) => s.id).sort();
    };
    expect(await ids()).toEqual(['a', 'b', 'c']);
    expect(await ids('--workflow', 'greeting')).toEqual(['a', 'b']);
    expect(await ids('--status', 'failed')).toEqual(['c']);
    expect(await ids('--status', 'waiting')).toEqual([]);
    const text = await currant(['list', '--db', db]);
    const rows = text.stdout.trim().split('\n');
    expect(rows).toHaveLength(4); // header + 3
    expect(rows.find((l) => l.startsWith('c '))).toMatch(/fails +failed .*CR007/);
    const bogus = await currant(['list', '--db', db, '--status', 'sleeping']);
    expect(bogus.code).toBe(2);
  });

  it('unknown ids and missing databases are exit 2 and create nothing', async () => {
    const db = join(tmp.dir, 'exists.db');
    const r = await currant(['run', fixture('greet.workflow'), '--tasks', TASKS, '--input', '{"name":"n","times":1}', '--db', db, '--json']);
    expect(r.code).toBe(0);
    for (const args of [['status', 'nope'], ['signal', 'nope', 'go'], ['cancel', 'nope']]) {
      const res = await currant([...args, '--db', db]);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain("no instance 'nope'");
    }
    const missing = join(tmp.dir, 'missing.db');
    for (const args of [['status', 'x'], ['list'], ['signal', 'x', 'go'], ['cancel', 'x']]) {
      const res = await currant([...args, '--db', missing]);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain('no database at');
    }
    expect(existsSync(missing)).toBe(false);
  });
});
