/**
 * The harness itself: a started emulator answers on its port and is gone after `stop()`; an
 * emulator whose test process was killed (no exit hook ran) is stopped by the next run, while one
 * whose owner still runs is left alone.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INFRA_DIR, reapStaleEmulators, ROOT, startEmulator } from './emulator.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  return cond();
}

describe('emulator harness', () => {
  it('starts on a free port, answers health, and stop() ends it and its files', async () => {
    const emu = await startEmulator();
    try {
      const health = await fetch(`${emu.endpoint}/_localstack/health`);
      expect(health.ok).toBe(true);
      expect(emu.env.AWS_ENDPOINT_URL).toBe(emu.endpoint);
      expect(emu.env.AWS_ENDPOINT_URL_S3).toBe(emu.endpoint);
      expect(existsSync(join(INFRA_DIR, `ministack-${emu.port}.pid.json`))).toBe(true);
    } finally {
      await emu.stop();
    }
    expect(await until(() => !alive(emu.pid))).toBe(true);
    await expect(fetch(`${emu.endpoint}/_localstack/health`)).rejects.toThrow();
    expect(existsSync(join(INFRA_DIR, `ministack-${emu.port}.pid.json`))).toBe(false);
  });

  it('stops an emulator left behind by a killed test process, and only that one', async () => {
    // An owner process that starts an emulator, prints its pid, then hangs until killed.
    const script = `import { startEmulator } from './infra-test/emulator.ts';
      const e = await startEmulator(); console.log('PID ' + e.pid); setInterval(() => {}, 1000);`;
    const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, CURRANT_INFRA_QUIET: '1' },
    });
    const pid = await new Promise<number>((ok, fail) => {
      let out = '';
      owner.stdout.on('data', (d) => {
        out += d;
        const m = /PID (\d+)/.exec(out);
        if (m) ok(Number(m[1]));
      });
      owner.on('exit', (code) => fail(new Error(`owner exited with ${code} before starting the emulator`)));
    });
    try {
      expect(alive(pid)).toBe(true);
      reapStaleEmulators(); // the owner still runs: its emulator stays
      expect(alive(pid)).toBe(true);
      owner.kill('SIGKILL'); // no exit hook runs; the emulator (its own process group) survives
      expect(await until(() => owner.exitCode !== null || owner.signalCode !== null)).toBe(true);
      expect(alive(pid)).toBe(true);
      reapStaleEmulators();
      expect(await until(() => !alive(pid))).toBe(true);
    } finally {
      if (alive(pid)) process.kill(-pid, 'SIGKILL');
      owner.kill('SIGKILL');
    }
  });
});
