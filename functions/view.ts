/**
 * The JSON the API gives for an instance: the runtime's one instance view (also the CLI's), so the
 * two cannot drift, fitted to what a Lambda response can carry.
 *
 *   apiView(i) // => { id, workflow, status, at: { line, col }, pending: { tasks, timers, signals }, steps, … }
 *
 * A Lambda proxy response stops at 6 MB. A view whose JSON would pass MAX_VIEW_BYTES (5 MiB) has its
 * largest values — `result`, `input`, `variables`, in that order, each only if over 64 KiB — set to
 * null and named in `omitted` with their size, until it fits:
 *
 *   { …, "result": null, "omitted": { "result": 7340032 } }
 */
import { instanceView, type Instance, type InstanceView } from '../runtime/index.ts';

export { instanceView, pendingOf, type InstanceView, type PendingView } from '../runtime/index.ts';

/** Largest view JSON the API answers with (a Lambda proxy response stops at 6 MB). */
export const MAX_VIEW_BYTES = 5 * 1024 * 1024;
/** Values this small are never left out. */
const KEEP_BELOW = 64 * 1024;

export type ApiView = InstanceView & { omitted?: Partial<Record<'result' | 'input' | 'variables', number>> };

export function apiView(i: Instance): ApiView {
  const v: ApiView = instanceView(i);
  let total = Buffer.byteLength(JSON.stringify(v), 'utf8');
  if (total <= MAX_VIEW_BYTES) return v;
  for (const field of ['result', 'input', 'variables'] as const) {
    const value = v[field];
    if (value === undefined || value === null) continue;
    const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
    if (bytes < KEEP_BELOW) continue;
    (v as unknown as Record<string, unknown>)[field] = null;
    v.omitted = { ...v.omitted, [field]: bytes };
    total -= bytes;
    if (total <= MAX_VIEW_BYTES) break;
  }
  return v;
}
