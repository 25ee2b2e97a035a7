/**
 * `currant redrive` without `--tasks`: the redrive is saved and a running `currant worker` (a real
 * process) takes the failed task over (the rest is in redrive.test.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, eventually, spawnCurrant, statusOf, tempDir } from './helpers.ts';
import { failedRun, TASKS } from './redrive-fixture.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('currant redrive to a running worker', { timeout: 90_000 }, () => {
  it('without --tasks: saved, and a running worker takes the task over', async () => {
    const db = join(tmp.dir, 'worker.db');
    const fixed = join(tmp.dir, 'worker.fixed');
    const env = await failedRun(db, 'r-2', fixed);
    const worker = spawnCurrant(['worker', '--tasks', TASKS, '--db', db, '--takeover-after', '0'], { env });
    try {
      await eventually(async () => (worker.stdout().includes('worker:') ? true : undefined), 30_000, 'worker up');
      writeFileSync(fixed, 'yes');
      const r = await cli(['redrive', 'r-2', '--db', db]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('redriven r-2: flakyUntilFixed (line 6) to be sent again as attempt 1');
      const done = await eventually(async () => {
        const s = await statusOf('r-2', db);
        return s?.status === 'completed' ? s : undefined;
      }, 30_000, 'r-2 completed by the worker');
      expect(done.result).toBe('hello ann! ann done');
    } finally {
      worker.child.kill('SIGTERM');
      await worker.done;
    }
  });

});
