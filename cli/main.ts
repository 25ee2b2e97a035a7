/**
 * The `currant` command line: commander wiring, error-to-exit-code mapping, nothing else.
 *
 * Takes `process.argv`, gives the exit code (see cli/README.md): each command lives in
 * `cli/commands/<name>.ts` and returns its code; a `CliError` or a runtime input/conflict/not-found
 * error is a clear one-line message on stderr and exit 2; anything unexpected is exit 4.
 *
 *   process.exitCode = await main(['node', 'currant', 'check', 'order.workflow'])
 */
import { Command, CommanderError, Option } from 'commander';
import { CurrantError } from '../runtime/errors.ts';
// Each command's module is loaded when that command runs (commands/index.ts): start-up stays small.
import {
  cancelCommand,
  checkCommand,
  graphCommand,
  initCommand,
  listCommand,
  redriveCommand,
  runCommand,
  schedulesCommand,
  signalCommand,
  statusCommand,
  uiCommand,
  workerCommand,
} from './commands/index.ts';
import { CliError, EXIT, type ExitCode } from './exit.ts';
import { DEFAULT_DB, output } from './io.ts';
import { packageVersion } from './package.ts';

const STATUSES = ['running', 'waiting', 'completed', 'failed', 'cancelled'] as const;

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.OK;
  const set = (c: ExitCode) => {
    code = c;
  };
  const dbOption = () => new Option('--db <path>', 'SQLite database file').default(DEFAULT_DB);

  const program = new Command()
    .name('currant')
    .description('Durable workflows written in a small TypeScript-like language.')
    .version(packageVersion())
    // Why exitOverride: commander would call process.exit(1) on usage errors; we map them to 2.
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(output(process.stderr).c.red(text)) });

  program
    .command('check')
    .description('parse and check workflow files; exit 1 when any has an error')
    .argument('<file...>', '.workflow files')
    .action(async (files: string[]) => set(await checkCommand(files)));

  program
    .command('run')
    .description('start a workflow and run it to the end, printing each step')
    .argument('<file>', 'the .workflow file')
    .requiredOption('--tasks <module>', 'JS/TS module exporting the task functions, or a .py tasks file (repeatable)', collect)
    .option('--python <path>', 'Python interpreter for .py tasks files (default: $CURRANT_PYTHON, the active venv, ./.venv, python3)')
    .option('--input <json>', 'input as JSON, or @file to read it from a file', '{}')
    .addOption(dbOption())
    .option('--id <id>', 'instance id (same id and input again: attaches to the existing instance)')
    .option('--json', 'print only the final instance as one JSON object')
    .option('--concurrency <n>', 'task attempts running at once in this process (a fan-out\'s own concurrency can only lower it)', '16')
    .action(async (file: string, opts) => set(await runCommand(file, opts)));

  program
    .command('worker')
    .description('keep every unfinished instance in the database moving until Ctrl-C / SIGTERM')
    .requiredOption('--tasks <module>', 'JS/TS module exporting the task functions, or a .py tasks file (repeatable)', collect)
    .option('--python <path>', 'Python interpreter for .py tasks files (default: $CURRANT_PYTHON, the active venv, ./.venv, python3)')
    .addOption(dbOption())
    .option('--takeover-after <ms>', 'take over instances started elsewhere once a timer is this overdue', '10000')
    .option('--concurrency <n>', 'task attempts running at once in this process', '16')
    .option('--schedules <file>', 'also start workflows on the cron / rate schedules in this JSON file')
    .option('--workflows <dir>', 'the folder of .workflow files child workflow starts may name (without it a child start fails with CR044)')
    .action(async (opts) => set(await workerCommand(opts)));

  program
    .command('schedules')
    .description('list the schedules in a schedules file: next firing, last firing in the database')
    .requiredOption('--schedules <file>', 'the schedules JSON file (as given to `currant worker --schedules`)')
    .addOption(dbOption())
    .option('--json', 'print a JSON array')
    .action(async (opts) => set(await schedulesCommand(opts)));

  program
    .command('status')
    .description('show one instance: status, result or error, current line, pending work, step log')
    .argument('<id>', 'instance id')
    .addOption(dbOption())
    .option('--json', 'print the instance as JSON')
    .action(async (id: string, opts) => set(await statusCommand(id, opts)));

  program
    .command('list')
    .description('list instances, newest first')
    .addOption(new Option('--status <status>', 'only instances with this status').choices(STATUSES))
    .option('--workflow <name>', 'only instances of this workflow')
    .addOption(dbOption())
    .option('--json', 'print a JSON array')
    .action(async (opts) => set(await listCommand(opts)));

  program
    .command('signal')
    .description('send a signal (with an optional JSON payload) to an instance')
    .argument('<id>', 'instance id')
    .argument('<name>', 'signal name, as in `await signal("name")`')
    .argument('[json]', 'payload as JSON, or @file (default null)')
    .addOption(dbOption())
    .action(async (id: string, name: string, json: string | undefined, opts) => set(await signalCommand(id, name, json, opts)));

  program
    .command('cancel')
    .description('cancel an unfinished instance')
    .argument('<id>', 'instance id')
    .addOption(dbOption())
    .action(async (id: string, opts) => set(await cancelCommand(id, opts)));

  program
    .command('redrive')
    .description('resume a failed instance from the await whose task failed (that task runs again as attempt 1)')
    .argument('<id>', 'instance id')
    .option('--tasks <module>', 'run it here with this tasks module (else a running worker takes it over)')
    .addOption(dbOption())
    .option('--json', 'print the instance as JSON')
    .action(async (id: string, opts) => set(await redriveCommand(id, opts)));

  program
    .command('ui')
    .description('serve the web viewer on 127.0.0.1 (instances, graphs, step history, signal/cancel/redrive)')
    .addOption(dbOption())
    .option('--port <n>', 'port on 127.0.0.1 (0: any free one)', '7480')
    .option('--api <url>', "a deployed engine's API URL instead of a database (requests signed with your AWS credentials)")
    .option('--region <region>', 'AWS region for signing (default: AWS_REGION, else from the URL)')
    .option('--unsigned', 'send API requests unsigned (an emulator deployed without IAM authorization)')
    .action(async (opts) => set(await uiCommand(opts)));

  program
    .command('graph')
    .description('print the workflow as a Mermaid flowchart or a Graphviz digraph')
    .argument('<file>', 'the .workflow file')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot']).default('mermaid'))
    .action(async (file: string, opts) => set(await graphCommand(file, opts)));

  program
    .command('init')
    .description('create a project: a workflow, Node tasks, a test, a CDK app, package.json scripts')
    .argument('[dir]', 'folder to create the project in (default: the current folder)', '.')
    .option('--name <name>', 'package name (default: the folder name)')
    .option('--force', 'write into a folder that already has files (existing files are kept)')
    .action(async (dir: string, opts) => set(await initCommand(dir, opts)));

  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    return failure(e);
  }
}

/** Collects a repeatable option (`--tasks a.ts --tasks b.py`) into a list. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Maps an exception to its exit code, printing one clear line (a stack only for internal errors). */
function failure(e: unknown): number {
  const err = output(process.stderr);
  if (e instanceof CommanderError) {
    // Help and version are successes; everything else commander reports is a usage error.
    return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT.OK : EXIT.USAGE;
  }
  if (e instanceof CliError) {
    err.line(`${err.c.red('error:')} ${e.message}`);
    return e.exitCode;
  }
  if (e instanceof CurrantError) {
    err.line(`${err.c.red('error:')} ${e.message}`);
    // The workflow text has errors: like `check`, exit 1. Everything else the user passed in: 2.
    if (e.code === 'DEFINITION_INVALID') return EXIT.FAILED;
    if (e.code === 'VERSION_CONFLICT') return EXIT.INTERNAL;
    return EXIT.USAGE;
  }
  err.line(`${err.c.red('internal error:')} ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return EXIT.INTERNAL;
}
