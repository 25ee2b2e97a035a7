#!/usr/bin/env node
// The `currant` command. There is no build step: tsx's ESM loader is registered first so that
// the CLI (TypeScript) and the user's task modules (`--tasks tasks.ts`) can be imported as-is.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
