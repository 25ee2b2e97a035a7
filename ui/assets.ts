/**
 * The page's assets: `app/main.tsx` and everything it imports (Preact, Viz.js — Graphviz as
 * WebAssembly, inlined) bundled by esbuild into one script and one stylesheet, in memory. No CDN:
 * the viewer works with no network at all.
 *
 * Takes nothing; gives `{ js, css }` (built once per process, then cached).
 *
 *   const { js, css } = await appAssets(); // ~1.5 MB of JS, most of it Graphviz
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export interface Assets {
  js: Uint8Array;
  css: Uint8Array;
}

let cached: Promise<Assets> | undefined;

export function appAssets(): Promise<Assets> {
  cached ??= bundle().catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

async function bundle(): Promise<Assets> {
  const r = await build({
    entryPoints: [fileURLToPath(new URL('./app/main.tsx', import.meta.url))],
    bundle: true,
    write: false,
    outdir: 'out',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = r.outputFiles.find((f) => f.path.endsWith('.js'));
  const css = r.outputFiles.find((f) => f.path.endsWith('.css'));
  if (!js) throw new Error('ui: the app bundle has no script');
  return { js: js.contents, css: css?.contents ?? new Uint8Array() };
}
