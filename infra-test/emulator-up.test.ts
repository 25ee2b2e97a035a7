/**
 * `npx tsx infra-test/emulator.ts up`, as the README tells a newcomer to run it:
 *
 * - a SIGTERM to the process running emulator.ts alone, while the stack deploys, stops everything
 *   it started (the emulator and its Lambda workers, npx / cdk / bundlers), and so does a SIGINT to
 *   it once the stack is up. Every process of a run carries a marker in
 *   its environment, so the test finds all of them, whatever process group or session they moved
 *   to (the emulator and each cdklocal run have their own groups);
 * - the API URL it prints answers the signed curl calls it prints (IAM is on, as on AWS), while an
 *   unsigned call is refused (403), and the `amazonaws.com` ApiUrl is not printed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from './emulator.ts';

const MARK = 'CURRANT_EMULATOR_UP_TEST';

/** Pids of live processes whose environment has `MARK=tag`, with their command lines. */
function marked(tag: string): { pid: number; cmd: string; ppid: number }[] {
  const out: { pid: number; cmd: string; ppid: number }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1');
      if (!env.split('\0').includes(`${MARK}=${tag}`)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (/\) Z /.test(stat)) continue; // a zombie waiting to be reaped has already stopped
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(name), cmd: readFileSync(`/proc/${name}/cmdline`, 'latin1').replace(/\0/g, ' ').trim(), ppid });
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return out;
}

async function until<T>(what: string, f: () => T | undefined | false, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function up(tag: string): { child: ChildProcess; out: () => string } {
  const child = spawn('npx', ['tsx', 'infra-test/emulator.ts', 'up'], {
    cwd: ROOT,
    env: { ...process.env, [MARK]: tag },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  return { child, out: () => text };
}

/** The process running emulator.ts itself: the deepest marked process whose command names it. */
function scriptProcess(tag: string): number | undefined {
  const procs = marked(tag).filter((p) => p.cmd.includes('emulator.ts'));
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const depth = (p: { ppid: number }): number => (byPid.has(p.ppid) ? 1 + depth(byPid.get(p.ppid)!) : 0);
  return procs.sort((a, b) => depth(b) - depth(a))[0]?.pid;
}

function curl(args: string[]): { status: number; body: string } {
  const r = spawnSync('curl', ['-s', '-o', '-', '-w', '\n%{http_code}', ...args], { encoding: 'utf8', timeout: 60_000 });
  const lines = r.stdout.trimEnd().split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

/** Runs a printed command line with bash, as if pasted into a shell; gives its HTTP status and body. */
function shRun(line: string): { status: number; body: string } {
  const r = spawnSync('bash', ['-c', `${line.replace(/^curl /, "curl -s -w '\\n%{http_code}' ")}`], { encoding: 'utf8', timeout: 60_000 });
  const lines = r.stdout.trimEnd().split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

describe('emulator.ts up', () => {
  it('a SIGTERM to its own process while the stack deploys stops everything it started', async () => {
    const tag = `deploying-${process.pid}-${Date.now()}`;
    const { child, out } = up(tag);
    try {
      await until('cdklocal to run', () => marked(tag).some((p) => /cdk(local)?\b.*\b(bootstrap|deploy)\b/.test(p.cmd)), 240_000);
      const during = marked(tag);
      expect(during.some((p) => p.cmd.includes('ministack'))).toBe(true);
      const script = scriptProcess(tag)!;
      expect(script).toBeDefined();
      process.kill(script, 'SIGTERM');
      await until('every process of the run to stop', () => marked(tag).length === 0, 30_000).catch((e) => {
        throw new Error(`${(e as Error).message}; still running:\n${marked(tag).map((p) => `${p.pid} ${p.cmd}`).join('\n')}\n${out()}`);
      });
      expect(out()).toContain('SIGTERM: stopping the emulator and everything it runs');
    } finally {
      for (const p of marked(tag)) process.kill(p.pid, 'SIGKILL');
      child.kill('SIGKILL');
    }
  });

  it('prints the local API URL and signed calls that work; a SIGINT to its own process stops everything', async () => {
    const tag = `up-${process.pid}-${Date.now()}`;
    const { child, out } = up(tag);
    try {
      await until('the stack to be up', () => out().includes('Ctrl-C stops the emulator (or: kill '), 480_000);
      const text = out();
      expect(text).not.toContain('amazonaws.com');
      const api = /^API: (http:\/\/127\.0\.0\.1:\d+\/restapis\/\S+\/_user_request_)$/m.exec(text)?.[1];
      expect(api, text).toBeDefined();
      const calls = text.split('\n').filter((l) => l.trim().startsWith('curl --aws-sigv4')).map((l) => l.trim());
      expect(calls).toHaveLength(2);
      // The POST as printed, pasted into a shell.
      const started = shRun(calls[0]!);
      expect([200, 201], started.body).toContain(started.status);
      const id = (JSON.parse(started.body) as { id: string }).id;
      const got = shRun(calls[1]!.replace('<id>', id));
      expect(got.status, got.body).toBe(200);
      expect(JSON.parse(got.body)).toMatchObject({ id, workflow: 'processOrder' });
      // Without a signature IAM refuses it; without a Content-Type the API would answer 415.
      expect(curl(['-X', 'POST', '-H', 'Content-Type: application/json', `${api}/workflows/processOrder/instances`, '-d', '{"input": {}}']).status).toBe(403);

      // To the process running emulator.ts alone (not its group, as a terminal's Ctrl-C would):
      // `npx` runs tsx through `sh -c`, which forwards no signal, so that is the process to signal.
      const pid = Number(/Ctrl-C stops the emulator \(or: kill (\d+)\)/.exec(text)![1]);
      expect(pid).toBe(scriptProcess(tag));
      process.kill(pid, 'SIGINT');
      await until('every process of the run to stop', () => marked(tag).length === 0, 30_000).catch((e) => {
        throw new Error(`${(e as Error).message}; still running:\n${marked(tag).map((p) => `${p.pid} ${p.cmd}`).join('\n')}`);
      });
    } finally {
      for (const p of marked(tag)) process.kill(p.pid, 'SIGKILL');
      child.kill('SIGKILL');
    }
  });
});
