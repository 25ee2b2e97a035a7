/**
 * Runs the real `currant` CLI (`node bin/currant.mjs …`) as a child process, for the CLI and
 * example tests. Each test gets its own temporary folder for databases.
 *
 *   const r = await currant(['check', 'x.workflow']); // { code, stdout, stderr }
 */
import { spawn, type ChildProcess } from 'node:child_process';
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
  const r = await currant(['status', id, '--db', db, '--json']);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}
