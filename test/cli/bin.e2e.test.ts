/**
 * The `currant` bin itself (`node bin/currant.mjs`), which the in-process tests (`cli`) skip: its
 * tsx loaders for task modules, and that its exit code and output are main()'s.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { currant, fixture, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);
let n = 0;
const freshDb = () => join(tmp.dir, `bin-${++n}.db`);

// Each call starts node + tsx (about a second, more when test files run in parallel).
describe('bin/currant.mjs', { timeout: 90_000 }, () => {
  it('--version, and a check error is exit 1 with the diagnostics', async () => {
    const v = await currant(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const bad = await currant(['check', fixture('broken.workflow')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('error CT005');
  });

  it('loads a TypeScript tasks module outside any package (CommonJS scope) and a CommonJS one', async () => {
    const dir = join(tmp.dir, 'loose');
    mkdirSync(dir);
    writeFileSync(join(dir, 'tasks.ts'), "export async function greet(name: string): Promise<string> { return `ts ${name} ` }\n");
    writeFileSync(join(dir, 'tasks.cjs'), "exports.greet = async (name) => `cjs ${name} `\n");
    for (const [file, expected] of [['tasks.ts', 'ts x '], ['tasks.cjs', 'cjs x ']]) {
      const r = await currant(['run', fixture('greet.workflow'), '--tasks', join(dir, file!), '--input', '{"name":"x","times":1}', '--db', freshDb(), '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).result).toBe(expected);
    }
  });

});
