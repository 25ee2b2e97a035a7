/**
 * The language server as a process over stdio, as editors run it: from the source (`tsx
 * lsp/main.ts --stdio`), and from the packaged extension — `editors/vscode/scripts/build.mjs
 * --package` makes the .vsix with vsce (offline), the test unpacks it into a directory outside the
 * repository and runs `extension/dist/server.js` with plain Node, so the bundle must hold everything
 * it needs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { positionOf, spawnedServer } from './client.ts';

const ROOT = join(import.meta.dirname, '../..');
const URI = 'file:///tmp/order.workflow';
const TEXT = `task chargeCard(orderId: string, amount: number): { ok: boolean, id: string }
workflow pay(orderId: string): string {
  const r = await chargeCrad(orderId, 5)
  return r.id
}
`;

/** Every file of a zip, by path. */
function unzip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const files = new Map<string, Buffer>();
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            files.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(files));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** A whole session: initialize, open, diagnostics, hover, definition, completion, shutdown, exit. */
async function session(command: string, args: string[], cwd: string): Promise<void> {
  const s = spawnedServer(command, args, cwd);
  try {
    const init = await s.client.initialize({ debounceMs: 20 });
    expect(init.capabilities.hoverProvider).toBe(true);
    s.client.open(URI, TEXT);
    const d = await s.client.diagnostics(URI);
    expect(d.diagnostics.map((x) => `${x.code} ${x.range.start.line + 1}:${x.range.start.character + 1}`)).toEqual(['CT005 3:19']);
    const fixed = TEXT.replace('chargeCrad', 'chargeCard');
    s.client.change(URI, 2, [{ text: fixed }]);
    expect((await s.client.diagnostics(URI, 2)).diagnostics).toEqual([]);
    const h = await s.client.hover(URI, positionOf(fixed, 'r.id', 0));
    expect((h?.contents as { value: string }).value).toContain('const r: { ok: boolean, id: string }');
    const def = await s.client.definition(URI, positionOf(fixed, 'chargeCard(orderId, 5)', 3));
    expect(def?.range.start).toEqual({ line: 0, character: 5 });
    const typing = fixed.replace('  return r.id', '  const x = r.\n  return r.id');
    s.client.change(URI, 3, [{ text: typing }]);
    const items = await s.client.completion(URI, positionOf(typing, 'r.\n', 2));
    expect(items.map((i) => i.label)).toEqual(['id', 'ok']);
    await s.client.shutdown();
    s.client.exit();
    expect(await s.exited).toBe(0);
    // stdout carried only the protocol: anything else would have broken the framing above.
    expect(s.stderr()).toBe('');
  } finally {
    s.child.kill();
  }
}

describe('the language server over stdio', () => {
  it('from the source, with tsx', async () => {
    await session(process.execPath, ['--import', 'tsx', join(ROOT, 'lsp/main.ts'), '--stdio'], ROOT);
  });

  it('ends when the client goes away without a shutdown (stdin closed)', async () => {
    const s = spawnedServer(process.execPath, ['--import', 'tsx', join(ROOT, 'lsp/main.ts'), '--stdio'], ROOT);
    await s.client.initialize();
    s.child.stdin!.end();
    expect(await s.exited).toBe(1);
  });
});

describe('the packaged extension (.vsix)', () => {
  let dir: string;
  let files: Map<string, Buffer>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'currant-vsix-'));
    const vsix = join(dir, 'currant.vsix');
    execFileSync(process.execPath, [join(ROOT, 'editors/vscode/scripts/build.mjs'), '--package', '--out', vsix], { cwd: ROOT, stdio: 'pipe' });
    files = await unzip(vsix);
    for (const [name, data] of files) {
      mkdirSync(dirname(join(dir, 'unpacked', name)), { recursive: true });
      writeFileSync(join(dir, 'unpacked', name), data);
    }
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the bundles, the grammar files and the manifest, and nothing else of the repository', () => {
    const names = [...files.keys()].filter((n) => n.startsWith('extension/')).sort();
    expect(names).toEqual([
      'extension/dist/extension.js',
      'extension/dist/grammar/currant.ohm',
      'extension/dist/server.js',
      'extension/language-configuration.json',
      'extension/package.json',
      'extension/readme.md',
      'extension/syntaxes/workflow.tmLanguage.json',
    ]);
    const manifest = JSON.parse(files.get('extension/package.json')!.toString());
    expect(manifest.contributes.languages[0]).toMatchObject({ id: 'currant', extensions: ['.workflow'] });
    expect(manifest.main).toBe('./dist/extension.js');
    expect(readFileSync(join(dir, 'unpacked/extension/dist/grammar/currant.ohm'), 'utf8')).toBe(readFileSync(join(ROOT, 'dsl/parser/grammar/currant.ohm'), 'utf8'));
  });

  it('runs its server with plain Node, away from the repository', async () => {
    await session(process.execPath, [join(dir, 'unpacked/extension/dist/server.js'), '--stdio'], dir);
  });

  it('loads its client with a stand-in for the vscode module (every other import is bundled)', () => {
    const probe = join(dir, 'probe.cjs');
    writeFileSync(
      probe,
      `const Module = require('module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'vscode') return new Proxy({}, { get: () => function () {} });
  return load.call(this, request, ...rest);
};
const ext = require(${JSON.stringify(join(dir, 'unpacked/extension/dist/extension.js'))});
console.log(typeof ext.activate, typeof ext.deactivate);`,
    );
    expect(execFileSync(process.execPath, [probe], { cwd: dir }).toString().trim()).toBe('function function');
  });
});
