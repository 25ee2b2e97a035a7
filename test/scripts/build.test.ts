/**
 * The build's entry points and the package's `exports` / `bin` / `files` agree, so the packed
 * package has every file its manifest names. (The build itself, packed and installed, is tested
 * end to end by infra-test/package.test.ts.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENTRIES, LAMBDAS, ROOT, runtimePackages } from '../../scripts/build.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('the package manifest and the build', () => {
  it('exports each entry point: its bundle and its declarations', () => {
    const subpath = { index: '.', cdk: './cdk', tasks: './tasks', testing: './testing' } as Record<string, string>;
    for (const [name, source] of Object.entries(ENTRIES)) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      if (name === 'cli') continue;
      expect(pkg.exports[subpath[name]!], name).toEqual({ types: `./dist/types/${source.replace(/\.ts$/, '.d.ts')}`, default: `./dist/${name}.js` });
    }
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './cdk', './package.json', './tasks', './testing']);
    expect(pkg.types).toBe(pkg.exports['.'].types);
    expect(JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')).files.sort()).toEqual(
      Object.entries(ENTRIES).filter(([n]) => n !== 'cli').map(([, s]) => s).sort(),
    );
  });

  it('ships the bin, the built files, the init templates and the Python task SDK', () => {
    expect(pkg.bin).toEqual({ currant: 'bin/currant.mjs' });
    for (const f of ['dist', 'bin', 'templates', 'python/currant_tasks']) expect(pkg.files, f).toContain(f);
    for (const name of Object.keys(LAMBDAS)) expect(existsSync(join(ROOT, LAMBDAS[name as keyof typeof LAMBDAS])), name).toBe(true);
    expect(pkg.private).toBeUndefined();
  });

  it('imports at run time exactly what the package depends on (the rest is bundled)', () => {
    expect(runtimePackages().sort()).toEqual([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)].sort());
    // Native or loader packages cannot be bundled; the CDK app must share one aws-cdk-lib.
    for (const p of ['better-sqlite3', 'tsx']) expect(pkg.dependencies[p], p).toBeDefined();
    for (const p of ['aws-cdk-lib', 'constructs']) expect(pkg.peerDependencies[p], p).toBeDefined();
    // Optional peers: only `currant ui --api` signs requests, and it says to install these when missing.
    for (const p of ['@smithy/signature-v4', '@aws-sdk/credential-provider-node']) expect(pkg.peerDependenciesMeta[p], p).toEqual({ optional: true });
    // The task SDK (currant/tasks) is bundled again by the user's task Lambda from their
    // node_modules: every package it imports at run time must be a dependency, so it is installed.
    const sdk = readFileSync(join(ROOT, 'sdk/node/index.ts'), 'utf8');
    const imported = [...sdk.matchAll(/^import (?!type )[^;]*? from '([^'.][^']*)';$/gm)].map((m) => m[1]!).filter((m) => !m.startsWith('node:'));
    expect(imported.length).toBeGreaterThan(0);
    for (const m of imported) {
      const name = m.startsWith('@') ? m.split('/').slice(0, 2).join('/') : m.split('/')[0]!;
      expect(pkg.dependencies[name], `sdk/node/index.ts imports ${m}`).toBeDefined();
    }
    // Pure JavaScript the CLI needs at start-up is bundled (one file parses faster than forty).
    for (const p of ['ohm-js', 'commander', 'picocolors']) expect(pkg.devDependencies[p], p).toBeDefined();
  });

  it('builds on npm install (prepare), so a clone has dist/ for CURRANT_CLI=dist and npm pack', () => {
    expect(pkg.scripts.prepare).toBe('tsx scripts/build.ts');
    expect(pkg.scripts.build).toBe('tsx scripts/build.ts');
  });
});
