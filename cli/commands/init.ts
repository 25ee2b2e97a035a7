/**
 * `currant init [dir] [--name <name>] [--force]`: scaffold a project that uses currant — a workflow,
 * its Node tasks, a test with `currant/testing`, a CDK app with `currant/cdk`, and package.json
 * scripts (`test`, `start`, `check`, `synth`, `deploy`).
 *
 * The files come from `templates/init/` in currant's package (`{{name}}` and `{{stack}}` filled
 * in); package.json is written here, with the versions of the tools currant itself is tested with.
 * Refuses a folder that already has files (exit 2) unless `--force`, which still never overwrites:
 * existing files are kept and listed. Installs nothing: it prints the next commands.
 *
 * Run from a clone of currant's repository (not from an installed package), the project depends
 * on the tarball `npm pack` makes in the clone (`file:<clone>/currant-<version>.tgz`) rather than on
 * a registry version, and the next commands start with that `npm pack`.
 *
 *   $ currant init my-app && cd my-app && npm install && npm test
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { CliError, EXIT, type ExitCode } from '../exit.ts';
import { output } from '../io.ts';
import { packageRoot, packageVersion } from '../package.ts';

export interface InitOptions {
  name?: string;
  force?: boolean;
}

/** The tools a project needs, at the ranges currant's own package.json pins (its devDependencies). */
const DEV_TOOLS = ['@types/node', 'aws-cdk', 'aws-cdk-lib', 'constructs', 'esbuild', 'tsx', 'typescript', 'vitest'] as const;

export async function initCommand(dir: string, opts: InitOptions): Promise<ExitCode> {
  const target = resolve(dir);
  const name = opts.name ?? basename(target);
  if (!/^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/.test(name) || name.length > 214) {
    throw new CliError(EXIT.USAGE, `'${name}' is not a valid npm package name (lowercase letters, digits, - . _ ~): pass --name <name>`);
  }
  if (existsSync(target) && !statSync(target).isDirectory()) throw new CliError(EXIT.USAGE, `'${dir}' exists and is not a folder`);
  const present = existsSync(target) ? readdirSync(target).filter((f) => f !== '.git') : [];
  if (present.length > 0 && !opts.force) {
    throw new CliError(EXIT.USAGE, `'${dir}' is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}): choose a new folder, or pass --force to add the files that are missing`);
  }

  const files = scaffold(name);
  const written: string[] = [];
  const kept: string[] = [];
  for (const [path, text] of Object.entries(files)) {
    const file = join(target, path);
    if (existsSync(file)) {
      kept.push(path);
      continue;
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    written.push(path);
  }

  const out = output(process.stdout);
  const { c } = out;
  const where = relative(process.cwd(), target) || '.';
  out.line(`${c.green('created')} ${name} in ${where}: ${written.length} files`);
  for (const f of written) out.line(`  ${f}`);
  if (kept.length > 0) out.line(`${c.yellow('kept')} (already there, not overwritten): ${kept.join(', ')}`);
  out.line('');
  out.line('next:');
  const clone = fromClone();
  if (clone) out.line(`  (cd ${relative(process.cwd(), clone.root) || '.'} && npm pack)   # run from a clone: the project installs currant from its tarball`);
  if (where !== '.') out.line(`  cd ${where}`);
  out.line('  npm install');
  out.line('  npm test        # the workflow\'s tests, with time skipping');
  out.line('  npm start       # run it here (state in .currant/currant.db)');
  out.line('  npm run synth   # the CDK app: check the workflows, bundle the Lambdas');
  return EXIT.OK;
}

/** Every file of the project by relative path: the templates, filled in, plus package.json and .gitignore. */
export function scaffold(name: string): Record<string, string> {
  const root = join(packageRoot(), 'templates', 'init');
  const stack = name.replace(/^@[^/]+\//, '').replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, __, ch: string) => ch.toUpperCase()).replace(/[^A-Za-z0-9]/g, '');
  const fill = (text: string) => text.replaceAll('{{name}}', name).replaceAll('{{stack}}', /^[A-Za-z]/.test(stack) ? stack : `App${stack}`);
  const files: Record<string, string> = {};
  for (const path of listFiles(root)) files[path] = fill(readFileSync(join(root, path), 'utf8'));
  files['package.json'] = JSON.stringify(packageJson(name), null, 2) + '\n';
  // npm never packs a file named .gitignore, so it is written here rather than kept as a template.
  files['.gitignore'] = ['node_modules/', 'cdk.out/', '.currant/', ''].join('\n');
  return files;
}

function packageJson(name: string): Record<string, unknown> {
  const own = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const range = (tool: string) => own.devDependencies?.[tool] ?? own.dependencies?.[tool] ?? 'latest';
  return {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      test: 'vitest run',
      start: 'currant run workflows/welcome.workflow --tasks tasks/index.ts --input @input.json --id welcome-1',
      check: 'currant check workflows/*.workflow',
      typecheck: 'tsc',
      synth: 'cdk synth',
      deploy: 'cdk deploy',
    },
    dependencies: { currant: fromClone()?.spec ?? `^${packageVersion()}` },
    devDependencies: Object.fromEntries(DEV_TOOLS.map((t) => [t, range(t)])),
  };
}

/**
 * When this CLI runs from a clone of currant's repository (its TypeScript sources are there; an
 * installed package has only `dist/`): the clone and the dependency spec of the tarball
 * `npm pack` writes there. currant is installed from that tarball, not from a registry.
 */
export function fromClone(): { root: string; spec: string } | undefined {
  const root = packageRoot();
  if (!existsSync(join(root, 'cli', 'bin.ts'))) return undefined;
  return { root, spec: `file:${join(root, `currant-${packageVersion()}.tgz`)}` };
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(join(dir, entry.name), rel));
    else out.push(rel);
  }
  return out.sort();
}
