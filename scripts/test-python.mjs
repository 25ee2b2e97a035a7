#!/usr/bin/env node
/**
 * `npm run test:python`: runs the Python task SDK's pytest suite in a project-local venv.
 *
 * Takes nothing; gives pytest's exit code. Creates `.venv/` with `python3 -m venv` when missing,
 * installs `-e ./python` and pytest into it (quietly) when they cannot be imported, then runs
 * `pytest python/tests` with its output shown (the summary line is the last one).
 *
 *   node scripts/test-python.mjs     # → "34 passed in 0.5s", exit 0
 *
 * Env: PYTHON (interpreter used to create the venv, default python3).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');
const python = process.platform === 'win32' ? join(venv, 'Scripts', 'python.exe') : join(venv, 'bin', 'python');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) {
    console.error(`test-python: cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  return r.status ?? 1;
}

if (!existsSync(python)) {
  const base = process.env.PYTHON ?? 'python3';
  console.log(`test-python: creating .venv with ${base}`);
  if (run(base, ['-m', 'venv', venv]) !== 0) {
    console.error('test-python: `python3 -m venv` failed (on Debian/Ubuntu: apt-get install python3-venv)');
    process.exit(1);
  }
}

// Reinstall only when something is missing, so repeated runs stay fast and offline.
const ready = spawnSync(python, ['-c', 'import currant_tasks, pytest, boto3'], { cwd: root, stdio: 'ignore' }).status === 0;
if (!ready) {
  console.log('test-python: installing ./python (editable) and pytest into .venv');
  const status = run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-e', './python', 'pytest']);
  if (status !== 0) process.exit(status);
}

process.exit(run(python, ['-m', 'pytest', 'python/tests', '-q', '-p', 'no:cacheprovider']));
