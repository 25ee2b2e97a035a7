/**
 * The local-cloud harness: a pinned `ministack` emulator in a private venv, started on a free port,
 * plus the `cdklocal bootstrap` / `deploy` flow against it.
 *
 * Takes: the repository root (found from this file) and options; gives: a running `Emulator`
 * (endpoint, pid, the env a CDK/SDK process needs) that `stop()` kills by its process group, and
 * `deployStack()` which returns the stack's CloudFormation outputs.
 *
 *   const emu = await startEmulator();
 *   try {
 *     await bootstrap(emu);
 *     const out = await deployStack(emu, { stack: 'CurrantExamples' });
 *     // out.ApiId, out.TableName, …
 *   } finally {
 *     await emu.stop();
 *   }
 *
 * Also a CLI (`npx tsx infra-test/emulator.ts up|deploy|down`) for trying the app by hand.
 *
 * Why a venv: the emulator runs Python Lambdas with its own interpreter, so whatever a Python task
 * imports at run time (boto3 for the reply) must be installed next to the emulator, and nowhere
 * global. The Python task SDK itself is bundled into the function's asset (as on real AWS).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Newest ministack on PyPI when this was written that passes the infra suite. */
export const MINISTACK_VERSION = '1.5.33';
/** boto3 for Python Lambdas (real Lambda ships one too); pinned for repeatable runs. */
export const BOTO3_VERSION = '1.43.106';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const INFRA_DIR = join(ROOT, '.infra');
export const VENV_DIR = join(INFRA_DIR, 'venv');
const VENV_BIN = join(VENV_DIR, 'bin');
const STAMP = join(VENV_DIR, 'currant-pins.txt');

export const REGION = 'us-east-1';
export const ACCOUNT = '000000000000';

export interface Emulator {
  port: number;
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  pid: number;
  /** Environment for SDK clients and cdklocal: endpoint, test credentials, region. */
  env: Record<string, string>;
  /** Where the emulator's stdout/stderr go (Lambda logs included). */
  logFile: string;
  /** Kills the emulator's process group (its Lambda workers too); safe to call twice. */
  stop(): Promise<void>;
}

function log(msg: string): void {
  if (process.env.CURRANT_INFRA_QUIET !== '1') process.stderr.write(`[infra] ${msg}\n`);
}

/** Creates `.infra/venv` with the pinned ministack and boto3 unless it already has them. */
export function ensureVenv(): string {
  const pins = `ministack==${MINISTACK_VERSION}\nboto3==${BOTO3_VERSION}\n`;
  if (existsSync(join(VENV_BIN, 'ministack')) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === pins) {
    return VENV_DIR;
  }
  mkdirSync(INFRA_DIR, { recursive: true });
  const python = process.env.CURRANT_PYTHON ?? 'python3';
  if (!existsSync(join(VENV_BIN, 'python'))) {
    log(`creating ${VENV_DIR}`);
    run(python, ['-m', 'venv', VENV_DIR]);
  }
  log(`installing ministack==${MINISTACK_VERSION} boto3==${BOTO3_VERSION}`);
  run(join(VENV_BIN, 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...pins.trim().split('\n')]);
  writeFileSync(STAMP, pins);
  return VENV_DIR;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: opts.env, cwd: opts.cwd });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
}

/** A TCP port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/** The environment every AWS client (SDK, cdklocal, boto3) needs to talk to the emulator. */
export function awsEnv(endpoint: string): Record<string, string> {
  return {
    // cdklocal needs both when either is set (see ../shared/EMULATOR.md).
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    CDK_DEFAULT_ACCOUNT: ACCOUNT,
    CDK_DEFAULT_REGION: REGION,
  };
}

/**
 * Everything this process started that runs in its own process group (the emulator, cdklocal
 * runs): killed by group when this process exits, and by `stopEverything` on a signal.
 */
const live = new Set<ChildProcess>();
// A crash or Ctrl-C must not leave an emulator behind: kill what we started, by process group.
process.once('exit', () => {
  for (const child of live) killGroup(child.pid, 'SIGKILL');
});

/**
 * Stops every process this one started — each in its own process group, so a signal sent to
 * this process alone reaches none of them — politely (SIGTERM), then for good (SIGKILL) after
 * `graceMs`. For the `up` command's SIGINT/SIGTERM/SIGHUP handler.
 */
