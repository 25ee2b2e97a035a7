/**
 * The page's assets: `app/main.tsx` and everything it imports (Preact, Viz.js — Graphviz as
 * WebAssembly, inlined) bundled by esbuild into one script and one stylesheet, in memory. No CDN:
 * the viewer works with no network at all.
 *
 * Takes nothing; gives `{ js, css }` (built once per process, then cached).
 *
 *   const { js, css } = await appAssets(); // ~1.5 MB of JS, most of it Graphviz
 */
import { fileURLToPath } from 'node:url';

// Set only in the package's bundles: scripts/build.ts bundles the page at build time and inlines
// its script and stylesheet as text, so an installed currant needs neither esbuild nor the page's
// sources and dependencies (Preact, Viz.js) to serve it. From source it is bundled here, once.
declare const CURRANT_UI_JS: string | undefined;
declare const CURRANT_UI_CSS: string | undefined;

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
  if (typeof CURRANT_UI_JS === 'string' && typeof CURRANT_UI_CSS === 'string') {
    const utf8 = new TextEncoder();
    return { js: utf8.encode(CURRANT_UI_JS), css: utf8.encode(CURRANT_UI_CSS) };
  }
  const { build } = await import('esbuild');
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
