/**
 * Content hash of a workflow's source text: the identity of a definition version.
 *
 *   programHash('workflow w() {}') // => 'sha256:…' (64 hex digits after the prefix)
 *
 * node:crypto is pure computation here (no I/O); instances point at definitions by this hash.
 */
import { createHash } from 'node:crypto';

export function programHash(source: string): string {
  return 'sha256:' + createHash('sha256').update(source, 'utf8').digest('hex');
}
