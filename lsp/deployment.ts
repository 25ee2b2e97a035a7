/**
 * The deployment of a document for the language server: the `.workflow` files in its folder (the
 * rule `currant check` and `currant run` follow, cli/deployment.ts), parsed into the signatures
 * child workflow starts are checked against (CT070, CT071). Cached per folder and recomputed only
 * when a file's name, size or modification time changed, so a keystroke costs a `readdir` and a
 * `stat` per file, not a parse of every sibling.
 *
 *   deploymentFor('file:///work/orders/order.workflow')   // Map { 'charge' => { params, ret }, … } | undefined
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deploymentOf, MAX_SOURCE_LENGTH, type Deployment } from '../dsl/index.ts';

/** Most sibling files read (a folder of thousands is no deployment; then nothing is checked). */
const MAX_FILES = 200;

const cache = new Map<string, { stamp: string; deployment: Deployment }>();

/** The deployment of the document at `uri`, or undefined (not a file, unreadable folder, too many files). */
export function deploymentFor(uri: string): Deployment | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    const dir = dirname(fileURLToPath(uri));
    const names = readdirSync(dir).filter((f) => f.endsWith('.workflow')).sort();
    if (names.length === 0 || names.length > MAX_FILES) return undefined;
    const stats = names.map((n) => ({ n, s: statSync(join(dir, n)) })).filter((x) => x.s.isFile() && x.s.size <= MAX_SOURCE_LENGTH);
    const stamp = stats.map((x) => `${x.n}:${x.s.size}:${x.s.mtimeMs}`).join('|');
    const hit = cache.get(dir);
    if (hit && hit.stamp === stamp) return hit.deployment;
    const deployment = deploymentOf(stats.map((x) => ({ file: x.n, source: readFileSync(join(dir, x.n), 'utf8') })));
    if (cache.size > 50) cache.delete(cache.keys().next().value as string);
    cache.set(dir, { stamp, deployment });
    return deployment;
  } catch {
    return undefined;
  }
}
