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
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAMBDA_ESBUILD, LAMBDA_PACKAGE_JSON } from './bundling.ts';

/**
 * Whether this code runs from the repository's TypeScript sources (a clone: the engine's functions
 * are bundled from `functions/*.ts`) or from the built package (`node_modules/currant/dist`: they
 * come pre-built from `dist/lambda/`).
 */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** currant's own root: the clone, or `node_modules/currant` (the folder with its package.json). */
export const ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'currant') return dir;
    if (dirname(dir) === dir) throw new Error(`currant/cdk: cannot find currant's package.json above ${from}`);
  }
}

/**
 * Where relative paths in props (workflows folder, tasks modules) are resolved: your CDK project,
 * i.e. the current directory (`cdk synth` runs where cdk.json is). From source that is the
 * repository root, whatever the current directory.
 */
export function projectRoot(): string {
  return FROM_SOURCE ? ROOT : process.cwd();
}

/** A path given relative to the project root (`projectRoot()`), or absolute. */
export function fromRoot(path: string): string {
  return isAbsolute(path) ? path : join(projectRoot(), path);
}

/** The runtime of every Node function (see the header). */
export const NODE_RUNTIME = Runtime.NODEJS_22_X;
/** arm64: cheaper per GB-second, and nothing here is native. */
export const ARCHITECTURE = Architecture.ARM_64;

/** Single-quotes a path for the shell that runs bundling command hooks. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface CurrantNodeFunctionProps {
  /** Entry file exporting `handler` (relative to the project root, or absolute). */
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
        `echo ${shellQuote(LAMBDA_PACKAGE_JSON.trim())} > ${shellQuote(join(out, 'package.json'))}`,
        ...extraFiles.flatMap((f) => {
          const target = join(out, f.to);
          return [`mkdir -p ${shellQuote(dirname(target))}`, `cp ${shellQuote(f.from)} ${shellQuote(target)}`];
        }),
      ],
    };
    const fnProps: NodejsFunctionProps = {
      entry: fromRoot(props.entry),
      handler: 'handler',
      runtime: NODE_RUNTIME,
      architecture: ARCHITECTURE,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      description: props.description,
      environment: props.environment,
      logGroup: props.logGroup,
      // From the package, CDK finds your project's lock file (and so its root) itself.
      ...(FROM_SOURCE ? { projectRoot: ROOT, depsLockFilePath: join(ROOT, 'package-lock.json') } : {}),
      // The options of cdk/bundling.ts (shared with the package build; why each, there). Modules
      // that read files beside themselves (dsl/parser/grammar.ts reads ./grammar/currant.ohm) get those
      // files at the same relative place in the bundle (`extraFiles`).
      bundling: {
        format: OutputFormat.CJS,
        target: LAMBDA_ESBUILD.target,
        externalModules: [],
        sourceMap: LAMBDA_ESBUILD.sourcemap,
        minify: LAMBDA_ESBUILD.minify,
        keepNames: LAMBDA_ESBUILD.keepNames,
        define: { ...LAMBDA_ESBUILD.define },
        banner: LAMBDA_ESBUILD.banner.js,
        commandHooks,
      },
    };
    super(scope, id, fnProps);
  }
}

/** The engine's own functions, by their handler module's name (`functions/<name>.ts`). */
export type EngineHandler = 'step' | 'api' | 'reconcile' | 'schedule';

export interface EngineFunctionProps extends Omit<CurrantNodeFunctionProps, 'entry'> {
  handler: EngineHandler;
  /** Bundle this entry file instead of the engine's own handler (relative to the project root, or absolute). */
  entry?: string;
}

/**
 * One of the engine's functions. From source (or given an `entry`): bundled from the TypeScript
 * handler, with the grammar files beside the bundle (where dsl/parser/grammar.ts reads them). From the
 * package: the pre-built handler in `dist/lambda/<handler>/` (the grammar inlined as a recipe), so
 * deploying the engine needs neither esbuild nor currant's sources, and runs the code that was
 * tested when the package was built.
 */
export function engineFunction(scope: Construct, id: string, props: EngineFunctionProps): LambdaFunction {
  const { handler, entry, ...rest } = props;
  if (entry !== undefined || FROM_SOURCE) {
    return new CurrantNodeFunction(scope, id, { ...rest, entry: entry ?? `functions/${handler}.ts`, extraFiles: [...grammarFiles(), ...(rest.extraFiles ?? [])] });
  }
  return new PrebuiltNodeFunction(scope, id, { ...rest, codeDir: join(ROOT, 'dist', 'lambda', handler) });
}

/** `dsl/parser/grammar/*.ohm` as `grammar/*.ohm` in a bundle; none in the package (its bundles inline the grammar). */
function grammarFiles(): { from: string; to: string }[] {
  const dir = join(ROOT, 'dsl', 'parser', 'grammar');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ohm'))
    .map((f) => ({ from: join(dir, f), to: join('grammar', f) }));
}

export interface PrebuiltNodeFunctionProps extends Omit<CurrantNodeFunctionProps, 'entry'> {
  /** A folder holding a built CommonJS `index.js` that exports `handler` (and its package.json). */
  codeDir: string;
}

/**
 * A Node Lambda from code that is already bundled (the package's `dist/lambda/<name>/`), with the
 * house runtime and architecture. `extraFiles` are copied beside it by local bundling (no Docker).
 */
export class PrebuiltNodeFunction extends LambdaFunction {
  constructor(scope: Construct, id: string, props: PrebuiltNodeFunctionProps) {
    const { codeDir } = props;
    if (!existsSync(join(codeDir, 'index.js'))) {
      throw new Error(`${id}: no pre-built handler at ${join(codeDir, 'index.js')} (build the package: npm run build)`);
    }
    const extraFiles = props.extraFiles ?? [];
    const code =
      extraFiles.length === 0
        ? Code.fromAsset(codeDir)
        : Code.fromAsset(codeDir, {
            // Hash what is shipped (handler + extra files): a changed workflow must redeploy.
            assetHashType: AssetHashType.OUTPUT,
            bundling: {
              // Never pulled: local bundling below always succeeds. CDK requires an image anyway.
              image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs22.x'),
              local: {
                tryBundle(outputDir: string): boolean {
                  cpSync(codeDir, outputDir, { recursive: true });
                  for (const f of extraFiles) {
                    mkdirSync(dirname(join(outputDir, f.to)), { recursive: true });
                    cpSync(f.from, join(outputDir, f.to));
                  }
                  return true;
                },
              },
            },
          });
    super(scope, id, {
      runtime: NODE_RUNTIME,
      architecture: ARCHITECTURE,
      handler: 'index.handler',
      code,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      description: props.description,
      environment: props.environment,
      logGroup: props.logGroup,
    });
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
  // From the package, the task SDK is `currant/tasks`, resolved from your project's node_modules.
  const sdk = FROM_SOURCE ? join(ROOT, 'sdk', 'node', 'index.ts') : 'currant/tasks';
  const text = [
    '// Generated by cdk/functions.ts (NodeTasksFunction): the Lambda entry for a tasks module.',
    `import { createTaskHandler } from ${JSON.stringify(sdk)};`,
    `import * as tasks from ${JSON.stringify(tasksModule)};`,
    'export const handler = createTaskHandler(tasks);',
    '',
  ].join('\n');
  // Under node_modules/.cache so module resolution from the entry finds the project's packages.
  const dir = join(projectRoot(), 'node_modules', '.cache', 'currant-cdk');
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
      architecture: ARCHITECTURE,
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
