/**
 * currant as a user gets it. `npm pack` (which builds `dist/`), then, in a fresh folder outside the
 * repository: `currant init` from the packed CLI, one `npm install` of the tarball and the
 * scaffold's tools, and a workflow and tasks module written there by hand. On that one install:
 *
 * - the CLI from the package: `--version`, `check` (a diagnostic with line:col), `run` embedded on
 *   the user's own `tasks/order.ts` and on a Python tasks file (the package's Python task SDK), the
 *   scaffold's `npm start` answered by `currant signal`, and
 *   `currant ui` serving the viewer (its page built into the package);
 * - `currant` as a library (createEngine, start, signal, cancel, status, list) from a plain `.mjs` script;
 * - the scaffold's own test (`npm test`, currant/testing) and typecheck (`tsc`, the package's .d.ts);
 * - `cdk synth` of the scaffold's CDK app (currant/cdk, paths relative to the user's project) with a
 *   schedule added: the engine's Lambdas are the package's pre-built handlers, the task Lambda
 *   bundles the user's modules, the api and the schedule handler ship the user's workflows; the
 *   engine's log groups, Powertools settings, alarms and dashboard (observability) are there;
 * - that app deployed once to a fresh emulator, and both workflows run through its REST API.
 *
 * Needs the npm registry (the tarball's dependencies) and, like the other infra tests, PyPI for
 * the emulator. Slow (the install compiles better-sqlite3 when no prebuilt binary can be fetched):
 * it lives in the infra project, out of the unit loop.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CurrantApi } from './client.ts';
import { bootstrap, deployStack, REGION, restApiUrl, ROOT, startEmulator, type Emulator } from './emulator.ts';

const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
const tmp = mkdtempSync(join(tmpdir(), 'currant-user-'));
const app = join(tmp, 'user-app');
let emu: Emulator | undefined;

afterAll(async () => {
  await emu?.stop();
  if (process.env.CURRANT_KEEP_USER_PROJECT !== '1') rmSync(tmp, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; the environment is this one minus npm's own variables (we may run under `npm test`). */
