/**
 * `currant status`, `list`, `signal` and `cancel`, next to a `currant run` that waits for a signal
 * in another process on the same database (that run is a real process; the other commands run
 * in-process through `cli`, which opens the database just as a separate process would).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, eventually, fixture, spawnCurrant, statusOf, tempDir } from './helpers.ts';

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

describe('status, list, signal, cancel next to a waiting run', { timeout: 90_000 }, () => {
  it('a signal from another process lets the waiting run finish', async () => {
    const db = join(tmp.dir, 'signal.db');
    const { run, status } = await startWaiting(db, 'w-1');
    expect(status).toMatchObject({ id: 'w-1', workflow: 'waits', status: 'waiting', at: { line: 4 } });
    expect(status.pending.signals).toEqual([expect.objectContaining({ name: 'go', line: 4 })]);
    expect(status.pending.tasks).toEqual([]);

    const listed = await cli(['list', '--db', db, '--status', 'waiting', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((s: { id: string }) => s.id)).toEqual(['w-1']);

    const bad = await cli(['signal', 'w-1', 'go', '{oops', '--db', db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid JSON in signal payload');

    const sent = await cli(['signal', 'w-1', 'go', '{"who":"bob"}', '--db', db]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('signal "go" sent to w-1');
    expect(sent.stderr).not.toContain('note:'); // the waiting run announced itself: it will act on it

    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ id: 'w-1', status: 'completed', result: 'x: hello bob! ' });

    const text = await cli(['status', 'w-1', '--db', db]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^status +completed$/m);
    expect(text.stdout).toMatch(/^result +"x: hello bob! "$/m);
    expect(text.stdout).toMatch(/signal line 4: waiting for "go"/);
    expect(text.stdout).toMatch(/task greet line 5: ok/);

    const late = await cli(['signal', 'w-1', 'go', '{}', '--db', db]);
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
    const late = await cli(['signal', 'l-1', 'go', '"too late"', '--db', db]);
    expect(late.code, late.stderr).toBe(2);
    expect(late.stderr).toContain('instance l-1 is completed: the instance completed before the signal arrived');
    expect(late.stderr).toContain('signal not delivered');
    expect(await statusOf('l-1', db)).toMatchObject({ status: 'completed', result: { timedOut: true, payload: null } });
  });

  it('cancel stops a waiting instance; the run exits 3', async () => {
    const db = join(tmp.dir, 'cancel.db');
    const { run } = await startWaiting(db, 'c-1');
    const r = await cli(['cancel', 'c-1', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const done = await run.done;
    expect(done.code).toBe(3);
    expect(JSON.parse(done.stdout)).toMatchObject({ id: 'c-1', status: 'cancelled', error: { code: 'CANCELLED' } });
    expect((await statusOf('c-1', db)).status).toBe('cancelled');
    const again = await cli(['cancel', 'c-1', '--db', db]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already cancelled');
  });

});
