/**
 * Python tasks on the embedded engine: one Python process per tasks file, running
 * `python -m currant_tasks.local tasks.py` and speaking the task protocol over its stdin and
 * stdout, one JSON message per line (docs/protocol.md, "Local tasks"). The messages are the ones a
 * task Lambda gets and sends (`currant.task.v1` in, `currant.result.v1` out), with the attempt's
 * token and idempotency key; the Python side runs them with the same runner as on Lambda.
 *
 *   const py = await PythonTasks.start('examples/mixed/tasks.py'); // spawns it, waits for "ready"
 *   py.tasks;                                                       // ['countWords']
 *   const outcome = await py.run(sendTaskCommand, Date.now() + 30_000);
 *   await py.close();
 *
 * The engine's side of the contract, whatever the process does:
 *
 *   the process …                              the attempts in flight …
 *   answers                                    get the answer (its token must match)
 *   exits or is killed (a crash)               fail as retryable, `TaskProcessCrashed`; the next attempt restarts it
 *   writes a line that is not a protocol       fail as retryable, `TaskProcessProtocol`; the process is killed
 *     message, or one over 1 MiB                 and restarted for the next attempt
 *   does not answer by an attempt's deadline   that attempt times out (the runtime's timer decides); without any
 *                                                answer `hangGraceMs` later the process is deemed hung: killed,
 *                                                the other attempts fail as retryable, `TaskProcessHung`
 *   does not start (Python missing, the file   `start` rejects with the reason and the end of its stderr; on a
 *     does not import, no "ready" in time)       restart, the attempt fails as retryable with that message
 *
 * Nothing the process writes can throw here or block the engine: lines are parsed defensively,
 * buffered up to a limit, and every wait has a timer.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULT_PROTOCOL, TASK_PROTOCOL, type TaskMessage } from '../../sdk/node/core.ts';
import type { AttemptOutcome, TaskAttemptCommand, TaskProcess } from './tasks.ts';

/** The first line the process writes: `{"protocol":"currant.local.v1","type":"ready","tasks":[…]}`. */
export const LOCAL_PROTOCOL = 'currant.local.v1';
/** The `replyTo` of local task messages: the answer comes back on the process's stdout. */
export const LOCAL_REPLY_TO = 'local';

export interface PythonTasksOptions {
  /**
   * The interpreter. Default: `$CURRANT_PYTHON`, else the active virtualenv's python
   * (`$VIRTUAL_ENV`), else `./.venv/bin/python` when it exists, else `python3`.
   */
  python?: string;
  /** How long the process may take to import the tasks file and say "ready" (default 30 s). */
  startTimeoutMs?: number;
  /** How long past an attempt's deadline the process may stay silent before it is deemed hung (default 5 s). */
  hangGraceMs?: number;
  /** How long `close` waits for the process to exit after closing its stdin, before SIGKILL (default 2 s). */
  closeGraceMs?: number;
  /** Longest line accepted from the process (default 1 MiB; a result is at most 256 KiB). */
  maxLineBytes?: number;
  /** Where the process's stderr (its logs, `print()` output) goes. Default: this process's stderr. */
  onStderr?: (chunk: string) => void;
  /** Replaces the whole command (tests): the tasks file is not passed. */
  command?: { file: string; args: string[] };
  /** Working directory of the process (default: this process's). */
  cwd?: string;
}

/** The process could not be started: the message says why, with the end of its stderr. */
export class PythonTasksError extends Error {
  override name = 'PythonTasksError';
}

interface Pending {
  command: TaskAttemptCommand;
  resolve: (o: AttemptOutcome | undefined) => void;
  /** The attempt's outcome was given (an answer, or undefined at its deadline). */
  settled: boolean;
  timers: NodeJS.Timeout[];
}

interface Live {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the task names once the process said ready. */
  ready: Promise<string[]>;
  dead: boolean;
  exited: Promise<void>;
}

const STDERR_TAIL_CHARS = 2_000;

export class PythonTasks implements TaskProcess {
  readonly label: string;
  private readonly file: string;
  private live: Live | undefined;
  private starting: Promise<Live> | undefined;
  private readonly pending = new Map<string, Pending>();
  private stderrTail = '';
  private closing = false;

  private names: readonly string[] = [];

  private constructor(
    file: string,
    private readonly opts: PythonTasksOptions,
  ) {
    this.file = resolve(file);
    this.label = basename(file);
  }

  /** The names the process served when it started (restarts keep routing these). */
  get tasks(): readonly string[] {
    return this.names;
  }

