/**
 * Content hash of a workflow's source text: the identity of a definition version.
 *
 *   programHash('workflow w() {}') // => 'sha256:…' (64 hex digits after the prefix)
 *
 * node:crypto is pure computation here (no I/O); instances point at definitions by this hash.
 * It is loaded on the first hash, not with the module: `currant check` never hashes, and loading
 * node:crypto is ~10 ms of its start-up (bench/startup.ts).
 */
let crypto: typeof import('node:crypto') | undefined;

export function programHash(source: string): string {
  crypto ??= process.getBuiltinModule('node:crypto');
  return 'sha256:' + crypto.createHash('sha256').update(source, 'utf8').digest('hex');
}
