/**
 * `currant redrive`: a failed instance resumes from the await whose task failed — here (with
 * `--tasks`) or handed to a running `currant worker` (without; redrive.e2e.test.ts) — and refusals
 * are exit 2 with why.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, statusOf, tempDir } from './helpers.ts';
import { failedRun, TASKS } from './redrive-fixture.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('currant redrive', { timeout: 90_000 }, () => {
  it('with --tasks: runs the failed task again here and finishes with the state it had (exit 0)', async () => {
    const db = join(tmp.dir, 'here.db');
    const fixed = join(tmp.dir, 'here.fixed');
    const env = await failedRun(db, 'r-1', fixed);
    const status = await statusOf('r-1', db);
    expect(status.redrive).toMatchObject({ possible: true, task: 'flakyUntilFixed', line: 6 });

    writeFileSync(fixed, 'yes');
    const r = await cli(['redrive', 'r-1', '--tasks', TASKS, '--db', db], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/redrive flakyUntilFixed line 6: redriven: flakyUntilFixed to be sent again \(attempt 1 of 2\)/);
    expect(r.stdout).toMatch(/task flakyUntilFixed line 6: ok/);
    // `hello` was computed before the failure and is still there: greet did not run again
    const done = await statusOf('r-1', db);
    expect(done).toMatchObject({ status: 'completed', result: 'hello ann! ann done' });
    expect(done.steps.filter((s: { kind: string; task?: string }) => s.kind === 'task' && s.task === 'greet')).toHaveLength(1);

    const again = await cli(['redrive', 'r-1', '--db', db]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("instance 'r-1' cannot be redriven: it is completed");
  });

  it('refuses a runtime error in the workflow text and an unknown id (exit 2)', async () => {
    const db = join(tmp.dir, 'refuse.db');
    const wf = join(tmp.dir, 'oops.workflow');
    writeFileSync(wf, 'task greet(name: string): any\n\nworkflow oops(name: string): number {\n  const g = await greet(name)\n\n  return g.items.length\n}\n');
    const r = await cli(['run', wf, '--tasks', TASKS, '--input', '{"name":"x"}', '--db', db, '--id', 'o-1', '--json']);
    expect(r.code).toBe(1);
    const refused = await cli(['redrive', 'o-1', '--db', db]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/cannot be redriven: it failed with CR\d+ at line 6, a runtime error in the workflow text/);
    expect((await statusOf('o-1', db)).status).toBe('failed');
    expect((await cli(['redrive', 'nope', '--db', db])).code).toBe(2);
  });
});
