/**
 * The house function constructs: runtime, architecture and bundling are pinned here, once.
 *
 * Takes an entry file (or a tasks module / a Python tasks file); gives a `lambda.Function`:
 *
 *   new CurrantNodeFunction(scope, 'Step', { entry: 'functions/step.ts' });
 *   new NodeTasksFunction(scope, 'OrderTasks', { tasksModule: 'examples/order/tasks.ts' });
 *   new PythonTasksFunction(scope, 'MixedPy', { tasksFile: 'examples/mixed/tasks.py' });
 *
 * Why these pins: `nodejs22.x` is the newest managed runtime; esbuild targets node20 because the
 * emulator runs Lambdas on this machine's Node 20; CommonJS because an ESM bundle of the AWS SDK
 * fails with "Dynamic require of node:https"; `externalModules: []` because the emulator does not
 * provide the SDK the way real Lambda does (bundling it is also what AWS recommends). arm64 is
 * cheaper per GB-second and nothing here is native.
 */
import { AssetHashType, DockerImage, Duration } from 'aws-cdk-lib';
import { Architecture, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type ICommandHooks, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the CDK project root: package-lock.json, node_modules). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A path given relative to the repository root, or absolute. */
export function fromRoot(path: string): string {
  return isAbsolute(path) ? path : join(ROOT, path);
}

/** Single-quotes a path for the shell that runs bundling command hooks. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface CurrantNodeFunctionProps {
  /** Entry file exporting `handler` (relative to the repository root, or absolute). */
  entry: string;
  environment?: Record<string, string>;
  timeout?: Duration;
  memorySize?: number;
  description?: string;
  /** Extra files to put in the bundle: `{ from: absolute path, to: path inside the bundle }`. */
  extraFiles?: { from: string; to: string }[];
  /** Where the function's logs go (default: Lambda's own `/aws/lambda/<name>`, kept forever). */
  logGroup?: ILogGroup;
}

/** A Node Lambda with the house runtime and bundling. */
export class CurrantNodeFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: CurrantNodeFunctionProps) {
    const extraFiles = props.extraFiles ?? [];
    const commandHooks: ICommandHooks = {
      beforeBundling: () => [],
      beforeInstall: () => [],
      // Copies extra files (e.g. the checked workflows) next to the bundle.
      afterBundling: (_in: string, out: string) => [
        // The bundle is CommonJS whatever package.json sits above the folder it is unpacked in
        // (the emulator unpacks code on this machine, possibly under this `"type": "module"` repo).
        `echo '{"type":"commonjs"}' > ${shellQuote(join(out, 'package.json'))}`,
        ...extraFiles.flatMap((f) => {
          const target = join(out, f.to);
          return [`mkdir -p ${shellQuote(dirname(target))}`, `cp ${shellQuote(f.from)} ${shellQuote(target)}`];
        }),
      ],
    };
    const fnProps: NodejsFunctionProps = {
      entry: fromRoot(props.entry),
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      description: props.description,
      environment: props.environment,
      logGroup: props.logGroup,
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      bundling: {
        format: OutputFormat.CJS,
        target: 'node20',
        externalModules: [],
        // Source maps would make stack traces readable but slow every cold start; keep them off.
        sourceMap: false,
        // Smaller bundles start faster; keepNames keeps class and function names in stack traces.
        minify: true,
        keepNames: true,
        // CommonJS has no import.meta: give modules that read files beside themselves
        // (dsl/parser.ts reads ./grammar/currant.ohm) the bundle's own URL instead, and ship those
        // files at the same relative place in the bundle (`extraFiles`).
        define: { 'import.meta.url': '__currant_import_meta_url' },
        banner: "var __currant_import_meta_url = require('url').pathToFileURL(__filename).href;",
        commandHooks,
      },
    };
    super(scope, id, fnProps);
  }
}

/**
 * Default timeout of a task function: a task attempt may run as long as its policy allows (5 minutes
 * unless declared), and the SDK ends it a second before the Lambda would be killed.
 */
export const TASK_FUNCTION_TIMEOUT = Duration.seconds(330);

export interface NodeTasksFunctionProps {
  /** A module exporting the task functions (the same module the embedded engine loads). */
  tasksModule: string;
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
}

/**
 * A Node Lambda serving every task a module exports, through the task SDK's
 * `createTaskHandler(tasksModule)`. The entry file is generated (two imports and one line) so a
 * tasks module needs no Lambda-specific code.
 */
