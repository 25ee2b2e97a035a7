/**
 * `currant worker --schedules` (a real worker process) and `currant schedules`: a worker started
 * after a downtime catches up the last missed firing of a schedule (deterministic id), and the
 * listing shows next and last firings. (A schedules file that does not check: schedules.test.ts.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../adapters/embedded/index.ts';
import { firingId, isoSeconds } from '../../runtime/schedules.ts';
import { cli, eventually, fixture, spawnCurrant, statusOf, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('schedules on the command line', { timeout: 90_000 }, () => {
  it('a worker catches up the last missed firing; `currant schedules` lists next and last firings', async () => {
    const greet = fixture('greet.workflow');
    const file = join(tmp.dir, 'currant.schedules.json');
    writeFileSync(file, JSON.stringify({ schedules: [{ name: 'greeter', file: greet, rate: '1m', input: { name: 'cron', times: 1 } }] }));
    const db = join(tmp.dir, 'schedules.db');
    // It last fired three minutes ago (a worker ran then), and no worker ran since.
    const then = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3 * 60_000);
    const e = await createEngine({ dbPath: db, tasksModule: fixture('tasks.ts') });
    await e.run({ source: readFileSync(greet, 'utf8'), file: greet }, { name: 'cron', times: 1 }, { id: firingId('greeter', then) });
    await e.close();

    const worker = spawnCurrant(['worker', '--tasks', fixture('tasks.ts'), '--db', db, '--schedules', file]);
    const line = await eventually(async () => /schedule greeter: started (greeter@\S+) \(the last of (\d) firings missed while no worker ran\)/.exec(worker.stdout()) ?? undefined, 20_000, 'the catch-up');
    expect(worker.stdout()).toContain('worker: 1 schedule: greeter (every 1m)');
    const id = line[1]!;
    expect(Number(line[2])).toBeGreaterThanOrEqual(3);
    expect(Date.parse(id.slice('greeter@'.length))).toBeGreaterThan(then.getTime());
    const done = await eventually(async () => {
      const s = await statusOf(id, db);
      return s?.status === 'completed' ? s : undefined;
    }, 20_000, 'the caught-up instance to finish');
    expect(done).toMatchObject({ workflow: 'greeting', input: { name: 'cron', times: 1 } });
    worker.child.kill('SIGTERM');
    expect((await worker.done).code).toBe(0);

    const listed = await cli(['schedules', '--schedules', file, '--db', db, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const [row] = JSON.parse(listed.stdout);
    expect(row).toMatchObject({ name: 'greeter', workflow: 'greeting', rate: '1m', timeZone: 'UTC', input: { name: 'cron', times: 1 }, last: { status: 'completed' } });
    expect(Date.parse(row.last.firedAt)).toBeGreaterThanOrEqual(Date.parse(id.slice('greeter@'.length)));
    expect(Date.parse(row.nextFiring)).toBeGreaterThan(Date.now() - 60_000);
    expect(row.nextFiring).toBe(isoSeconds(new Date(Date.parse(row.nextFiring))));
    const text = await cli(['schedules', '--schedules', file, '--db', db]);
    expect(text.stdout).toMatch(/^greeter +greeting +every 1m +\d{4}-\d\d-\d\dT\d\d:\d\d:00Z +greeter@\S+ completed$/m);
  });
});