function sh(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Ran> {
  const env: Record<string, string> = { NO_COLOR: '1' };
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k) && k !== 'FORCE_COLOR' && k !== 'CURRANT_CLI') env[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? app, env: { ...env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `sh`, failing with the command's output unless it exits 0. */
async function ok(cmd: string, args: string[], opts: Parameters<typeof sh>[2] = {}): Promise<Ran> {
  const r = await sh(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`);
  return r;
}

const log = (msg: string) => process.stderr.write(`[package] ${msg}\n`);

// What a user writes by hand next to the scaffold: a workflow and its tasks module.
const ORDER_WORKFLOW = `// A user's own workflow: price every item at once, then charge the total.
task quote(item: string): number
task charge(total: number): string with { retries: 2, backoff: "100ms" }

workflow order(items: string[]): { total: number, receipt: string } {
  const prices = await Promise.all(items.map(quote))
  let total = 0
  for (const p of prices) total += p
  console.log(\`total \${total}\`)
  const receipt = await charge(total)
  return { total, receipt }
}
`;
const ORDER_TASKS = `import { TaskError, type TaskContext } from 'currant/tasks';

const PRICES: Record<string, number> = { apple: 3, pear: 4 };

export async function quote(item: string): Promise<number> {
  const price = PRICES[item];
  if (price === undefined) throw new TaskError(\`no price for \${item}\`, { type: 'UnknownItem', retryable: false });
  return price;
}

export async function charge(total: number, ctx: TaskContext): Promise<string> {
  return \`receipt-\${total}-\${ctx.idempotencyKey}\`;
}
`;
// The library, from plain JavaScript.
const LIBRARY_SCRIPT = `import { createEngine, instanceView, readWorkflow } from 'currant';

const engine = await createEngine({ dbPath: '.currant/lib.db', tasksModule: './tasks/index.ts' });
const started = await engine.start(readWorkflow('workflows/welcome.workflow'), { userId: 'u-9', email: 'lib@example.com', confirmWithin: '1h' }, { id: 'lib-1' });
await engine.settled();
const waiting = instanceView(await engine.get('lib-1'));
await engine.signal('lib-1', 'confirmed', { at: 'now' });
const done = await engine.waitFor('lib-1');
await engine.start(readWorkflow('workflows/welcome.workflow'), { userId: 'u-10', email: 'gone@example.com', confirmWithin: '1h' }, { id: 'lib-2' });
await engine.settled();
const cancelled = await engine.cancel('lib-2', 'user left');
const listed = await engine.list({ workflow: 'welcome' });
await engine.close();
console.log(JSON.stringify({ started: started.status, waitingFor: waiting.pending.signals.map((s) => s.name), status: done.status, result: done.result, cancelled: [cancelled.status, cancelled.error?.code], listed: listed.items.map((i) => i.id).sort() }));
`;

beforeAll(async () => {
  let t = Date.now();
  // npm pack runs `prepare`, the full build (JavaScript and declarations).
  const packed = await ok('npm', ['pack', '--pack-destination', tmp], { cwd: ROOT });
  const tarball = join(tmp, packed.stdout.trim().split('\n').pop()!);
  expect(existsSync(tarball), packed.stdout).toBe(true);
  log(`npm pack ${Date.now() - t} ms: ${tarball}`);

  // `npx currant init` as a user runs it: the packed CLI, nothing else installed.
  await ok('tar', ['xzf', tarball, '-C', tmp], { cwd: tmp });
  await ok(process.execPath, [join(tmp, 'package', 'bin', 'currant.mjs'), 'init', 'user-app'], { cwd: tmp });
  writeFileSync(join(app, 'workflows', 'order.workflow'), ORDER_WORKFLOW);
  writeFileSync(join(app, 'tasks', 'order.ts'), ORDER_TASKS);
  // The scaffold's CDK app serves every task tasks/index.ts exports: add the user's.
  writeFileSync(join(app, 'tasks', 'index.ts'), readFileSync(join(app, 'tasks', 'index.ts'), 'utf8') + "\nexport * from './order.ts';\n");
  writeFileSync(join(app, 'library.mjs'), LIBRARY_SCRIPT);

  // One install: the scaffold's dependencies, the tarball for `currant`, and cdklocal for the emulator.
  t = Date.now();
  await ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `aws-cdk-local@${own.devDependencies['aws-cdk-local']}`]);
  log(`npm install ${Date.now() - t} ms`);
}, 1_200_000);

describe('currant installed into a user project', { timeout: 300_000 }, () => {
  it('the CLI: --version, check with line:col diagnostics', async () => {
    const version = await ok('npx', ['currant', '--version']);
    expect(version.stdout.trim()).toBe(own.version);
    const check = await ok('npx', ['currant', 'check', 'workflows/order.workflow', 'workflows/welcome.workflow']);
    expect(check.stdout).toContain('workflows/order.workflow: ok');
    writeFileSync(join(app, 'broken.workflow'), 'workflow w(): number {\n  return nope\n}\n');
    const broken = await sh('npx', ['currant', 'check', 'broken.workflow']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/broken\.workflow:2:10 error CT\d+/);
  });

  it("runs the user's workflow embedded, with the user's TypeScript tasks", async () => {
    const r = await ok('npx', ['currant', 'run', 'workflows/order.workflow', '--tasks', 'tasks/order.ts', '--input', '{"items": ["apple", "pear", "apple"]}', '--id', 'o-1', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'o-1', status: 'completed', result: { total: 10, receipt: expect.stringMatching(/^receipt-10-o-1\/n/) } });
    const failed = await sh('npx', ['currant', 'run', 'workflows/order.workflow', '--tasks', 'tasks/order.ts', '--input', '{"items": ["kiwi"]}', '--json']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ status: 'failed', error: { code: 'CR007', task: 'quote', attempts: 1 } });
  });

  it('runs Python tasks embedded with the task SDK the package ships (no Python package installed)', async () => {
    // Outside workflows/: the scaffold's CDK app deploys every workflow there, with Node tasks only.
    mkdirSync(join(app, 'local'), { recursive: true });
    writeFileSync(join(app, 'local', 'shout.workflow'), 'task shout(text: string): string\n\nworkflow loud(text: string): string {\n  return await shout(text)\n}\n');
    writeFileSync(join(app, 'local', 'tasks.py'), 'from currant_tasks import task\n\n\n@task("shout")\ndef shout(text):\n    return text.upper() + "!"\n');
    const r = await ok('npx', ['currant', 'run', 'local/shout.workflow', '--tasks', 'local/tasks.py', '--input', '{"text": "hello"}', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'completed', result: 'HELLO!' });
  });

  it("the scaffold's npm start waits for a signal that `currant signal` sends", async () => {
    const start = sh('npm', ['start'], { timeoutMs: 60_000 });
    // Send as soon as the instance exists: a signal that comes before the wait is kept for it.
    for (let i = 0; ; i++) {
      const sent = await sh('npx', ['currant', 'signal', 'welcome-1', 'confirmed']);
      if (sent.code === 0) break;
      if (i > 100) throw new Error(`currant signal never got through: ${sent.stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const r = await start;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('completed welcome welcome-1 → "active"');
  });

  it('currant ui serves the viewer with the page built into the package', async () => {
    // The binary itself (not npx): one process, stopped by its own pid.
    const child = spawn(join(app, 'node_modules', '.bin', 'currant'), ['ui', '--port', '0'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`currant ui printed no URL: ${out}`)), 30_000);
        child.stdout.on('data', () => {
          const m = /currant ui: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      expect(await (await fetch(url)).text()).toContain('<script type="module" src="/assets/app.js">');
      const js = await fetch(new URL('/assets/app.js', url));
      expect(js.status).toBe(200);
      expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
      const list = (await (await fetch(new URL('/api/instances', url))).json()) as { items: { id: string }[] };
      expect(list.items.map((i) => i.id)).toContain('welcome-1');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('currant as a library: create an engine on a SQLite file, start, signal, cancel, status, list', async () => {
    const r = await ok(process.execPath, ['library.mjs']);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({
      started: 'running',
      waitingFor: ['confirmed'],
      status: 'completed',
      result: 'active',
      cancelled: ['cancelled', 'CANCELLED'],
      listed: ['lib-1', 'lib-2'],
    });
  });

  it("the scaffold's own test passes (currant/testing), and it typechecks against the package's declarations", async () => {
    const test = await ok('npm', ['test']);
    expect(test.stdout).toMatch(/Tests\s+3 passed/);
    await ok('npx', ['tsc']);
  });

  it("cdk synth: the engine's Lambdas come pre-built from the package; the tasks and workflows from the user's project", async () => {
    // A schedule too, as a user adds one: the schedule handler is an engine function as well.
    const appFile = join(app, 'cdk', 'app.ts');
    writeFileSync(appFile, readFileSync(appFile, 'utf8') + "engine.addSchedule('nightly-order', { workflow: 'order', cron: '0 2 * * *', input: { items: ['apple'] } });\n");
    await ok('npx', ['cdk', 'synth', '--quiet', '--output', 'cdk.out']);
    const template = JSON.parse(readFileSync(join(app, 'cdk.out', 'UserApp.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: any; Metadata?: any }> };
    const fns = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    const assetOf = (prefix: string) => {
      const found = fns.find(([id]) => id.startsWith(prefix));
      expect(found, prefix).toBeDefined();
      return join(app, 'cdk.out', found![1].Metadata['aws:asset:path']);
    };
    for (const [prefix, handler] of [['EngineStep', 'step'], ['EngineApiHandler', 'api'], ['EngineReconcile', 'reconcile'], ['EngineScheduleHandler', 'schedule']] as const) {
      const built = readFileSync(join(app, 'node_modules', 'currant', 'dist', 'lambda', handler, 'index.js'));
      expect(readFileSync(join(assetOf(prefix), 'index.js')).equals(built), prefix).toBe(true);
    }
    for (const fn of ['EngineApiHandler', 'EngineScheduleHandler']) expect(readdirSync(join(assetOf(fn), 'workflows')).sort(), fn).toEqual(['order.workflow', 'welcome.workflow']);
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule')).toHaveLength(1);
    // One queue per task the user's tasks/index.ts exports (nodeTaskNames), and the task Lambda's bundle serves them.
    for (const task of ['activateAccount', 'charge', 'quote', 'sendEmail']) {
      expect(Object.entries(template.Resources).some(([id, r]) => r.Type === 'AWS::SQS::Queue' && id.startsWith(`EngineTasks${task}Queue`)), task).toBe(true);
    }
    const tasksDir = assetOf('Tasks');
    const exported = await ok(process.execPath, ['-e', "process.stdout.write(typeof require('./index.js').handler)"], { cwd: tasksDir });
    expect(exported.stdout).toBe('function');
    expect(readFileSync(join(tasksDir, 'index.js'), 'utf8')).toContain('no price for');
    // The task SDK's logger (Powertools, a dependency of the package) is bundled from the user's node_modules.
    expect(readFileSync(join(tasksDir, 'index.js'), 'utf8')).toContain('POWERTOOLS_LOG_LEVEL');

    // Observability from currant/cdk: each engine function logs to a log group of its own, with
    // the Powertools settings; the pre-built handlers carry the logger and metrics middleware.
    const logGroups = new Set(Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup').map(([id]) => id));
    for (const prefix of ['EngineStep', 'EngineApiHandler', 'EngineReconcile', 'EngineScheduleHandler']) {
      const fn = fns.find(([id]) => id.startsWith(prefix))![1];
      expect(logGroups.has(fn.Properties.LoggingConfig?.LogGroup?.Ref), prefix).toBe(true);
      expect(fn.Properties.Environment.Variables, prefix).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'UserApp', POWERTOOLS_METRICS_NAMESPACE: 'currant' });
      expect(readFileSync(join(assetOf(prefix), 'index.js'), 'utf8'), prefix).toContain('POWERTOOLS_METRICS_NAMESPACE');
    }
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').length).toBeGreaterThan(4);
  });

  it('deploys to a fresh emulator and runs both workflows through the REST API', async () => {
    emu = await startEmulator();
    await bootstrap(emu);
    const out = await deployStack(emu, { stack: 'UserApp', cwd: app });
    const api = new CurrantApi(restApiUrl(emu, out.ApiId!, out.ApiStage!), { region: REGION });

    const order = await api.start('order', { items: ['pear', 'pear'] }, 'order-1');
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    expect(await api.waitForEnd('order-1')).toMatchObject({ status: 'completed', result: { total: 8 } });

    const welcome = await api.start('welcome', { userId: 'u-1', email: 'ann@example.com', confirmWithin: '1h' }, 'welcome-1');
    expect(welcome.status).toBe(201);
    const waiting = await api.waitFor('welcome-1', (i) => i.pending.signals.some((s) => s.name === 'confirmed'));
    expect(waiting.status).toBe('waiting');
    expect((await api.signal('welcome-1', 'confirmed', null)).status).toBe(200);
    expect(await api.waitForEnd('welcome-1')).toMatchObject({ status: 'completed', result: 'active' });
  });
});
