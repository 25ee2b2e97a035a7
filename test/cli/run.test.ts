/** `currant run`: output, --json, exit codes and bad input, through the CLI's main() in-process. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, fixture, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);
const TASKS = fixture('tasks.ts');
let n = 0;
const freshDb = () => join(tmp.dir, `run-${++n}.db`);

describe('currant run', { timeout: 90_000 }, () => {
  it('--json prints only the final instance on stdout, exit 0 when completed', async () => {
    const db = freshDb();
    const r = await cli(['run', fixture('greet.workflow'), '--tasks', TASKS, '--input', '{"name":"ana","times":2}', '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!);
    expect(out).toEqual({ id: expect.stringMatching(/^greeting-[0-9a-f]{8}$/), workflow: 'greeting', status: 'completed', result: 'hello ana! hello ana! ' });
  });

  it('prints one line per step, then the result', async () => {
    const db = freshDb();
    const r = await cli(['run', fixture('greet.workflow'), '--tasks', TASKS, '--input', '{"name":"bo","times":3}', '--db', db, '--id', 'g-1']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // Plain format (not a terminal): a timestamp, the step, its line and outcome.
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} start: /);
    expect(lines.filter((l) => /^\d\d:\d\d:\d\d\.\d{3} task greet line 6: ok \(\d+ms\)$/.test(l))).toHaveLength(3);
    expect(lines.some((l) => / complete: /.test(l))).toBe(true);
    expect(lines[lines.length - 1]).toBe('completed greeting g-1 → "hello bo! hello bo! hello bo! "');
    expect(r.stdout).not.toMatch(/\x1b\[/); // no colour codes when not on a terminal
  });

  it('exits 1 when the workflow fails, with the error code, task, attempts and line', async () => {
    const db = freshDb();
    const r = await cli(['run', fixture('fails.workflow'), '--tasks', TASKS, '--input', '{"what":"the printer"}', '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('failed');
    expect(out.error).toMatchObject({ code: 'CR007', task: 'alwaysFails', attempts: 2, line: 4 });
    expect(out.error.message).toContain('the printer is broken');
    expect(out.result).toBeUndefined();
  });

  it('text mode shows the failure with file:line', async () => {
    const r = await cli(['run', fixture('fails.workflow'), '--tasks', TASKS, '--input', '{"what":"x"}', '--db', freshDb(), '--id', 'f-1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/retry alwaysFails/);
    expect(r.stdout.trim().split('\n').pop()).toMatch(new RegExp(`^failed fails f-1: CR007 .* at ${fixture('fails.workflow').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:\\d+$`));
  });

  it('reads --input @file and creates the default database folder', async () => {
    const dir = join(tmp.dir, 'cwd');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'in.json'), '{"name":"cy","times":1}');
    const r = await cli(['run', fixture('greet.workflow'), '--tasks', TASKS, '--input', '@in.json', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).result).toBe('hello cy! ');
    expect(existsSync(join(dir, '.currant/currant.db'))).toBe(true);
  });

  it('the same --id and input attaches to the existing instance; another input is exit 2', async () => {
    const db = freshDb();
    const args = ['run', fixture('greet.workflow'), '--tasks', TASKS, '--db', db, '--id', 'same', '--json'];
    const first = await cli([...args, '--input', '{"name":"di","times":1}']);
    const again = await cli([...args, '--input', '{"name":"di","times":1}']);
    expect(first.code).toBe(0);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(first.stdout));
    const other = await cli([...args, '--input', '{"name":"ed","times":1}']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/same.*conflict/);
    expect(other.stdout).toBe('');
  });

  describe('bad input: exit 2, clear message, nothing created', () => {
    const cases: [string, string[], RegExp][] = [
      ['invalid JSON', ['--input', '{"name": '], /invalid JSON in --input/],
      ['invalid JSON in a file', ['--input', `@${fixture('greet.workflow')}`], /invalid JSON in --input file/],
      ['a missing input file', ['--input', '@nope.json'], /cannot read --input file 'nope.json': no such file/],
      ['input not matching the parameters', ['--input', '{"name": 5, "times": 1}'], /invalid input: .*name/],
      ['a missing parameter', ['--input', '{"name": "x"}'], /invalid input: .*times/],
      ['input that is not an object', ['--input', '[1, 2]'], /invalid input: .*the input must be .*object/],
    ];
    it.each(cases)('%s', async (_what, extra, message) => {
      const db = freshDb();
      const r = await cli(['run', fixture('greet.workflow'), '--tasks', TASKS, '--db', db, ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
      expect(existsSync(db)).toBe(false);
    });

    it('an unknown workflow file, tasks module or missing task export', async () => {
      const db = freshDb();
      const noFile = await cli(['run', 'nope.workflow', '--tasks', TASKS, '--db', db]);
      expect(noFile.code).toBe(2);
      expect(noFile.stderr).toContain("cannot read workflow file 'nope.workflow'");
      const noTasks = await cli(['run', fixture('greet.workflow'), '--tasks', 'nope.ts', '--input', '{"name":"a","times":1}', '--db', db]);
      expect(noTasks.code).toBe(2);
      expect(noTasks.stderr).toContain("cannot find tasks module 'nope.ts'");
      const wrongTasks = await cli(['run', fixture('greet.workflow'), '--tasks', 'examples/order/tasks.ts', '--input', '{"name":"a","times":1}', '--db', db]);
      expect(wrongTasks.code).toBe(2);
      expect(wrongTasks.stderr).toContain("does not export 'greet'");
      const throwing = join(tmp.dir, 'throwing-tasks.ts');
      writeFileSync(throwing, "throw new Error('tasks module exploded')\nexport async function greet() { return 'x' }\n");
      const loadFails = await cli(['run', fixture('greet.workflow'), '--tasks', throwing, '--input', '{"name":"a","times":1}', '--db', db]);
      expect(loadFails.code).toBe(2);
      expect(loadFails.stderr).toContain('cannot load tasks module');
      expect(loadFails.stderr).toContain('tasks module exploded');
      const noTasksFlag = await cli(['run', fixture('greet.workflow'), '--db', db]);
      expect(noTasksFlag.code).toBe(2);
      expect(noTasksFlag.stderr).toContain("required option '--tasks <module>' not specified");
      expect(existsSync(db)).toBe(false);
    });
  });

  it('a workflow with check errors: diagnostics on stderr, exit 1, nothing created', async () => {
    const db = freshDb();
    const r = await cli(['run', fixture('broken.workflow'), '--tasks', TASKS, '--input', '{"name":"a"}', '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error CT005');
    expect(existsSync(db)).toBe(false);
  });
});

describe('currant run: progress while a task runs', () => {
  it('not on a terminal: plain, timestamped progress lines while the steps are quiet', async () => {
    const dir = join(tmp.dir, 'progress');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'tasks.ts'), 'export async function slow() { await new Promise((r) => setTimeout(r, 800)); return 1 }\n');
    writeFileSync(join(dir, 'slow.workflow'), 'task slow(): number\nworkflow slowly(): number {\n  return await slow()\n}\n');
    const r = await cli(['run', join(dir, 'slow.workflow'), '--tasks', join(dir, 'tasks.ts'), '--db', freshDb()], { env: { CURRANT_PROGRESS_EVERY_MS: '150' } });
    expect(r.code, r.stderr).toBe(0);
    const progress = r.stdout.split('\n').filter((l) => l.includes('progress:'));
    expect(progress.length, r.stdout).toBeGreaterThanOrEqual(1);
    for (const l of progress) expect(l).toMatch(/^\d\d:\d\d:\d\d\.\d{3} progress: slow running (\d+ms|\d+\.\d+s) \(line 3\)$/);
    // The step itself says how long the task took (about 800ms), after the progress lines.
    expect(r.stdout).toMatch(/task slow line 3: ok \((\d+ms|\d+\.\d+s)\)\n(.*\n)?.*complete/);
  });
});
