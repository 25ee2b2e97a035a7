/**
 * `currant run <file> --tasks <module> --input <json|@file> [--db] [--id] [--json]`: start a
 * workflow on the embedded runtime and stay until it finishes, through sleeps and signal waits.
 *
 * Everything the user passed in is checked before the database is touched: the workflow compiles
 * (else diagnostics, exit 1), the input is JSON (exit 2) matching the parameters (exit 2), the
 * tasks module loads and exports every task the workflow declares (exit 2). Then the instance is
 * started (or, with the same `--id` and input, attached to) and each step is printed as it happens.
 * Exit code: 0 completed, 1 failed, 3 cancelled (another process ran `currant cancel`).
 *
 *   $ currant run examples/order/order.workflow --tasks examples/order/tasks.ts --input @examples/order/input.json
 */
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { compile, deploymentOf, renderDiagnostic, type Program } from '../../dsl/index.ts';
import { workflowFilesBeside } from '../deployment.ts';
import { isFinal, validateInput, type Instance, type StepLog } from '../../runtime/index.ts';
import { createEngine, loadTasksModule, PythonTasks, PythonTasksError, type Engine, type TaskProcess, type TaskRegistry } from '../../adapters/embedded/index.ts';
import { checkConcurrency, MAX_CONCURRENCY } from '../../adapters/embedded/dispatcher.ts';
import { CliError, EXIT, exitForStatus, type ExitCode } from '../exit.ts';
import { DEFAULT_DB, dbPathForWrite, existingFile, output, readJsonArg, readText } from '../io.ts';
import { Progress, progressEveryMs } from '../progress.ts';
import { finalJson, formatFinal, formatStep } from '../render.ts';
import { announce } from './presence.ts';
import { ExternalWatch, stepKey } from './shared.ts';

/** How often `run` looks at the database for what other processes did (signal, cancel). */
const POLL_MS = 200;

export interface RunOptions {
  /** One module or several (`--tasks a.ts --tasks b.py`). */
  tasks: string | string[];
  /** Python interpreter for `.py` tasks files. */
  python?: string;
  input: string;
  db?: string;
  id?: string;
  json?: boolean;
  /** Task attempts running at once in this process (default 16). */
  concurrency?: string;
}

/** `--concurrency <n>`: a whole number from 1 to 10,000 (exit 2 otherwise); undefined → the engine's default. */
export function concurrencyOption(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d{1,6}$/.test(v) ? Number(v) : NaN;
  try {
    return checkConcurrency(n);
  } catch {
    throw new CliError(EXIT.USAGE, `--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got '${v}'`);
  }
}

/** Compiles a workflow file, printing its diagnostics on stderr; null when it has errors. */
export function compileFile(file: string): { program: Program; source: string } | null {
  const source = readText(file, 'workflow file');
  // the .workflow files beside it are the deployment child starts may name (cli/deployment.ts)
  const { program, diagnostics } = compile(source, file, { workflows: deploymentOf(workflowFilesBeside(file)) });
  const err = output(process.stderr);
  const paint = { error: err.c.red, warning: err.c.yellow, dim: err.c.dim };
  // Warnings do not stop a run, but they are worth seeing (on stderr, so --json stays clean).
  for (const d of diagnostics) err.line(renderDiagnostic(d, source, file, paint) + '\n');
  return program ? { program, source } : null;
}

/** Loads the tasks module and checks it exports a function for every task the workflow declares. */
export async function loadTasks(path: string, program?: Program): Promise<Record<string, (...args: any[]) => unknown>> {
  const abs = existingFile(path, 'tasks module');
  let tasks: Record<string, (...args: any[]) => unknown>;
  try {
    tasks = (await loadTasksModule(abs)) as Record<string, (...args: any[]) => unknown>;
  } catch (e) {
    throw new CliError(EXIT.USAGE, `cannot load tasks module '${path}': ${(e as Error).message}`);
  }
  if (program) {
    const missing = program.tasks.map((t) => t.name).filter((name) => typeof tasks[name] !== 'function');
    if (missing.length > 0) {
      throw new CliError(EXIT.USAGE, `tasks module '${path}' does not export ${missing.map((m) => `'${m}'`).join(', ')} (declared in the workflow)`);
    }
  }
  return tasks;
}

