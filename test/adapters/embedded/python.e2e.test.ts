/**
 * Python tasks on the embedded engine: a real Python process (`python -m currant_tasks.local`)
 * speaking the task protocol over stdin/stdout, and stand-ins that crash, hang, write garbage or
 * huge lines, or forge a token — each must fail its attempt clearly and never wedge the engine.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createEngine, PythonTasks, PythonTasksError, type Engine, type EngineOptions } from '../../../adapters/embedded/index.ts';
import type { StepLog } from '../../../runtime/types.ts';
import { cli } from '../../cli/helpers.ts';

const ROOT = join(import.meta.dirname, '../../..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const PY_TASKS = join(FIXTURES, 'py_tasks.py');
const FAKE = join(FIXTURES, 'fake_local.py');
const PYTHON = process.env.CURRANT_PYTHON ?? 'python3';

const open: Engine[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});
async function engine(opts: EngineOptions): Promise<{ e: Engine; steps: StepLog[]; stderr: string[] }> {
  const steps: StepLog[] = [];
  const stderr: string[] = [];
  const e = await createEngine({
    dbPath: ':memory:',
    onStep: (_i, s) => steps.push(s),
    python: { onStderr: (d) => stderr.push(d), hangGraceMs: 300, ...opts.python },
    ...opts,
  });
  open.push(e);
  return { e, steps, stderr };
}
const def = (source: string) => ({ source, file: 'test.workflow' });
const fake = (mode: string) => ({ command: { file: PYTHON, args: [FAKE, mode] } });

describe('Python tasks on the embedded engine', { timeout: 30_000 }, () => {
  it('runs examples/mixed with tasks.ts and tasks.py side by side', async () => {
    const { e, steps } = await engine({ tasksModule: [join(ROOT, 'examples/mixed/tasks.ts'), join(ROOT, 'examples/mixed/tasks.py')] });
    const source = readFileSync(join(ROOT, 'examples/mixed/mixed.workflow'), 'utf8');
    const done = await e.run({ source, file: 'mixed.workflow' }, JSON.parse(readFileSync(join(ROOT, 'examples/mixed/input.json'), 'utf8')));
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    expect(done.result).toEqual({ text: 'durable workflows in two languages', words: 5, letters: 30, headline: 'DURABLE WORKFLOWS IN TWO LANGUAGES (5 words, 30 letters)' });
    expect(steps.filter((s) => s.kind === 'task').map((s) => `${s.task}:${s.outcome}`).sort()).toEqual(['countLetters:ok', 'countWords:ok', 'headline:ok', 'normalize:ok']);
  });

  it('gives Python the same context, attempt token and idempotency key; prints never reach the protocol', async () => {
    const { e, stderr } = await engine({ tasksModule: PY_TASKS });
    const done = await e.run(def('task pyEcho(v: number): any\nworkflow w(): any { return await pyEcho(42) }\n'), {}, { id: 'echo-1' });
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    const taskId = done.steps.find((s) => s.kind === 'task')!.taskId;
    expect(done.result).toEqual({ value: 42, attempt: 1, idempotencyKey: `echo-1/${taskId}`, instanceId: 'echo-1', taskId });
    // The result was accepted, so it carried the attempt's token (the runtime refuses it otherwise).
    // stderr is another pipe: what the task printed may arrive just after its result.
    for (let i = 0; i < 50 && !stderr.join('').includes('and this goes to fd 1 directly'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stderr.join('')).toContain('pyEcho says hello on stdout (attempt 1)');
    expect(stderr.join('')).toContain('and this goes to fd 1 directly');
  });

  it('maps errors, retries and timeouts as on Lambda', async () => {
    const { e, steps } = await engine({ tasksModule: PY_TASKS });
    const declined = await e.run(def('task declined(id: string): string with { retries: 3, backoff: "10ms" }\nworkflow w(): string { return await declined("o-1") }\n'), {});
    expect(declined.status).toBe('failed');
    expect(declined.error).toMatchObject({ code: 'CR007', task: 'declined', attempts: 1 });
    expect(declined.error!.message).toContain('card declined for o-1');

    const flaky = await e.run(def('task flaky(): string with { retries: 3, backoff: "10ms" }\nworkflow w(): string { return await flaky() }\n'), {});
    expect(flaky).toMatchObject({ status: 'completed', result: 'ok on attempt 3' });
    expect(steps.filter((s) => s.task === 'flaky' && s.kind === 'task').map((s) => s.outcome)).toEqual([
      'failed: flaky failure on attempt 1 (retry in 10ms)',
      'failed: flaky failure on attempt 2 (retry in 20ms)',
      'ok',
    ]);

    const slow = await e.run(def('task slow(): string with { retries: 1, backoff: "10ms", timeout: "300ms" }\nworkflow w(): string { return await slow() }\n'), {});
    expect(slow).toMatchObject({ status: 'completed', result: 'fast on attempt 2' });
    // Whichever clock says it first: the engine's timer ("timed out after 300ms") or the Python
    // runner's Timeout answer for the time that was left ("task 'slow' timed out after 299 ms").
    expect(steps.find((s) => s.task === 'slow')!.outcome).toMatch(/timed out after (300ms|\d+ ms)/);
  });

  it('a crash of the Python process fails the attempt in flight as retryable; the next attempt gets a new process', async () => {
    const { e, steps, stderr } = await engine({ tasksModule: PY_TASKS });
    const done = await e.run(def('task crashOnce(m: string): string with { retries: 1, backoff: "10ms" }\nworkflow w(): string { return await crashOnce("x") }\n'), {});
    expect(done).toMatchObject({ status: 'completed', result: 'survived on attempt 2' });
    const first = steps.find((s) => s.task === 'crashOnce')!;
    expect(first.outcome).toMatch(/^failed: the Python tasks process for py_tasks\.py exited with code 17 while the attempt ran; its stderr ended with:.*about to crash.*\(retry in 10ms\)$/s);
    expect(stderr.join('')).toContain('about to crash');
  });

  describe('hostile output fails the attempt clearly and never wedges the engine', () => {
    // The attempt's limit counts from dispatch, so a retry's includes starting the new process.
    const wf = (timeout: string) => `task t(): string with { retries: 1, backoff: "10ms", timeout: "${timeout}" }\nworkflow w(): string { return await t() }\n`;
    it.each([
      ['garbage', /broke the protocol: it wrote a line that is not JSON: "this is not JSON"/],
      ['huge', /wrote a line over 1048576 bytes/],
      ['token', /with a token that is not the attempt's/],
    ])('%s: attempt 1 fails as retryable, attempt 2 runs in a new process', async (mode, message) => {
      const py = await PythonTasks.start('fake.py', { ...fake(mode), onStderr: () => {} });
      const { e, steps } = await engine({ taskProcesses: [py] });
      const done = await e.run(def(wf('10s')), {});
      expect(done).toMatchObject({ status: 'completed', result: expect.stringMatching(new RegExp(`^${mode}: answered attempt 2 with timeoutMs<=\\d+$`)) });
      const first = steps.find((s) => s.kind === 'task')!;
      expect(first.outcome).toMatch(message);
      expect(first.outcome).toMatch(/\(retry in 10ms\)$/);
    });

    it('a hang: the attempt times out, the silent process is killed and the retry runs in a new one', async () => {
      const said: string[] = [];
      const py = await PythonTasks.start('fake.py', { ...fake('hang'), onStderr: (d) => said.push(d), hangGraceMs: 200 });
      const { e, steps } = await engine({ taskProcesses: [py] });
      const done = await e.run(def(wf('1500ms')), {});
      expect(done).toMatchObject({ status: 'completed', result: expect.stringMatching(/^hang: answered attempt 2/) });
      expect(steps.find((s) => s.kind === 'task')!.outcome).toMatch(/timed out after 1500ms/);
      await e.settled();
      await new Promise((r) => setTimeout(r, 400)); // past the hang grace of attempt 1
      expect(said.join('')).toContain('did not answer attempt 1 of t within its timeout and 200 ms more; it was killed');
    });
  });

  describe('a process that does not start is a clear error', () => {
    it.each([
      ['exit-before-ready', /exited with code 3; its stderr ended with:\n.*ImportError: no module named nowhere/s],
      ['bad-ready', /did not start with a ready line: not JSON: "Hello, I am not the protocol"/],
      ['no-ready', /did not say ready within 500 ms/],
    ])('%s', async (mode, message) => {
      const startTimeoutMs = mode === 'no-ready' ? 500 : undefined;
      const err = await PythonTasks.start('fake.py', { ...fake(mode), onStderr: () => {}, startTimeoutMs }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PythonTasksError);
      expect((err as Error).message).toMatch(message);
    });

    it('a tasks file that raises on import, and a missing interpreter', async () => {
      const broken = join(FIXTURES, 'py_broken.py');
      const err = await PythonTasks.start(broken, { onStderr: () => {} }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/py_broken\.py: exited with code 3; its stderr ended with:\n.*ZeroDivisionError/s);
      const none = await PythonTasks.start(PY_TASKS, { python: '/nonexistent/python3', onStderr: () => {} }).catch((e: unknown) => e);
      expect((none as Error).message).toMatch(/cannot run '\/nonexistent\/python3' \(not found\): install Python 3\.9\+ or pass --python <path>/);
    });
  });

  it('close() stops the process, also while an attempt runs', async () => {
    const py = await PythonTasks.start(PY_TASKS, { onStderr: () => {} });
    const pending = py.run({ type: 'sendTask', instanceId: 'i', taskId: 'n1.s1', task: 'slow', args: [], attempt: 1, timeoutMs: 10_000 }, Date.now() + 10_000);
    const t0 = Date.now();
    await py.close();
    expect(await pending).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(8_000); // the task itself would take 10 s
  });

  describe('the CLI: --tasks a.ts --tasks b.py', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'currant-py-cli-'));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));
    const MIXED = ['run', join(ROOT, 'examples/mixed/mixed.workflow'), '--input', `@${join(ROOT, 'examples/mixed/input.json')}`];

    it('runs the mixed example; the Python tasks count for the declared-task check', async () => {
      const db = join(tmp, 'ok.db');
      const r = await cli([...MIXED, '--tasks', join(ROOT, 'examples/mixed/tasks.ts'), '--tasks', join(ROOT, 'examples/mixed/tasks.py'), '--db', db, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'completed', result: { words: 5, letters: 30 } });
    });

    it('a missing task, a .py that cannot start, a task in two modules: exit 2, nothing created', async () => {
      const db = join(tmp, 'bad.db');
      const onlyNode = await cli([...MIXED, '--tasks', join(ROOT, 'examples/mixed/tasks.ts'), '--db', db]);
      expect(onlyNode.code).toBe(2);
      expect(onlyNode.stderr).toMatch(/does not export 'countWords' \(declared in the workflow\)/);
      const broken = await cli([...MIXED, '--tasks', join(ROOT, 'examples/mixed/tasks.ts'), '--tasks', join(FIXTURES, 'py_broken.py'), '--db', db]);
      expect(broken.code).toBe(2);
      expect(broken.stderr).toMatch(/cannot start Python tasks '.*py_broken\.py': py_broken\.py: exited with code 3; its stderr ended with:\n(.|\n)*ZeroDivisionError/);
      const dup = join(tmp, 'dup.py');
      writeFileSync(dup, 'from currant_tasks import task\n\n@task("normalize")\ndef normalize(text):\n    return text\n\n@task("countWords")\ndef count_words(text):\n    return {"unit": "words", "count": 0}\n');
      const twice = await cli([...MIXED, '--tasks', join(ROOT, 'examples/mixed/tasks.ts'), '--tasks', dup, '--db', db]);
      expect(twice.code).toBe(2);
      expect(twice.stderr).toMatch(/task 'normalize' is exported by both '.*tasks\.ts' and '.*dup\.py'; keep one/);
      const noPython = await cli([...MIXED, '--tasks', join(ROOT, 'examples/mixed/tasks.ts'), '--tasks', join(ROOT, 'examples/mixed/tasks.py'), '--python', '/nonexistent/python3', '--db', db]);
      expect(noPython.code).toBe(2);
      expect(noPython.stderr).toContain("cannot run '/nonexistent/python3' (not found): install Python 3.9+ or pass --python <path>");
      expect(existsSync(db)).toBe(false);
    });
  });
});
