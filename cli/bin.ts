/**
 * The `currant` executable: runs `main` on `process.argv` and exits with its code. Built into
 * `dist/cli.js` for the package; `bin/currant.mjs` imports that, or (in a clone) this file through tsx.
 *
 * Exit codes are documented in cli/README.md; a failure to load currant itself is 4 (internal).
 */
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