  /** Starts the process and waits until it has imported the tasks file; rejects with `PythonTasksError`. */
  static async start(file: string, opts: PythonTasksOptions = {}): Promise<PythonTasks> {
    const py = new PythonTasks(file, opts);
    py.names = await (await py.ensureLive()).ready;
    return py;
  }

  async run(command: TaskAttemptCommand, deadlineAt: number): Promise<AttemptOutcome | undefined> {
    if (this.closing) return undefined;
    let live: Live;
    try {
      live = await this.ensureLive();
      await live.ready;
    } catch (e) {
      return failure('TaskProcessCrashed', `the Python tasks process for ${this.label} could not be started: ${(e as Error).message}`);
    }
    if (this.closing) return undefined;
    if (live.dead) return failure('TaskProcessCrashed', `the Python tasks process for ${this.label} stopped before the attempt was sent${this.tail(3)}`);
    const key = keyOf(command.instanceId, command.taskId, command.attempt);
    const remaining = Math.max(1, Math.ceil(deadlineAt - Date.now()));
    const message: TaskMessage = {
      protocol: TASK_PROTOCOL,
      instanceId: command.instanceId,
      taskId: command.taskId,
      task: command.task,
      args: command.args as TaskMessage['args'],
      attempt: command.attempt,
      // The time left of the attempt's limit, which the engine counts from dispatch (as for Node tasks).
      timeoutMs: remaining,
      replyTo: LOCAL_REPLY_TO,
      ...(command.token !== undefined ? { token: command.token } : {}),
    };
    return new Promise<AttemptOutcome | undefined>((resolveOutcome) => {
      const p: Pending = { command, resolve: resolveOutcome, settled: false, timers: [] };
      this.pending.set(key, p);
      const hangGrace = this.opts.hangGraceMs ?? 5_000;
      p.timers.push(setTimeout(() => this.settle(key, undefined, false), remaining));
      p.timers.push(
        setTimeout(() => {
          if (this.pending.get(key) !== p) return;
          this.kill(live, 'TaskProcessHung', `the Python tasks process for ${this.label} did not answer attempt ${command.attempt} of ${command.task} within its timeout and ${hangGrace} ms more; it was killed and is restarted for the next attempt`);
        }, remaining + hangGrace),
      );
      live.child.stdin.write(JSON.stringify(message) + '\n');
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const key of [...this.pending.keys()]) this.settle(key, undefined, true);
    const live = this.live ?? (await this.starting?.catch(() => undefined));
    if (!live || live.dead) return;
    live.child.stdin.end();
    const grace = new Promise<'late'>((r) => setTimeout(() => r('late'), this.opts.closeGraceMs ?? 2_000).unref());
    if ((await Promise.race([live.exited.then(() => 'exited' as const), grace])) === 'late') {
      live.child.kill('SIGKILL');
      await live.exited;
    }
  }

  // ---- the process --------------------------------------------------------------------------

  private ensureLive(): Promise<Live> {
    if (this.live && !this.live.dead) return Promise.resolve(this.live);
    this.starting ??= this.spawnLive().finally(() => (this.starting = undefined));
    return this.starting.then((l) => (this.live = l));
  }

  private spawnLive(): Promise<Live> {
    const { file: cmd, args } = this.opts.command ?? { file: pythonCommand(this.opts.python), args: ['-m', 'currant_tasks.local', this.file] };
    const child = spawn(cmd, args, {
      cwd: this.opts.cwd,
      env: pythonEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let readyResolve!: (names: string[]) => void;
    let readyReject!: (e: Error) => void;
    const ready = new Promise<string[]>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    ready.catch(() => {}); // observed by whoever awaits it
    let exitedResolve!: () => void;
    const exited = new Promise<void>((r) => (exitedResolve = r));
    const live: Live = { child, ready, dead: false, exited };
    let isReady = false;
    const startTimer = setTimeout(() => {
      if (isReady) return;
      readyReject(new PythonTasksError(`${this.label}: the Python process did not say ready within ${this.opts.startTimeoutMs ?? 30_000} ms${this.tail()}`));
      live.dead = true;
      child.kill('SIGKILL');
    }, this.opts.startTimeoutMs ?? 30_000);

    child.stdin.on('error', () => {}); // EPIPE after a crash: the exit handler reports it
    // Until ready, stderr is held back: a failed start shows its end in the error, not twice.
    let held = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (isReady) this.onStderr(d);
      else {
        held = (held + d).slice(-STDERR_TAIL_CHARS);
        this.stderrTail = held;
      }
    });
    let buf: Buffer = Buffer.alloc(0);
    const maxLine = this.opts.maxLineBytes ?? 1_048_576;
    child.stdout.on('data', (chunk: Buffer) => {
      if (live.dead) return;
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (let nl = buf.indexOf(10); nl >= 0 && !live.dead; nl = buf.indexOf(10)) {
        const line = buf.subarray(0, nl).toString('utf8');
        buf = buf.subarray(nl + 1);
        if (!isReady) {
          const names = readyLine(line);
          if (typeof names === 'string') {
            readyReject(new PythonTasksError(`${this.label}: the Python process did not start with a ready line: ${names}${this.tail()}`));
            live.dead = true;
            child.kill('SIGKILL');
            return;
          }
          isReady = true;
          clearTimeout(startTimer);
          if (held) this.onStderr(held);
          readyResolve(names);
          continue;
        }
        this.onLine(live, line);
      }
      if (buf.length > maxLine && !live.dead) {
        if (!isReady) {
          readyReject(new PythonTasksError(`${this.label}: the Python process wrote a line over ${maxLine} bytes before ready`));
          live.dead = true;
          child.kill('SIGKILL');
        } else this.kill(live, 'TaskProcessProtocol', `the Python tasks process for ${this.label} wrote a line over ${maxLine} bytes (not a protocol message); it was killed and is restarted for the next attempt`);
      }
    });
    const onGone = (why: string) => {
      clearTimeout(startTimer);
      if (!isReady) readyReject(new PythonTasksError(`${this.label}: ${why}${this.tail()}`));
      const wasDead = live.dead;
      live.dead = true;
      exitedResolve();
      if (!wasDead && isReady && !this.closing) {
        this.failAll(live, 'TaskProcessCrashed', `the Python tasks process for ${this.label} ${why} while the attempt ran${this.tail(3)}`);
      }
    };
    child.on('error', (e: NodeJS.ErrnoException) =>
      onGone(e.code === 'ENOENT' ? `cannot run '${cmd}' (not found): install Python 3.9+ or pass --python <path>` : `cannot run '${cmd}': ${e.message}`),
    );
    child.on('exit', (code, signal) => onGone(signal ? `was killed by ${signal}` : `exited with code ${code}`));
    // 'error' without 'exit' (spawn failure) and 'exit' both resolve `exited`; close() awaits it.
    return ready.then(() => live);
  }

  private onStderr(chunk: string): void {
    this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    if (this.opts.onStderr) this.opts.onStderr(chunk);
    else process.stderr.write(chunk);
  }

  /** The last lines of the process's stderr, for error messages. */
  private tail(lines = 12): string {
    const text = this.stderrTail.trimEnd().split('\n').slice(-lines).join('\n').trim();
    return text ? `; its stderr ended with:\n${text}` : '';
  }

  private onLine(live: Live, line: string): void {
    if (line.trim() === '') return;
    const parsed = resultLine(line);
    if (typeof parsed === 'string') {
      this.kill(live, 'TaskProcessProtocol', `the Python tasks process for ${this.label} broke the protocol: ${parsed}; it was killed and is restarted for the next attempt`);
      return;
    }
    const key = keyOf(parsed.instanceId, parsed.taskId, parsed.attempt);
    const p = this.pending.get(key);
    if (!p) return; // not an attempt it was sent (or one given up on at close): nothing waits for it
    if ((p.command.token ?? undefined) !== (parsed.token ?? undefined)) {
      this.kill(live, 'TaskProcessProtocol', `the Python tasks process for ${this.label} answered attempt ${parsed.attempt} of ${p.command.task} with a token that is not the attempt's; it was killed and is restarted for the next attempt`);
      return;
    }
    this.settle(key, parsed.outcome, true);
  }

  /** Gives an attempt its outcome (once); `forget` also drops it from the table (its answer came). */
  private settle(key: string, outcome: AttemptOutcome | undefined, forget: boolean): void {
    const p = this.pending.get(key);
    if (!p) return;
    if (!p.settled) {
      p.settled = true;
      p.resolve(outcome);
    }
    if (forget) {
      for (const t of p.timers) clearTimeout(t);
      this.pending.delete(key);
    }
  }

  /** Kills a misbehaving process and fails what it was running. */
  private kill(live: Live, type: string, message: string): void {
    if (live.dead) return;
    live.dead = true;
    this.onStderr(`currant: ${message}\n`);
    live.child.kill('SIGKILL');
    this.failAll(live, type, message);
  }

  private failAll(_live: Live, type: string, message: string): void {
    // One process at a time serves this file, so every pending attempt was sent to `_live`.
    for (const key of [...this.pending.keys()]) this.settle(key, failure(type, message), true);
  }
}

// ---- lines ------------------------------------------------------------------------------------

function keyOf(instanceId: string, taskId: string, attempt: number): string {
  return `${instanceId}\u0000${taskId}#${attempt}`;
}

function failure(type: string, message: string): AttemptOutcome {
  return { ok: false, error: { message, type, retryable: true } };
}

function preview(line: string): string {
  const s = JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line);
  return s;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The task names of a ready line, or what is wrong with it. */
export function readyLine(line: string): string[] | string {
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return `not JSON: ${preview(line)}`;
  }
  if (!isObject(m) || m.protocol !== LOCAL_PROTOCOL || m.type !== 'ready') return `not a ready message: ${preview(line)}`;
  if (!Array.isArray(m.tasks) || !m.tasks.every((t) => typeof t === 'string' && t.length > 0)) return 'its "tasks" is not a list of names';
  return m.tasks as string[];
}

