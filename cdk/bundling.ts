/**
 * How a Node Lambda is bundled, in one place: `cdk/functions.ts` hands these options to CDK's
 * `NodejsFunction` (bundling from source), and `scripts/build.ts` gives them to esbuild for the
 * engine's pre-built handlers in `dist/lambda/` (what the package deploys). Plain data: no CDK here.
 *
 *   await esbuild.build({ entryPoints: ['functions/step.ts'], ...LAMBDA_ESBUILD, outfile: 'dist/lambda/step/index.js' });
 *
 * Why these: CommonJS because an ESM bundle of the AWS SDK fails with "Dynamic require of
 * node:https"; node20 because the emulator runs Lambdas on this machine's Node 20; no source maps
 * (they slow every cold start); minified with names kept (smaller bundles start faster, stack
 * traces keep class and function names). CommonJS has no `import.meta`: modules that read files
 * beside themselves (dsl/parser/grammar.ts without a recipe) get the bundle's own URL instead.
 */
export const IMPORT_META_URL = '__currant_import_meta_url';

export const LAMBDA_ESBUILD = {
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  bundle: true,
  minify: true,
  keepNames: true,
  sourcemap: false,
  define: { 'import.meta.url': IMPORT_META_URL },
  banner: { js: `var ${IMPORT_META_URL} = require('url').pathToFileURL(__filename).href;` },
} as const;

/**
 * The bundle is CommonJS whatever `package.json` sits above the folder it is unpacked in (the
 * emulator unpacks code on this machine, possibly under a `"type": "module"` project): this file
 * goes beside `index.js`.
 */
export const LAMBDA_PACKAGE_JSON = '{"type":"commonjs"}\n';
