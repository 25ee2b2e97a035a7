#!/usr/bin/env node
// Builds the VS Code extension: bundles the client (src/extension.ts) and the language server
// (lsp/main.ts with the whole language core) into dist/ with esbuild, so the extension needs
// nothing from this repository or from node_modules at run time; with --package, also makes the
// .vsix with @vscode/vsce (offline: packaging needs no network).
//
//   node editors/vscode/scripts/build.mjs                       # dist/extension.js, dist/server.js
//   node editors/vscode/scripts/build.mjs --package [--out f]   # + currant-workflow-<version>.vsix
//
// Why the define/banner pair: the bundles are CommonJS (what VS Code loads), which has no
// import.meta; dsl/parser/grammar.ts reads ./grammar/currant.ohm beside itself, so import.meta.url becomes
// the bundle's own URL and the grammar is copied to dist/grammar/ (as cdk/functions.ts does).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = dirname(dirname(fileURLToPath(import.meta.url)));
const ROOT = resolve(HERE, '../..');
const DIST = join(HERE, 'dist');
const require = createRequire(import.meta.url);

const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? resolve(args[outIndex + 1] ?? '') : undefined;

rmSync(DIST, { recursive: true, force: true });
mkdirSync(join(DIST, 'grammar'), { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  keepNames: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'import.meta.url': '__currant_import_meta_url' },
  banner: { js: "var __currant_import_meta_url = require('url').pathToFileURL(__filename).href;" },
};

await build({ ...common, entryPoints: [join(ROOT, 'lsp/main.ts')], outfile: join(DIST, 'server.js') });
await build({ ...common, entryPoints: [join(HERE, 'src/extension.ts')], outfile: join(DIST, 'extension.js'), external: ['vscode'] });
copyFileSync(join(ROOT, 'dsl/parser/grammar/currant.ohm'), join(DIST, 'grammar/currant.ohm'));

if (args.includes('--package')) {
  const { version, name } = JSON.parse(readFileSync(join(HERE, 'package.json'), 'utf8'));
  const vsix = out ?? join(HERE, `${name}-${version}.vsix`);
  // --no-dependencies: everything is bundled. vsce's entry is its bin script, run with this Node.
  const vsce = join(dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
  execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--out', vsix], { cwd: HERE, stdio: 'inherit' });
  console.log(`built ${vsix}`);
}
