/**
 * The `currant` executable: runs `main` on `process.argv` and exits with its code. Built into
 * `dist/cli.js` for the package; `bin/currant.mjs` imports that, or (in a clone) this file through tsx.
 *
 * Exit codes are documented in cli/README.md; a failure to load currant itself is 4 (internal).
 */
import { setFlagsFromString } from 'node:v8';

// A command that parses a few workflows and exits spends more on V8's optimising compiler than it
// saves: the first parse of a small file takes ~100 ms of CPU with TurboFan and ~35 ms with at most
// the baseline compiler, and a 60 KB file is no slower (bench/startup.ts). Long-running commands
// (run, worker, and any command not listed) keep it: the interpreter's throughput depends on it.
const SHORT_COMMANDS = new Set(['check', 'graph', 'status', 'list', 'signal', 'cancel']);
if (SHORT_COMMANDS.has(process.argv[2] ?? '')) setFlagsFromString('--max-opt=1');

let main: (argv: string[]) => Promise<number>;
try {
  ({ main } = await import('./main.ts'));
} catch (e) {
  console.error('currant: internal error while loading:', e);
  process.exit(4);
}
// Why process.exit: a task module may leave handles open (intervals, sockets) that would keep a
// finished `run` alive. The empty writes' callbacks run once earlier output is flushed (pipes on
// macOS are asynchronous), so nothing printed is lost.
const code = await main(process.argv);
process.exitCode = code;
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
