/**
 * `currant init [dir]`: the scaffold's files and package.json, refusing a folder with files in it,
 * `--force` keeping what is there, names npm refuses. The scaffold's own test, typecheck, embedded
 * run and CDK synth run against the packed package in infra-test/package.test.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, ROOT, tempDir } from './helpers.ts';

const tmp = tempDir('currant-init-');
afterAll(tmp.cleanup);
const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('currant init', { timeout: 60_000 }, () => {
  it('scaffolds a workflow, tasks, a test, a CDK app and package.json scripts, and says what to run next', async () => {
    const r = await cli(['init', 'my-app'], { cwd: tmp.dir });
    expect(r.code, r.stderr).toBe(0);
    const dir = join(tmp.dir, 'my-app');
    for (const f of ['workflows/welcome.workflow', 'tasks/index.ts', 'test/welcome.test.ts', 'cdk/app.ts', 'cdk.json', 'tsconfig.json', 'input.json', 'README.md', '.gitignore', 'package.json']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
      expect(r.stdout).toContain(f);
    }
    expect(r.stdout).toContain('cd my-app');
    expect(r.stdout).toContain('npm install');

    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    // Run from this clone (currant is not on a registry): the dependency is the tarball `npm pack`
    // writes in the clone, and the next commands start with that npm pack. (The installed package's
    // CLI writes `^<version>`: infra-test/package.test.ts runs init from the packed CLI.)
    const root = join(import.meta.dirname, '..', '..');
    expect(pkg).toMatchObject({ name: 'my-app', private: true, type: 'module', dependencies: { currant: `file:${join(root, `currant-${own.version}.tgz`)}` } });
    expect(r.stdout).toMatch(/\(cd .* && npm pack\)/);
    expect(Object.keys(pkg.scripts).sort()).toEqual(['check', 'deploy', 'start', 'synth', 'test', 'typecheck']);
    expect(pkg.scripts.start).toBe('currant run workflows/welcome.workflow --tasks tasks/index.ts --input @input.json --id welcome-1');
    // The tools at the ranges currant itself is tested with.
    for (const tool of ['aws-cdk', 'aws-cdk-lib', 'constructs', 'esbuild', 'typescript', 'vitest']) expect(pkg.devDependencies[tool], tool).toBe(own.devDependencies[tool]);
    expect(pkg.devDependencies.tsx).toBe(own.dependencies.tsx);

    // Placeholders filled: the stack is named after the project.
    const app = readFileSync(join(dir, 'cdk/app.ts'), 'utf8');
    expect(app).toContain("new Stack(app, 'MyApp')");
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/^# my-app\n/);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toContain('.currant/');

    // The scaffold's workflow checks, and its input fits it.
    const check = await cli(['check', join(dir, 'workflows/welcome.workflow')]);
    expect(check.code, check.stdout).toBe(0);
  });

  it('refuses a folder that has files, changing nothing; --force adds the missing files and keeps the others', async () => {
    const dir = join(tmp.dir, 'existing');
    mkdirSync(join(dir, 'workflows'), { recursive: true });
    writeFileSync(join(dir, 'workflows', 'welcome.workflow'), 'mine');
    const refused = await cli(['init', dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("is not empty (workflows): choose a new folder, or pass --force");
    expect(existsSync(join(dir, 'package.json'))).toBe(false);

    const forced = await cli(['init', dir, '--force', '--name', 'forced']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(dir, 'workflows', 'welcome.workflow'), 'utf8')).toBe('mine');
    expect(forced.stdout).toContain('kept (already there, not overwritten): workflows/welcome.workflow');
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name).toBe('forced');
  });

  it('initialises the current folder by default, named after it', async () => {
    const dir = join(tmp.dir, 'here');
    mkdirSync(dir);
    const r = await cli(['init'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name).toBe('here');
    expect(r.stdout).not.toMatch(/^  cd /m); // no cd into the project (the clone's npm pack line is a subshell)
  });

  it("README.md's testing example is the scaffold's own test (which infra-test/package.test.ts runs)", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /### Testing workflows\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);
    const template = lines(readFileSync(join(ROOT, 'templates/init/test/welcome.test.ts'), 'utf8'));
    // Every line of the README's block, in order, in the template (which has more tests).
    let at = 0;
    for (const line of lines(block!)) {
      const found = template.indexOf(line, at);
      expect(found, `README line not in the scaffold's test (in order): ${line}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  });

  it('refuses a name npm would refuse (exit 2), before writing anything', async () => {
    const r = await cli(['init', join(tmp.dir, 'Bad Name')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'Bad Name' is not a valid npm package name");
    expect(existsSync(join(tmp.dir, 'Bad Name'))).toBe(false);
  });
});
