/**
 * The failed instance the redrive tests start from: `currant run` of fixtures/redrive.workflow,
 * whose `flakyUntilFixed` task fails until the file `fixedFile` exists, so the run fails at its await
 * (CR007, line 6, 2 attempts). Gives the environment that points the task at `fixedFile`.
 */
import { expect } from 'vitest';
import { cli, fixture } from './helpers.ts';

export const TASKS = fixture('tasks.ts');

export async function failedRun(db: string, id: string, fixedFile: string): Promise<{ CURRANT_TEST_FIXED_FILE: string }> {
  const env = { CURRANT_TEST_FIXED_FILE: fixedFile };
  const r = await cli(['run', fixture('redrive.workflow'), '--tasks', TASKS, '--input', '{"name":"ann"}', '--db', db, '--id', id, '--json'], { env });
  expect(r.code, r.stderr).toBe(1);
  expect(JSON.parse(r.stdout)).toMatchObject({ status: 'failed', error: { code: 'CR007', task: 'flakyUntilFixed', attempts: 2, line: 6 } });
  return env;
}