export interface ParsedResult {
  instanceId: string;
  taskId: string;
  attempt: number;
  token?: string;
  outcome: AttemptOutcome;
}

/** A result line, checked like the step function checks a result message, or what is wrong with it. */
export function resultLine(line: string): ParsedResult | string {
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return `it wrote a line that is not JSON: ${preview(line)}`;
  }
  if (!isObject(m) || m.protocol !== RESULT_PROTOCOL || m.type !== 'taskResult') return `it wrote a line that is not a result message: ${preview(line)}`;
  const { instanceId, taskId, attempt, token, ok } = m;
  if (typeof instanceId !== 'string' || typeof taskId !== 'string' || !Number.isInteger(attempt) || typeof ok !== 'boolean') {
    return `a result message without instanceId, taskId, attempt or ok: ${preview(line)}`;
  }
  if (token !== undefined && typeof token !== 'string') return 'a result message whose token is not a string';
  const base = { instanceId, taskId, attempt: attempt as number, ...(typeof token === 'string' ? { token } : {}) };
  const durationMs = typeof m.durationMs === 'number' && Number.isFinite(m.durationMs) && m.durationMs >= 0 ? m.durationMs : undefined;
  if (ok) {
    if (!Object.hasOwn(m, 'result')) return 'a successful result message without "result"';
    return { ...base, outcome: { ok: true, result: m.result as never, ...(durationMs !== undefined ? { durationMs } : {}) } };
  }
  const e = m.error;
  if (!isObject(e) || typeof e.message !== 'string') return 'a failed result message without error.message';
  const error = {
    message: e.message,
    ...(typeof e.type === 'string' ? { type: e.type } : {}),
    ...(typeof e.retryable === 'boolean' ? { retryable: e.retryable } : {}),
  };
  return { ...base, outcome: { ok: false, error, ...(durationMs !== undefined ? { durationMs } : {}) } };
}