export class NodeTasksFunction extends CurrantNodeFunction {
  readonly tasksModule: string;
  constructor(scope: Construct, id: string, props: NodeTasksFunctionProps) {
    const tasksModule = fromRoot(props.tasksModule);
    if (!existsSync(tasksModule)) throw new Error(`NodeTasksFunction ${id}: no tasks module at ${tasksModule}`);
    super(scope, id, {
      entry: generatedTaskEntry(tasksModule),
      timeout: props.timeout ?? TASK_FUNCTION_TIMEOUT,
      memorySize: props.memorySize,
      environment: props.environment,
      description: `currant tasks from ${basename(dirname(tasksModule))}/${basename(tasksModule)}`,
    });
    this.tasksModule = tasksModule;
  }
}

/** Writes (once, content-addressed) the entry file wrapping a tasks module; returns its path. */
function generatedTaskEntry(tasksModule: string): string {
  const sdk = join(ROOT, 'sdk', 'node', 'index.ts');
  const text = [
    '// Generated by cdk/functions.ts (NodeTasksFunction): the Lambda entry for a tasks module.',
    `import { createTaskHandler } from ${JSON.stringify(sdk)};`,
    `import * as tasks from ${JSON.stringify(tasksModule)};`,
    'export const handler = createTaskHandler(tasks);',
    '',
  ].join('\n');
  // Under node_modules/.cache so module resolution from the entry finds the project's packages.
  const dir = join(ROOT, 'node_modules', '.cache', 'currant-cdk');
  const file = join(dir, `tasks-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.ts`);
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
  }
  return file;
}

export interface PythonTasksFunctionProps {
  /**
   * A Python file with `@task("name")` functions that also imports the SDK's Lambda entry point
   * (`from currant_tasks import task, handler`); the function's handler is `<module>.handler`,
   * so loading the module registers its tasks.
   */
  tasksFile: string;
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
}

/** Where the Python task SDK lives in the repository. */
export const PYTHON_SDK_DIR = join(ROOT, 'python', 'currant_tasks');

/**
 * A Python Lambda serving the `@task` functions of one file. The asset is the tasks file plus the
 * task SDK package (`python/currant_tasks`), copied by local bundling (no Docker): the same asset
 * works on real AWS (whose Python runtime ships boto3) and on the emulator.
 */
export class PythonTasksFunction extends LambdaFunction {
  constructor(scope: Construct, id: string, props: PythonTasksFunctionProps) {
    const tasksFile = fromRoot(props.tasksFile);
    if (!existsSync(tasksFile)) throw new Error(`PythonTasksFunction ${id}: no tasks file at ${tasksFile}`);
    const moduleName = basename(tasksFile).replace(/\.py$/, '');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(moduleName)) throw new Error(`PythonTasksFunction ${id}: '${moduleName}' is not a Python module name`);
    if (!/^\s*from\s+currant_tasks\s+import\s+[^\n]*\bhandler\b/m.test(readFileSync(tasksFile, 'utf8'))) {
      throw new Error(`PythonTasksFunction ${id}: ${tasksFile} must import the Lambda entry point: from currant_tasks import task, handler`);
    }
    super(scope, id, {
      runtime: Runtime.PYTHON_3_12,
      architecture: Architecture.ARM_64,
      handler: `${moduleName}.handler`,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? TASK_FUNCTION_TIMEOUT,
      description: `currant Python tasks from ${basename(dirname(tasksFile))}/${basename(tasksFile)}`,
      environment: props.environment,
      code: Code.fromAsset(dirname(tasksFile), {
        // Hash what is shipped (tasks file + SDK), not the source folder: an SDK change must redeploy.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never pulled: local bundling below always succeeds. CDK requires an image anyway.
          image: DockerImage.fromRegistry('public.ecr.aws/sam/build-python3.12'),
          local: {
            tryBundle(outputDir: string): boolean {
              if (!existsSync(PYTHON_SDK_DIR)) throw new Error(`PythonTasksFunction: the task SDK is missing at ${PYTHON_SDK_DIR}`);
              cpSync(PYTHON_SDK_DIR, join(outputDir, 'currant_tasks'), {
                recursive: true,
                filter: (src) => !src.includes('__pycache__'),
              });
              cpSync(tasksFile, join(outputDir, basename(tasksFile)));
              return true;
            },
          },
        },
      }),
    });
  }
}
