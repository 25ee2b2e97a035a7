/**
 * The examples stack: the engine plus one task Lambda per example module.
 *
 * Takes the modules found by `discoverExamples()` (which imports each Node tasks module to list its
 * exported functions, and reads the `@task("name")` decorators of each Python file); gives a stack
 * whose outputs name the API, the table and the queues:
 *
 *   const examples = await discoverExamples('examples');
 *   new ExamplesStack(app, 'CurrantExamples', { examples, iamAuth: true });
 *
 * One Lambda per example module, serving every task it exports: a module is one deployable unit
 * with one set of dependencies; each task still has its own queue and DLQ, so tasks scale and fail
 * separately. `examples/<name>/tasks.ts` becomes a Node Lambda, `examples/<name>/tasks.py` a Python one.
 */
import { CfnOutput, RemovalPolicy, Stack, type Duration, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CurrantEngine } from './engine.ts';
import { loadSchedulesFile } from '../adapters/embedded/schedules.ts';
import { fromRoot, NodeTasksFunction, PythonTasksFunction } from './functions.ts';

export interface ExampleModule {
  /** The example folder's name (`order`). */
  example: string;
  language: 'node' | 'python';
  /** Absolute path of `tasks.ts` / `tasks.py`. */
  file: string;
  tasks: string[];
}

/** Every `examples/<name>/tasks.ts` and `tasks.py` with the task names each one serves. */
export async function discoverExamples(dir = 'examples'): Promise<ExampleModule[]> {
  const root = fromRoot(dir);
  const out: ExampleModule[] = [];
  for (const example of readdirSync(root).sort()) {
    const ts = join(root, example, 'tasks.ts');
    if (existsSync(ts)) out.push({ example, language: 'node', file: ts, tasks: await nodeTaskNames(ts) });
    const py = join(root, example, 'tasks.py');
    if (existsSync(py)) out.push({ example, language: 'python', file: py, tasks: pythonTaskNames(py) });
  }
  return out;
}

/** The functions a Node tasks module exports (what `createTaskHandler` serves); relative to the project root. */
export async function nodeTaskNames(file: string): Promise<string[]> {
  const mod = (await import(pathToFileURL(fromRoot(file)).href)) as Record<string, unknown>;
  return Object.keys(mod).filter((k) => typeof mod[k] === 'function').sort();
}

/** The names in the `@task("name")` decorators of a Python tasks file (relative to the project root). */
export function pythonTaskNames(file: string): string[] {
  const text = readFileSync(fromRoot(file), 'utf8');
  return [...text.matchAll(/^\s*@task\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']/gm)].map((m) => m[1]!).sort();
}

export interface ExamplesStackProps extends StackProps {
  examples: ExampleModule[];
  /** Folder of `.workflow` files (default `examples`). */
  workflows?: string;
  /** IAM authorization on the API (default true). */
  iamAuth?: boolean;
  /** Sets `CURRANT_METRICS=1` on the api and step functions (the benchmark reads it). */
  metrics?: boolean;
  /** The reconciler's grace (CurrantEngineProps.reconcileGrace; the emulator tests use seconds). */
  reconcileGrace?: Duration;
  /**
   * Also start the digest example every minute (`digest-every-minute`, input { region: "test" }):
   * the emulator tests watch it fire. Off by default: a real deployment would run it forever.
   */
  everyMinuteSchedule?: boolean;
}

export class ExamplesStack extends Stack {
  readonly engine: CurrantEngine;

  constructor(scope: Construct, id: string, props: ExamplesStackProps) {
    super(scope, id, { description: 'currant: durable workflows (the examples)', ...props });
    this.engine = new CurrantEngine(this, 'Engine', {
      workflows: props.workflows ?? 'examples',
      iamAuth: props.iamAuth ?? true,
      // Example data only: deleting the stack deletes the table.
      removalPolicy: RemovalPolicy.DESTROY,
      environment: props.metrics ? { CURRANT_METRICS: '1' } : undefined,
      reconcileGrace: props.reconcileGrace,
    });
    for (const m of props.examples) {
      // Construct ids from folder names: `order` → `OrderTasks`, `mixed` (Python) → `MixedPyTasks`.
      const base = m.example.replace(/(^|[-_])(\w)/g, (_, __, c: string) => c.toUpperCase());
      const fn =
        m.language === 'node'
          ? new NodeTasksFunction(this, `${base}Tasks`, { tasksModule: m.file })
          : new PythonTasksFunction(this, `${base}PyTasks`, { tasksFile: m.file });
      for (const task of m.tasks) this.engine.addTask(task, fn);
    }
    // The schedules the examples declare for `currant worker --schedules` (examples/<name>/
    // currant.schedules.json), deployed as they are: one declaration, embedded and on AWS.
    const root = fromRoot(props.workflows ?? 'examples');
    for (const example of readdirSync(root).sort()) {
      const file = join(root, example, 'currant.schedules.json');
      if (!existsSync(file)) continue;
      for (const { schedule: s } of loadSchedulesFile(file)) {
        this.engine.addSchedule(s.name, { workflow: s.workflow, ...(s.cron !== undefined ? { cron: s.cron, timeZone: s.timeZone } : { rate: s.rate }), input: s.input });
      }
    }
    if (props.everyMinuteSchedule) this.engine.addSchedule('digest-every-minute', { workflow: 'dailyDigest', rate: '1m', input: { region: 'test' } });

    const e = this.engine;
    const outputs: Record<string, string> = {
      ApiId: e.api.restApiId,
      ApiStage: e.api.deploymentStage.stageName,
      ApiUrl: e.api.url,
      TableName: e.table.tableName,
      EventQueueUrl: e.eventQueue.queueUrl,
      EventDlqUrl: e.eventDlq.queueUrl,
      ResultQueueUrl: e.resultQueue.queueUrl,
      ResultDlqUrl: e.resultDlq.queueUrl,
      StepFunctionName: e.stepFunction.functionName,
      ApiFunctionName: e.apiFunction.functionName,
      ReconcileFunctionName: e.reconcileFunction.functionName,
      PayloadBucket: e.payloads.bucketName,
      // Where the engine functions log (cdk/observability.ts); the emulator test reads one instance's lines there.
      ...Object.fromEntries([...e.observability.logGroups].map(([fn, g]) => [`${fn}LogGroupName`, g.logGroupName])),
      ...(e.observability.dashboard ? { DashboardName: e.observability.dashboard.dashboardName } : {}),
    };
    if (e.scheduleNames.length > 0) outputs.ScheduleFunctionName = e.scheduleFunction!.functionName;
    for (const [key, value] of Object.entries(outputs)) new CfnOutput(this, key, { value });
  }
}