export async function stopEverything(graceMs = 3_000): Promise<void> {
  const children = [...live];
  for (const c of children) killGroup(c.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (children.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) await sleep(100);
  for (const c of children) killGroup(c.pid, 'SIGKILL');
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal); // the whole group: the emulator and the Lambda workers it forked
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops emulators left behind by test processes that died without stopping them (killed by a
 * signal, so no `exit` hook ran). Each emulator has a pid file naming its owner; an emulator whose
 * owner still runs (another test run, the benchmark) is left alone. Also removes old run files.
 */
export function reapStaleEmulators(): void {
  if (!existsSync(INFRA_DIR)) return;
  for (const name of readdirSync(INFRA_DIR)) {
    const m = /^ministack-(\d+)\.pid\.json$/.exec(name);
    if (!m) continue;
    const file = join(INFRA_DIR, name);
    let rec: { pid: number; owner: number };
    try {
      rec = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    if (alive(rec.owner)) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8');
    } catch {
      /* gone, or no /proc */
    }
    // Only what is still our emulator: a recycled pid running something else is not touched.
    if (cmdline.includes('ministack')) {
      killGroup(rec.pid, 'SIGKILL');
      log(`stopped a stale emulator (pid ${rec.pid}, its test process ${rec.owner} is gone)`);
    }
    rmSync(file, { force: true });
    cleanRunFiles(Number(m[1]), { keepLog: true });
  }
  // Logs are kept for a day after their run, for debugging.
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(INFRA_DIR)) {
    if (!/^ministack-\d+\.log$/.test(name)) continue;
    const file = join(INFRA_DIR, name);
    if (!existsSync(file.replace(/\.log$/, '.pid.json')) && statSync(file).mtimeMs < dayAgo) rmSync(file, { force: true });
  }
}

/** Removes a run's synthesized app and outputs (they are only read during the run). */
function cleanRunFiles(port: number, opts: { keepLog: boolean }): void {
  for (const f of [`cdk.out-${port}`, `cdk.out-bootstrap-${port}`, `outputs-${port}.json`, `ministack-${port}.pid.json`]) {
    rmSync(join(INFRA_DIR, f), { recursive: true, force: true });
  }
  if (!opts.keepLog) rmSync(join(INFRA_DIR, `ministack-${port}.log`), { force: true });
}

/** Starts a fresh emulator on a free port and waits until `/_localstack/health` answers. */
export async function startEmulator(opts: { port?: number; timeoutMs?: number } = {}): Promise<Emulator> {
  ensureVenv();
  reapStaleEmulators();
  const port = opts.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  mkdirSync(INFRA_DIR, { recursive: true });
  const logFile = join(INFRA_DIR, `ministack-${port}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(join(VENV_BIN, 'ministack'), [], {
    // detached: its own process group, so stop() can kill the Lambda workers it forks too.
    detached: true,
    stdio: ['ignore', fd, fd],
    cwd: INFRA_DIR,
    env: {
      ...process.env,
      // The venv first: one-shot Python Lambdas run `python3` from PATH and need boto3.
      PATH: `${VENV_BIN}:${process.env.PATH ?? ''}`,
      VIRTUAL_ENV: VENV_DIR,
      GATEWAY_PORT: String(port),
      BIND_HOST: '127.0.0.1',
      // Lambdas call back into the emulator; do not let a user's real AWS settings leak in.
      ...awsEnv(endpoint),
    },
  });
  closeSync(fd);
  live.add(child);
  const pidFile = join(INFRA_DIR, `ministack-${port}.pid.json`);
  writeFileSync(pidFile, JSON.stringify({ pid: child.pid, owner: process.pid }));
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
    live.delete(child);
  });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (exited === undefined) {
      killGroup(child.pid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while (exited === undefined && Date.now() < deadline) await sleep(100);
      if (exited === undefined) killGroup(child.pid, 'SIGKILL');
    }
    // Workers may outlive the parent briefly; make sure the group is gone.
    killGroup(child.pid, 'SIGKILL');
    live.delete(child);
    cleanRunFiles(port, { keepLog: true });
    log(`emulator on port ${port} stopped (pid ${child.pid})`);
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`ministack exited with ${exited} before it was healthy; see ${logFile}`);
    }
    try {
      const res = await fetch(`${endpoint}/_localstack/health`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`ministack did not become healthy on ${endpoint}; see ${logFile}`);
    }
    await sleep(200);
  }
  log(`emulator ministack ${MINISTACK_VERSION} on ${endpoint} (pid ${child.pid}, log ${logFile})`);
  return { port, endpoint, pid: child.pid!, env: awsEnv(endpoint), logFile, stop };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs `npx cdklocal <args>` against the emulator; rejects with the tail of its output. */
export function cdklocal(emu: Pick<Emulator, 'env'>, args: string[], opts: { app?: string; cwd?: string } = {}): Promise<string> {
  const fullArgs = ['cdklocal', ...args];
  if (opts.app) fullArgs.push('--app', opts.app);
  return new Promise((ok, fail) => {
    const child = spawn('npx', fullArgs, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...emu.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group (npx, the cdk CLI, its bundlers and asset builds), so that stopping
      // us stops all of it, not just npx.
      detached: true,
    });
    live.add(child);
    child.once('exit', () => live.delete(child));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', fail);
    child.on('exit', (code) => {
      if (code === 0) ok(out);
      else fail(new Error(`cdklocal ${args.join(' ')} exited with ${code}:\n${out.slice(-6000)}`));
    });
  });
}

export async function bootstrap(emu: Emulator): Promise<void> {
  const t = Date.now();
  // Run where there is no cdk.json: with an explicit environment bootstrap needs no app, and
  // synthesizing (bundling every function) would only cost time. Its own --output too: the CLI
  // locks its output folder, and other CDK runs may be using cdk.out.
  await cdklocal(emu, ['bootstrap', `aws://${ACCOUNT}/${REGION}`, '--output', join(INFRA_DIR, `cdk.out-bootstrap-${emu.port}`)], {
    cwd: INFRA_DIR,
  });
  log(`bootstrap ${Date.now() - t} ms`);
}

