/**
 * Runs the `currant` CLI for the CLI and example tests, two ways:
 *
 *   const r = await cli(['check', 'x.workflow']);     // in this process: main(argv), output captured
 *   const r = await currant(['check', 'x.workflow']); // as a child process: node bin/currant.mjs …
 *
 * Both give `{ code, stdout, stderr }`. `cli` is what most tests use: it runs the same `main` that
 * `bin/currant.mjs` calls, with the same exit code, stdout and stderr, in milliseconds instead of
 * the second a node + tsx start costs. `currant` is for what only a real process shows: the bin
 * wrapper and its loaders, signals and kills, two processes on one database, waiting in another
 * process. Each test gets its own temporary folder for databases.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { main } from '../../cli/main.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/currant.mjs');
export const FIXTURES = join(ROOT, 'test/cli/fixtures');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

/** Starts the CLI without waiting (for `run` waiting on a signal, or `worker`). */
export function spawnCurrant(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    // Why NO_COLOR unset and FORCE_COLOR removed: tests read the plain (non-terminal) format.
    env: { ...process.env, FORCE_COLOR: '', NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<CliResult>((res) => {
    child.on('close', (code, signal) => res({ code, signal, stdout: out, stderr: err }));
  });
  return { child, stdout: () => out, stderr: () => err, done };
}

export function currant(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return spawnCurrant(args, opts).done;
}

/** A fresh temporary folder (removed by the returned cleanup). */
export function tempDir(prefix = 'currant-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** Polls `check` every 100ms until it gives a value (or throws after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `status <id> --json` parsed, or undefined when the instance is not there (yet). */
export async function statusOf(id: string, db: string): Promise<any | undefined> {
  const r = await cli(['status', id, '--db', db, '--json']);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `main(['node', 'currant', ...args])` in this process with stdout and stderr captured (as a
 * pipe would see them: not a terminal, no colour), in `cwd` if given. Calls run one at a time:
 * the streams, the working directory and the environment are process-wide.
 */
export function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const run = queue.then(() => cliNow(args, opts));
  queue = run.catch(() => {});
  return run;
}

async function cliNow(args: string[], opts: { cwd?: string; env?: Record<string, string> }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const saved = {
    out: process.stdout.write,
    err: process.stderr.write,
    outTty: Object.getOwnPropertyDescriptor(process.stdout, 'isTTY'),
    errTty: Object.getOwnPropertyDescriptor(process.stderr, 'isTTY'),
    log: console.log,
    cwd: process.cwd(),
    env: { ...process.env },
  };
  const capture = (append: (s: string) => void) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture((s) => (stdout += s));
  process.stderr.write = capture((s) => (stderr += s));
  Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
  Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
  Object.assign(process.env, { FORCE_COLOR: '', NO_COLOR: '1', ...opts.env });
  if (opts.cwd) process.chdir(opts.cwd);
  try {
    const code = await main(['node', 'currant', ...args]);
    return { code, signal: null, stdout, stderr };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    for (const [stream, d] of [[process.stdout, saved.outTty], [process.stderr, saved.errTty]] as const) {
      if (d) Object.defineProperty(stream, 'isTTY', d);
      else delete (stream as { isTTY?: boolean }).isTTY;
    }
    console.log = saved.log;
    process.chdir(saved.cwd);
    for (const k of Object.keys(process.env)) if (!(k in saved.env)) delete process.env[k];
    Object.assign(process.env, saved.env);
  }
}
