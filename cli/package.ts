/**
 * currant's own package: where it is installed and its version.
 *
 * Takes nothing, gives `packageRoot()` (the folder holding currant's `package.json`: the clone, or
 * `node_modules/currant`) and `packageVersion()`. It walks up from this module's location, which is
 * `cli/` from source and `dist/` (or a chunk in it) in the built package, so both layouts work.
 *
 *   packageVersion() // '0.1.0'
 *   join(packageRoot(), 'templates', 'init')
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let found: { root: string; version: string } | undefined;

function find(): { root: string; version: string } {
  if (found) return found;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'currant') return (found = { root: dir, version: pkg.version ?? '0.0.0' });
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`currant: cannot find its own package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function packageRoot(): string {
  return find().root;
}

export function packageVersion(): string {
  return find().version;
}