/**
 * Deploys one stack and returns its outputs (`{ OutputKey: value }`).
 * `context` becomes `-c key=value` pairs (the app reads e.g. `currant:iamAuth`).
 */
export async function deployStack(
  emu: Emulator,
  opts: { stack: string; app?: string; context?: Record<string, string>; cwd?: string },
): Promise<Record<string, string>> {
  const outputsFile = join(INFRA_DIR, `outputs-${emu.port}.json`);
  rmSync(outputsFile, { force: true });
  const ctx = Object.entries(opts.context ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const t = Date.now();
  await cdklocal(
    emu,
    [
      'deploy',
      opts.stack,
      '--require-approval',
      'never',
      '--outputs-file',
      outputsFile,
      '--output',
      join(INFRA_DIR, `cdk.out-${emu.port}`),
      ...ctx,
    ],
    // `cwd`: another CDK project (its cdk.json, its own cdklocal and CDK CLI), e.g. a user's app.
    { app: opts.app, cwd: opts.cwd },
  );
  log(`deploy ${opts.stack} ${Date.now() - t} ms`);
  const all = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>;
  const outputs = all[opts.stack];
  if (!outputs) throw new Error(`no outputs for ${opts.stack} in ${outputsFile}`);
  return outputs;
}

/** The LocalStack-style URL of a deployed REST API stage on the emulator. */
export function restApiUrl(emu: Pick<Emulator, 'endpoint'>, apiId: string, stage: string): string {
  return `${emu.endpoint}/restapis/${apiId}/${stage}/_user_request_`;
}

/**
 * The stack outputs worth printing locally: not the AWS-style API addresses (`ApiUrl`, and the
 * endpoint output the RestApi construct adds), which do not answer on the emulator.
 */
export function localOutputs(outputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(outputs).filter(([k, v]) => k !== 'ApiUrl' && !/\.execute-api\.[^/]*amazonaws\.com/.test(v)));
}

/** The signed calls that work against the harness's API (IAM authorization is on, as on AWS). */
export function curlExamples(api: string): string[] {
  const signed = `curl --aws-sigv4 "aws:amz:${REGION}:execute-api" --user test:test`;
  return [
    `${signed} -H 'Content-Type: application/json' -X POST "${api}/workflows/processOrder/instances" -d '{"input": {"orderId": "o-1", "amount": 42}}'`,
    `${signed} "${api}/instances/<id>"`,
  ];
}

// CLI: `npx tsx infra-test/emulator.ts up` keeps an emulator running with the example app deployed
// until Ctrl-C (prints the API URL and signed curl calls); handy for trying the REST API by hand.
// SIGINT, SIGTERM or SIGHUP to this process (alone, or with the terminal's group on Ctrl-C) stops
// the emulator and anything still deploying, then exits 130/143/129.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cmd = process.argv[2] ?? 'up';
  if (cmd === 'venv') {
    ensureVenv();
  } else if (cmd === 'up') {
    // Handlers first: a signal while the emulator starts or the stack deploys must stop them too.
    let stopping = false;
    let emu: Emulator | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping the emulator and everything it runs`);
      // emu.stop() also removes its run files; stopEverything() gets what is still deploying.
      void Promise.allSettled([emu?.stop(), stopEverything()]).finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15)));
    };
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
    try {
      emu = await startEmulator();
      await bootstrap(emu);
      const out = await deployStack(emu, { stack: process.argv[3] ?? 'CurrantExamples' });
      console.log(JSON.stringify(localOutputs(out), null, 2));
      if (out.ApiId && out.ApiStage) {
        const api = restApiUrl(emu, out.ApiId, out.ApiStage);
        console.log(`API: ${api}`);
        console.log('Call it signed (IAM authorization is on, as on AWS), e.g.:');
        for (const line of curlExamples(api)) console.log(`  ${line}`);
      }
      console.log(`export ${Object.entries(emu.env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      console.log(`Ctrl-C stops the emulator (or: kill ${process.pid}).`);
    } catch (e) {
      if (!stopping) {
        console.error(e);
        await Promise.allSettled([emu?.stop(), stopEverything()]);
        process.exit(1);
      }
    }
  } else {
    console.error('usage: tsx infra-test/emulator.ts [venv|up [Stack]]');
    process.exit(2);
  }
}
