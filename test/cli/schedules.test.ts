/**
 * `currant worker --schedules` and `currant schedules` with a schedules file that does not check:
 * exit 2 with every problem listed, before anything runs (in-process through `cli`).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, fixture, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('schedules files', () => {
  it('refuses a schedules file that does not check, listing every problem (exit 2), before running anything', async () => {
    const bad = join(tmp.dir, 'bad.schedules.json');
    writeFileSync(bad, JSON.stringify({ schedules: [{ name: 'x', file: fixture('greet.workflow'), cron: '0 2 1 * MON' }, { name: 'y', file: 'nope.workflow', rate: '1h' }] }));
    for (const args of [['worker', '--tasks', fixture('tasks.ts'), '--db', join(tmp.dir, 'never.db'), '--schedules', bad], ['schedules', '--schedules', bad]]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('2 problems');
      expect(r.stderr).toContain("schedule 'x': cron \"0 2 1 * MON\" sets both the day of month and the day of week");
      expect(r.stderr).toContain('schedules[1]: cannot read nope.workflow (ENOENT)');
    }
    expect(existsSync(join(tmp.dir, 'never.db'))).toBe(false); // the worker did not start
  });
});
