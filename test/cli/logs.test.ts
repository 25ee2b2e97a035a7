/** `console.log` in a workflow: `currant run` prints the lines as steps, `currant status` lists them. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, fixture, statusOf, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('workflow log lines in the CLI', { timeout: 90_000 }, () => {
  it('run prints them among the steps; status lists them (text and --json)', async () => {
    const db = join(tmp.dir, 'logs.db');
    const r = await cli(['run', fixture('logs.workflow'), '--tasks', fixture('tasks.ts'), '--input', '{"name":"ana"}', '--db', db, '--id', 'l-1']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const first = lines.findIndex((l) => /^\d\d:\d\d:\d\d\.\d{3} log line 4: greeting ana \{"n":1\}$/.test(l));
    const second = lines.findIndex((l) => /^\d\d:\d\d:\d\d\.\d{3} log warn line 6: got hello ana! $/.test(l));
    const task = lines.findIndex((l) => / task greet line 5: ok/.test(l));
    expect(first, r.stdout).toBeGreaterThan(0);
    expect(task).toBeGreaterThan(first);
    expect(second).toBeGreaterThan(task);

    const text = await cli(['status', 'l-1', '--db', db]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^ {2}\d\d:\d\d:\d\d\.\d{3} log line 4: greeting ana \{"n":1\}$/m);
    expect(text.stdout).toMatch(/^ {2}\d\d:\d\d:\d\d\.\d{3} log warn line 6: got hello ana! $/m);

    const json = await statusOf('l-1', db);
    expect(json.steps.filter((s: { kind: string }) => s.kind === 'log')).toEqual([
      expect.objectContaining({ kind: 'log', level: 'info', line: 4, col: 3, outcome: 'greeting ana {"n":1}' }),
      expect.objectContaining({ kind: 'log', level: 'warn', line: 6, col: 3, outcome: 'got hello ana! ' }),
    ]);
  });
});
