/**
 * The house function constructs, with real (local) bundling: what ends up in each asset, and that
 * the api bundle actually loads and answers as CommonJS (no `import.meta`, grammar and workflows
 * shipped beside it). The AWS calls are never reached: `GET /workflows` reads only the bundle.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CurrantEngine } from '../../cdk/engine.ts';
import { NodeTasksFunction, PrebuiltNodeFunction, PythonTasksFunction } from '../../cdk/functions.ts';

const outdirs: string[] = [];
afterAll(() => {
  for (const d of outdirs) rmSync(d, { recursive: true, force: true });
});

/** The staged folder of a function's code asset. */
function assetDir(app: App, fn: Construct): string {
  const asset = fn.node.findChild('Code') as Asset;
  return join(app.outdir, asset.assetPath);
}

function newApp(): App {
  const app = new App();
  outdirs.push(app.outdir);
  return app;
}

describe('house functions', { timeout: 120_000 }, () => {
  it('ships the Python tasks file with the task SDK package, and uses <module>.handler', () => {
    const app = newApp();
    const stack = new Stack(app, 'Py');
    const fn = new PythonTasksFunction(stack, 'MixedPy', { tasksFile: 'examples/mixed/tasks.py' });
    const template = Template.fromStack(stack);
    const dir = assetDir(app, fn);
    expect(readdirSync(dir).sort()).toEqual(['currant_tasks', 'tasks.py']);
    expect(existsSync(join(dir, 'currant_tasks', '__init__.py'))).toBe(true);
    expect(readdirSync(join(dir, 'currant_tasks'))).not.toContain('__pycache__');
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'tasks.handler', Runtime: 'python3.12' });
  });

  it('refuses a Python tasks file that does not import the Lambda entry point', () => {
    const stack = new Stack(newApp(), 'Py');
    const dir = mkdtempSync(join(tmpdir(), 'currant-py-'));
    outdirs.push(dir);
    const file = join(dir, 'tasks.py');
    writeFileSync(file, 'from currant_tasks import task\n\n@task("x")\ndef x():\n    return 1\n');
    expect(() => new PythonTasksFunction(stack, 'Bad', { tasksFile: file })).toThrow(/must import the Lambda entry point/);
  });

  it('deploys pre-built code as it is, with extra files copied beside it (how the package ships the engine)', () => {
    const app = newApp();
    const stack = new Stack(app, 'Pre');
    const code = mkdtempSync(join(tmpdir(), 'currant-prebuilt-'));
    outdirs.push(code);
    writeFileSync(join(code, 'index.js'), "exports.handler = async () => 'pre-built';\n");
    writeFileSync(join(code, 'package.json'), '{"type":"commonjs"}\n');
    const extra = join(code, '..', `${code.split('/').pop()}-order.workflow`);
    writeFileSync(extra, 'workflow w() { return 1 }\n');
    outdirs.push(extra);
    const fn = new PrebuiltNodeFunction(stack, 'Step', { codeDir: code, extraFiles: [{ from: extra, to: 'workflows/order.workflow' }], memorySize: 1024 });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 1024 });
    const dir = assetDir(app, fn);
    expect(readdirSync(dir).sort()).toEqual(['index.js', 'package.json', 'workflows']);
    expect(readFileSync(join(dir, 'workflows', 'order.workflow'), 'utf8')).toContain('workflow w()');
    const ran = spawnSync(process.execPath, ['-e', "require('./index.js').handler().then((r) => process.stdout.write(r))"], { cwd: dir, encoding: 'utf8' });
    expect(ran.stdout).toBe('pre-built');

    expect(() => new PrebuiltNodeFunction(stack, 'Missing', { codeDir: join(code, 'nowhere') })).toThrow(/no pre-built handler at .*nowhere\/index\.js \(build the package: npm run build\)/);
  });

  it('bundles the api function as CommonJS with the grammar and the checked workflows beside it, and it answers', () => {
    const app = newApp();
    const stack = new Stack(app, 'Api');
    const engine = new CurrantEngine(stack, 'Engine', { workflows: 'examples/order' });
    engine.addTask('chargeCard', new NodeTasksFunction(stack, 'OrderTasks', { tasksModule: 'examples/order/tasks.ts' }));
    for (const t of ['shipOrder', 'refundOrder']) engine.addTask(t, stack.node.findChild('OrderTasks') as NodeTasksFunction);
    Template.fromStack(stack);

    const dir = assetDir(app, engine.apiFunction);
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    expect(readdirSync(join(dir, 'grammar'))).toContain('currant.ohm');
    expect(readdirSync(join(dir, 'workflows'))).toEqual(['order.workflow']);

    const script = `require('./index.js').handler({ httpMethod: 'GET', path: '/workflows', headers: {}, body: null }, {})
      .then((r) => process.stdout.write('\\nREPLY ' + JSON.stringify(r) + '\\n'), (e) => { console.error(e); process.exit(1); });`;
    const run = spawnSync(process.execPath, ['-e', script], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        LAMBDA_TASK_ROOT: dir,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        CURRANT_TABLE_NAME: 'unused',
        CURRANT_EVENT_QUEUE_URL: 'http://127.0.0.1:9/unused',
        CURRANT_RESULT_QUEUE_URL: 'http://127.0.0.1:9/unused',
        CURRANT_TASK_QUEUE_URLS: '{}',
        CURRANT_WORKFLOWS_DIR: 'workflows',
      },
    });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split('\n').filter((l) => l.trim() !== '');
    const reply = JSON.parse(lines.find((l) => l.startsWith('REPLY '))!.slice('REPLY '.length));
    // The bundled Powertools logger wrote the request line (JSON, with the operation and outcome).
    expect(lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ level: 'INFO', message: 'request', event: 'listWorkflows', outcome: 'ok', statusCode: 200 }),
    );
    expect(reply.statusCode).toBe(200);
    expect(JSON.parse(reply.body).items.map((w: { name: string }) => w.name)).toEqual(['processOrder']);

    const taskDir = assetDir(app, stack.node.findChild('OrderTasks'));
    const exported = spawnSync(process.execPath, ['-e', "process.stdout.write(typeof require('./index.js').handler)"], { cwd: taskDir, encoding: 'utf8' });
    expect(exported.stdout).toBe('function');
  });
});
