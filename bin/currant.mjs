#!/usr/bin/env node
// The `currant` command. Installed from the package it runs the built CLI (`dist/cli.js`): plain
// JavaScript, no compiler at start-up. In a clone of the repository (where `cli/bin.ts` exists) it
// runs the TypeScript sources through tsx, so an edit shows at once without a build;
// `CURRANT_CLI=dist` makes a clone use its build too (`npm run build`; the benchmark and the
// package tests do this).
//
// From source both tsx hooks are needed: a `.ts` file outside a `"type": "module"` package is
// loaded as CommonJS, and without tsx's CJS hook Node 20 fails on it ("Cannot require() ES Module
// … in a cycle"). The built CLI registers them itself, only when a `--tasks` module is TypeScript.
import { existsSync } from 'node:fs';

const source = new URL('../cli/bin.ts', import.meta.url);
if (process.env.CURRANT_CLI !== 'dist' && existsSync(source)) {
  try {
    const [{ register }, { register: registerCjs }] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
    register();
    registerCjs();
  } catch (e) {
    console.error('currant: internal error while loading:', e);
    process.exit(4);
  }
  await import(source.href);
} else {
  const built = new URL('../dist/cli.js', import.meta.url);
  if (!existsSync(built)) {
    console.error('currant: the CLI is not built (dist/cli.js is missing): run `npm run build`');
    process.exit(4);
  }
  await import(built.href);
}
