#!/usr/bin/env node
// The `currant` command. There is no build step: tsx's loaders are registered first so that the
// CLI (TypeScript) and the user's task modules (`--tasks tasks.ts`) can be imported as-is. Both
// hooks are needed: a `.ts` file outside a `"type": "module"` package is loaded as CommonJS, and
// without tsx's CJS hook Node 20 fails on it ("Cannot require() ES Module … in a cycle").
// Exit codes are documented in cli/README.md; a failure to load currant itself is 4 (internal).
import { register as registerCjs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

register();
registerCjs();
let main;
try {
  ({ main } = await import('../cli/main.ts'));
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