/** The task implementations of every `--tasks` given: in-process functions and task processes. */
export interface LoadedTasks {
  tasks: TaskRegistry;
  processes: TaskProcess[];
  /** Stops the task processes (when the command ends before an engine owns them). */
  close(): Promise<void>;
}

/**
 * Loads every `--tasks` module: `.js`/`.mjs`/`.ts` in this process, `.py` in a Python process
 * (started now, so a broken file is exit 2 before anything is stored). A task exported by two
 * modules, or a task the workflow declares that none exports, is exit 2.
 */
export async function loadTaskModules(paths: string | string[], program?: Program, python?: string): Promise<LoadedTasks> {
  const list = Array.isArray(paths) ? paths : [paths];
  const processes: TaskProcess[] = [];
  const close = async () => void (await Promise.allSettled(processes.map((p) => p.close())));
  try {
    const tasks: TaskRegistry = {};
    const owner = new Map<string, string>();
    const claim = (name: string, path: string) => {
      const other = owner.get(name);
      if (other !== undefined && other !== path) throw new CliError(EXIT.USAGE, `task '${name}' is exported by both '${other}' and '${path}'; keep one`);
      owner.set(name, path);
    };
    for (const path of list) {
      if (path.endsWith('.py')) {
        existingFile(path, 'tasks file');
        let py: PythonTasks;
        try {
          py = await PythonTasks.start(path, { python });
        } catch (e) {
          if (e instanceof PythonTasksError) throw new CliError(EXIT.USAGE, `cannot start Python tasks '${path}': ${e.message}`);
          throw e;
        }
        processes.push(py);
        for (const name of py.tasks) claim(name, path);
      } else {
        const loaded = await loadTasks(path);
        for (const name of Object.keys(loaded)) claim(name, path);
        Object.assign(tasks, loaded);
      }
    }
    if (program) {
      const missing = program.tasks.map((t) => t.name).filter((name) => !owner.has(name));
      if (missing.length > 0) {
        const where = list.length === 1 ? `tasks module '${list[0]}' does not export` : `none of the tasks modules (${list.map((p) => `'${p}'`).join(', ')}) exports`;
        throw new CliError(EXIT.USAGE, `${where} ${missing.map((m) => `'${m}'`).join(', ')} (declared in the workflow)`);
      }
    }
    return { tasks, processes, close };
  } catch (e) {
    await close();
    throw e;
  }
}