// ---- the interpreter --------------------------------------------------------------------------

/** The Python interpreter to run (see `PythonTasksOptions.python`). */
export function pythonCommand(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.CURRANT_PYTHON) return process.env.CURRANT_PYTHON;
  const bin = process.platform === 'win32' ? join('Scripts', 'python.exe') : join('bin', 'python');
  if (process.env.VIRTUAL_ENV && existsSync(join(process.env.VIRTUAL_ENV, bin))) return join(process.env.VIRTUAL_ENV, bin);
  if (existsSync(join('.venv', bin))) return resolve('.venv', bin);
  return process.platform === 'win32' ? 'python' : 'python3';
}

/**
 * The folder holding the `currant_tasks` package that ships with this engine, if any: put first on
 * PYTHONPATH so the local runner always speaks this engine's protocol, whatever version of
 * currant-tasks the interpreter has installed (the tasks file's own imports are unaffected).
 */
export function bundledSdk(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'python', 'currant_tasks', 'local.py'))) return join(dir, 'python');
    dir = dirname(dir);
  }
  return undefined;
}

function pythonEnv(): NodeJS.ProcessEnv {
  const sdk = bundledSdk();
  const path = [sdk, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
  return {
    ...process.env,
    ...(path ? { PYTHONPATH: path } : {}),
    PYTHONUNBUFFERED: '1',
    PYTHONIOENCODING: 'utf-8',
  };
}
