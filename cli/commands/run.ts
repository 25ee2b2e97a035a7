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
import { compile, renderDiagnostic, type Program } from '../../dsl/index.ts';
import { isFinal, validateInput, type StepLog } from '../../runtime/index.ts';
import { createEngine, loadTasksModule } from '../../adapters/embedded/index.ts';
import { checkConcurrency, MAX_CONCURRENCY } from '../../adapters/embedded/dispatcher.ts';
import { CliError, EXIT, exitForStatus, type ExitCode } from '../exit.ts';
import { DEFAULT_DB, dbPathForWrite, existingFile, output, readJsonArg, readText } from '../io.ts';
import { finalJson, formatFinal, formatStep } from '../render.ts';
import { ExternalWatch, stepKey } from './shared.ts';

/** How often `run` looks at the database for what other processes did (signal, cancel). */
const POLL_MS = 200;

export interface RunOptions {
  tasks: string;
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
  const { program, diagnostics } = compile(source, file);
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

export async function runCommand(file: string, opts: RunOptions): Promise<ExitCode> {
  const compiled = compileFile(file);
  if (!compiled) return EXIT.FAILED;
  const { program, source } = compiled;
  const input = readJsonArg(opts.input, '--input');
  validateInput(program, input); // InputError → exit 2, before any instance exists
  const concurrency = concurrencyOption(opts.concurrency);
  const tasks = await loadTasks(opts.tasks, program);

  const out = output(process.stdout);
  const json = Boolean(opts.json);
  // Why: stdout carries exactly one JSON document with --json; task modules that log with
  // console.log would corrupt it, so their output goes to stderr for the duration of the run.
  if (json) console.log = console.error;

  const id = opts.id ?? `${program.workflow.name}-${randomUUID().slice(0, 8)}`;
  const dbFlag = opts.db && opts.db !== DEFAULT_DB ? ` --db ${opts.db}` : '';
  // Each step is printed once, whether this process made it (onStep) or another one did (the
  // watch sees it in the stored log, e.g. a signal's "received" step).
  const printed = new Set<string>();
  const print = (instanceId: string, step: StepLog) => {
    const key = stepKey(instanceId, step);
    if (json || instanceId !== id || printed.has(key)) return;
    printed.add(key);
    out.line(formatStep(step, out));
    const waiting = step.kind === 'signal' ? /^waiting for "(.*)"/.exec(step.outcome) : null;
    if (waiting && out.tty) {
      out.line(out.c.dim(`   send it from another terminal: currant signal ${id} ${waiting[1]} '<json>'${dbFlag}`));
    }
  };
  const engine = await createEngine({ dbPath: dbPathForWrite(opts.db), tasks, concurrency, onStep: (i, step) => print(i.id, step) });
  const watch = new ExternalWatch(engine, (i) => i.steps.forEach((s) => print(i.id, s)));
  let interrupted = false;
  const stop = () => {
    interrupted = true;
    watch.stop();
    void engine.close().finally(() => {
      output(process.stderr).line(`interrupted: instance ${id} stays in the database; continue it with \`currant worker --tasks ${opts.tasks}${dbFlag}\``);
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
      // live process holds its lease; then watch it, and take over if that process stops.
      if (!isFinal(existing.status) && !(await engine.adopt(id)) && !json) {
        const holder = engine.leases?.holder(id);
        out.line(out.c.dim(`${id} is running in another process${holder ? ` (${holder})` : ''}: following it here; this process takes over if that one stops`));
      }
    }
    watch.add(started);
    watch.start(POLL_MS);
    const waited = engine.waitFor(id);
    waited.catch(() => {}); // the race below handles it; closing the engine later rejects it again
    const final = await Promise.race([waited, watch.whenFinal(id)]);
    if (interrupted) return EXIT.INTERRUPTED;
    if (json) process.stdout.write(JSON.stringify(finalJson(final)) + '\n');
    else out.line(formatFinal(final, out, file));
    return exitForStatus(final.status);
  } finally {
    watch.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (!interrupted) await engine.close();
  }
}