export async function runCommand(file: string, opts: RunOptions): Promise<ExitCode> {
  const compiled = compileFile(file);
  if (!compiled) return EXIT.FAILED;
  const { program, source } = compiled;
  const input = readJsonArg(opts.input, '--input');
  validateInput(program, input); // InputError → exit 2, before any instance exists
  const concurrency = concurrencyOption(opts.concurrency);
  const loaded = await loadTaskModules(opts.tasks, program, opts.python);

  const out = output(process.stdout);
  const json = Boolean(opts.json);
  // Why: stdout carries exactly one JSON document with --json; task modules that log with
  // console.log would corrupt it, so their output goes to stderr for the duration of the run.
  const consoleLog = console.log;
  if (json) console.log = console.error;

  const id = opts.id ?? `${program.workflow.name}-${randomUUID().slice(0, 8)}`;
  const dbFlag = opts.db && opts.db !== DEFAULT_DB ? ` --db ${opts.db}` : '';
  // Each step is printed once, whether this process made it (onStep) or another one did (the
  // watch sees it in the stored log, e.g. a signal's "received" step).
  const printed = new Set<string>();
  // What is running between the steps: a status line on a terminal, plain lines otherwise.
  const progress = new Progress(out, { plainEveryMs: progressEveryMs() });
  // Child workflows of this instance (and theirs) print their steps too, prefixed by their id.
  const family = new Set<string>([id]);
  const print = (instanceId: string, step: StepLog, parent?: string) => {
    const key = stepKey(instanceId, step);
    if (parent !== undefined && family.has(parent)) family.add(instanceId);
    if (json || !family.has(instanceId) || printed.has(key)) return;
    printed.add(key);
    progress.line(instanceId === id ? formatStep(step, out) : `${out.c.dim(instanceId)} ${formatStep(step, out)}`, instanceId);
    const waiting = step.kind === 'signal' ? /^waiting for "(.*)"/.exec(step.outcome) : null;
    if (waiting && out.tty) {
      progress.line(out.c.dim(`   send it from another terminal: currant signal ${id} ${waiting[1]} '<json>'${dbFlag}`));
    }
  };
  const dbPath = dbPathForWrite(opts.db);
  const engine = await createEngine({
    dbPath,
    tasks: loaded.tasks,
    taskProcesses: loaded.processes,
    workflows: workflowFilesBeside(file),
    concurrency,
    onStep: (i, step) => {
      if (i.id === id) progress.update(i);
      print(i.id, step, i.parent?.id);
    },
  }).catch(async (e) => {
    await loaded.close();
    throw e;
  });
  const watch = new ExternalWatch(engine, (i) => {
    if (i.id === id) progress.update(i);
    i.steps.forEach((s) => print(i.id, s));
  });
  // So that `currant signal` can tell whether anybody runs the instance (presence.ts).
  const here = announce(dbPath, { kind: 'run', instanceId: id, tasks: Array.isArray(opts.tasks) ? opts.tasks : [opts.tasks], ...(opts.db ? { db: opts.db } : {}) });
  let interrupted = false;
  const stop = () => {
    interrupted = true;
    here.release();
    progress.stop();
    watch.stop();
    void engine.close().finally(() => {
      output(process.stderr).line(`interrupted: instance ${id} stays in the database; continue it with \`currant worker ${tasksFlags(opts.tasks)}${dbFlag}\``);
      process.exit(EXIT.INTERRUPTED);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const existing = await engine.store.load(id);
    const started = await engine.start({ source, file }, input, { id });
    if (existing) {
      if (!json) out.line(out.c.dim(`attached to existing instance ${id} (${existing.status}); its steps so far:`));
      // Its history first, so that what happens from now on prints after it.
      for (const s of started.steps) print(id, s);
      // An instance left unfinished by a process that stopped: pick its work up here — unless a
      // live process holds its lease; then follow it, and take over if that process stops.
      if (!isFinal(existing.status) && !(await engine.adopt(id)) && !json) {
        const holder = engine.leases?.holder(id);
        out.line(out.c.dim(`${id} is running in another process${holder ? ` (${holder})` : ''}: following it here; this process takes over if that one stops`));
      }
    }
    watch.add(started);
    watch.start(POLL_MS);
    if (!json) {
      progress.update(await engine.get(id));
      progress.start();
    }
    const waited = engine.waitFor(id);
    waited.catch(() => {}); // the race below handles it; closing the engine later rejects it again
    const final = await Promise.race([waited, watch.whenFinal(id)]);
    progress.stop();
    if (interrupted) return EXIT.INTERRUPTED;
    await detachedChildren(engine, final, file, opts, dbFlag);
    if (json) process.stdout.write(JSON.stringify(finalJson(final)) + '\n');
    else out.line(formatFinal(final, out, file));
    return exitForStatus(final.status);
  } finally {
    here.release();
    console.log = consoleLog;
    progress.stop();
    watch.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (!interrupted) await engine.close();
  }
}

/** How long `run` lets detached children it started finish their work in progress before it exits. */
const DETACHED_GRACE_MS = 5000;

/**
 * Detached children this run started: their work in progress (a task) may finish here for up to
 * DETACHED_GRACE_MS; one still unfinished then is named on stderr, with how to continue it.
 */
async function detachedChildren(engine: Engine, final: Instance, file: string, opts: RunOptions, dbFlag: string): Promise<void> {
  const kids = Object.values(final.children ?? {}).filter((c) => c.detached);
  if (kids.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([engine.settled(), new Promise<void>((r) => (timer = setTimeout(r, DETACHED_GRACE_MS)))]);
  clearTimeout(timer);
  for (const k of kids) {
    const child = await engine.store.load(k.id);
    if (child && !isFinal(child.status)) {
      output(process.stderr).line(`note: detached child ${k.id} (${k.workflow}) is still ${child.status}; continue it with \`currant worker ${tasksFlags(opts.tasks)} --workflows ${dirname(file)}${dbFlag}\``);
    }
  }
}

/** `--tasks a.ts --tasks b.py`, for the commands we suggest. */
export function tasksFlags(tasks: string | string[]): string {
  return (Array.isArray(tasks) ? tasks : [tasks]).map((t) => `--tasks ${t}`).join(' ');
}
