#!/usr/bin/env node
// The `currant` command. There is no build step: tsx's ESM loader is registered first so that
// the CLI (TypeScript) and the user's task modules (`--tasks tasks.ts`) can be imported as-is.
// Exit codes are documented in cli/README.md; a failure to load currant itself is 4 (internal).
import { register } from 'tsx/esm/api';

register();
let main;
try {
  ({ main } = await import('../cli/main.ts'));
} catch (e) {
  console.error('currant: internal error while loading:', e);
  process.exit(4);
}
// Why process.exit: a task module may leave handles open (intervals, sockets) that would keep a
// finished `run` alive. stdout/stderr writes to pipes and files are synchronous on Linux.
process.exit(await main(process.argv));
