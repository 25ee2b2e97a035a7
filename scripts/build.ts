/**
 * The build: `dist/` for the npm package, bundled from entry points, so a new source module or CLI
 * command is picked up through its imports (nothing here lists files).
 *
 *   npm run build                        # JavaScript + .d.ts (npm install runs it: `prepare`)
 *   npx tsx scripts/build.ts --no-types  # JavaScript only (about a second; benchmark, tests)
 *
 * Gives:
 * - `dist/{cli,index,cdk,tasks,testing}.js`: ESM, one esbuild run with code splitting (shared code
 *   in `dist/chunks/`, so a class is one class whichever entry imported it, and each CLI command
 *   is its own chunk, loaded when it runs). Packages in `dependencies` / `peerDependencies` stay
 *   imports (better-sqlite3 is native, tsx is a loader, aws-cdk-lib must be the app's own copy);
 *   everything else (ohm-js, commander, picocolors) is bundled: one file parses faster than forty.
 * - `dist/lambda/{step,api,reconcile,schedule}/index.js`: the engine's Lambda handlers, CommonJS with
 *   everything bundled (cdk/bundling.ts), which `currant/cdk` deploys as they are.
 * - `dist/types/**.d.ts`: declarations from tsc (tsconfig.build.json), one per source module; the
 *   `exports` map of package.json points at the entries' ones.
 *
 * Every bundle inlines the grammar as an ohm recipe (`CURRANT_GRAMMAR_RECIPE`, see dsl/parser/grammar.ts):
 * loading it takes milliseconds where compiling the `.ohm` text takes ~350 ms. The CLI's viewer
 * page (`currant ui`) is bundled here too and inlined (`CURRANT_UI_JS`, `CURRANT_UI_CSS`, see ui/assets.ts), so
 * the package needs neither esbuild nor the page's dependencies at run time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { LAMBDA_ESBUILD, LAMBDA_PACKAGE_JSON } from '../cdk/bundling.ts';
import { grammarRecipe } from '../dsl/parser.ts';
import { appAssets } from '../ui/assets.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(ROOT, 'dist');

/** The package's entry points: `dist/<name>.js` (and `dist/types/<source without .ts>.d.ts`). */
export const ENTRIES = {
  cli: 'cli/bin.ts',
  index: 'index.ts',
  cdk: 'cdk/index.ts',
  tasks: 'sdk/node/index.ts',
  testing: 'testing/index.ts',
} as const;

/** The engine's Lambda handlers: `dist/lambda/<name>/index.js`. */
export const LAMBDAS = {
  step: 'functions/step.ts',
  api: 'functions/api.ts',
  reconcile: 'functions/reconcile.ts',
  schedule: 'functions/schedule.ts',
} as const;

// Lets CommonJS dependencies bundled into ESM call `require` (esbuild's shim throws without it).
const REQUIRE_SHIM = "import { createRequire as __currantCreateRequire } from 'node:module'; const require = __currantCreateRequire(import.meta.url);";

/**
 * commander requires node:child_process as it loads (for executable subcommands, which currant
 * has none of), and that module with what it pulls in (net, dgram, …) is ~10 ms of every start.
 * In the bundle, commander gets a stand-in that loads the real module on first use.
 */
const lazyChildProcess: esbuild.Plugin = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "let real; module.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

export interface BuildOptions {
  /** Emit `.d.ts` with tsc (default true; it takes ~10 s). */
  types?: boolean;
  /** Log what was built (default true). */
  log?: boolean;
}

export async function build(opts: BuildOptions = {}): Promise<void> {
  const started = Date.now();
  const log = opts.log === false ? () => {} : (msg: string) => process.stderr.write(`build: ${msg}\n`);
  // A JavaScript-only build keeps the declarations of the last full one.
  if (existsSync(DIST)) for (const f of readdirSync(DIST)) if (f !== 'types' || opts.types !== false) rmSync(join(DIST, f), { recursive: true, force: true });
  const define = { CURRANT_GRAMMAR_RECIPE: JSON.stringify(grammarRecipe()) };
  // The viewer's page (ui/assets.ts), bundled now rather than by every `currant ui`.
  const ui = await appAssets();
  const utf8 = new TextDecoder();
  const uiAssets = { CURRANT_UI_JS: JSON.stringify(utf8.decode(ui.js)), CURRANT_UI_CSS: JSON.stringify(utf8.decode(ui.css)) };

  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES,
    outdir: DIST,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    keepNames: true,
    // esbuild too: ui/assets.ts imports it only from source (the page is inlined here).
    external: [...runtimePackages(), 'esbuild'].flatMap((p) => [p, `${p}/*`]),
    banner: { js: REQUIRE_SHIM },
    define: { ...define, ...uiAssets },
    plugins: [lazyChildProcess],
    logLevel: 'warning',
  });
  log(`${Object.keys(ENTRIES).length} entries in ${Date.now() - started} ms`);

  for (const [name, entry] of Object.entries(LAMBDAS)) {
    const out = join(DIST, 'lambda', name);
    await esbuild.build({
      ...LAMBDA_ESBUILD,
      absWorkingDir: ROOT,
      entryPoints: [entry],
      outfile: join(out, 'index.js'),
      define: { ...LAMBDA_ESBUILD.define, ...define },
      banner: { ...LAMBDA_ESBUILD.banner },
      logLevel: 'warning',
    });
    writeFileSync(join(out, 'package.json'), LAMBDA_PACKAGE_JSON);
  }
  log(`${Object.keys(LAMBDAS).length} Lambda handlers in ${Date.now() - started} ms`);

  if (opts.types !== false) {
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    // tsc writes the declarations even when the sources have type errors. Why not fail then: this
    // runs on every `npm install` of a clone (`prepare`), and a type error mid-edit must not block
    // installing a package; `npm run typecheck` (first in `npm test`, so in CI) is where it fails.
    if (tsc.status !== 0 && tsc.signal === null) log('declarations written, but the sources have type errors (see above; npm run typecheck fails on them)');
    else if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json was killed (${tsc.signal})`);
    else log(`declarations in ${Date.now() - started} ms`);
  }
}

/** Packages the built code imports at run time instead of bundling them. */
export function runtimePackages(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  return [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await build({ types: !process.argv.includes('--no-types') });
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
