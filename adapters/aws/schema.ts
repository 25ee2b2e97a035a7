/**
 * The DynamoDB table layout shared by the store (`store.ts`), the CDK construct (`cdk/`) and the
 * benchmark: one table, key `id`, global secondary indexes for listing and for wake-ups.
 *
 * Takes nothing, gives plain data (no CDK import, so the Lambda bundle stays small):
 *
 *   for (const gsi of TABLE.indexes) table.addGlobalSecondaryIndex({ indexName: gsi.name, … });
 *
 * Why these indexes, and why their projections are so thin: an index entry is rewritten (and
 * billed) only when one of its keys or projected attributes changes. The per-step save changes
 * `doc`/`docz`, `version`, `updatedAt` and sometimes `status`, none of which (except `status`) an
 * index holds, so a step that does not change the status writes the base item only. Listing reads
 * the ids from an index and then the items themselves (BatchGetItem).
 *
 * `byDue` is sparse: only items with a wake-up in flight (`wakeAt`) are in it, keyed by
 * `dueShard` (a hash of the id, DUE_SHARDS partitions so no one index partition takes every
 * wake-up write) and sorted by `wakeAt`. The reconciler (functions/reconcile.ts) asks each shard
 * for wake-ups due before a cutoff: the instances whose wake-up message was lost. Its entries change
 * only when the wake-up does (not on every step), and a finished instance drops out of it.
 *
 * `byPark` is sparser still: only items whose wake-up is parked (`parkAt` = `<due>#<id>`: due more
 * than 15 minutes ahead when planned, so no SQS message carries it, wake.ts). Same shards, sorted by
 * `parkAt`; the reconciler's sweep reads each shard from its high-water mark (kept on the
 * `SWEEP_STATE_ID` item) to its horizon. An entry leaves the index when its wake-up changes.
 */

/** Attribute names on the items (one place, so the construct and the store cannot drift). */
export const ATTR = {
  id: 'id',
  /** `instance` or `definition`: the partition key of `byCreated`. */
  kind: 'kind',
  version: 'version',
  workflow: 'workflow',
  status: 'status',
  createdAt: 'createdAt',
  updatedAt: 'updatedAt',
  definitionHash: 'definitionHash',
  /** The rest of the instance as JSON text (small instances). */
  doc: 'doc',
  /** The rest of the instance as brotli-compressed JSON bytes (larger instances). */
  docz: 'docz',
  /**
   * Instead of `doc`/`docz`, for a document too large for an item (over INLINE_DOC_MAX): the key of
   * the blob holding it (blobs.ts, `state/…`), plus `sum`, the list summary as JSON.
   */
  docRef: 'docRef',
  sum: 'sum',
  /** The wake-up message in flight (wake.ts): its id and due time. */
  wakeId: 'wakeId',
  wakeAt: 'wakeAt',
  /** Which `byDue` (and `byPark`) partition the instance's wake-up is indexed under (`dueShard(id)`). */
  dueShard: 'dueShard',
  /** Set (`<wakeAt>#<id>`, wake.ts `parkKey`) while the wake-up is parked: no message carries it, the sweep sends it. */
  parkAt: 'parkAt',
  /** On the sweep's state item (`SWEEP_STATE_ID`): the high-water mark of byPark shard N is `m<N>`. */
  sweepMark: 'm',
  // definitions only
  hash: 'hash',
  /** The definition's workflow name (not `workflow`, so definitions stay out of `byWorkflow`). */
  defWorkflow: 'defWorkflow',
  file: 'file',
  source: 'source',
} as const;

/** Prefix of definition items' ids (`def#sha256:…`); instance ids cannot contain `#`. */
export const DEFINITION_PREFIX = 'def#';

/** The sweep's state item: one small item holding each byPark shard's high-water mark. */
export const SWEEP_STATE_ID = 'sweep#byPark';

export interface IndexSpec {
  name: string;
  partitionKey: string;
  sortKey: string;
  /** `KEYS_ONLY`, or `INCLUDE` with `include` (non-key attributes). */
  projection: 'KEYS_ONLY' | 'INCLUDE';
  include?: string[];
}

export const TABLE = {
  partitionKey: ATTR.id,
  /** All key attributes are strings. */
  attributeType: 'S' as const,
  billing: 'PAY_PER_REQUEST' as const,
  indexes: [
    // list?workflow=…[&status=…] — status projected so the status filter runs on the index
    { name: 'byWorkflow', partitionKey: ATTR.workflow, sortKey: ATTR.createdAt, projection: 'INCLUDE', include: [ATTR.status] },
    // list?status=…
    { name: 'byStatus', partitionKey: ATTR.status, sortKey: ATTR.createdAt, projection: 'KEYS_ONLY' },
    // list (no filter): kind = 'instance', newest first
    { name: 'byCreated', partitionKey: ATTR.kind, sortKey: ATTR.createdAt, projection: 'KEYS_ONLY' },
    // the reconciler: wake-ups due before a cutoff, per shard (wakeId projected: it re-sends them as they are)
    { name: 'byDue', partitionKey: ATTR.dueShard, sortKey: ATTR.wakeAt, projection: 'INCLUDE', include: [ATTR.wakeId] },
    // the sweep: parked wake-ups (no message in flight) due before a horizon, per shard
    { name: 'byPark', partitionKey: ATTR.dueShard, sortKey: ATTR.parkAt, projection: 'INCLUDE', include: [ATTR.wakeId] },
  ] satisfies IndexSpec[],
};

/** Partitions of the `byDue` index: the reconciler reads them all, writes spread over them. */
export const DUE_SHARDS = 8;

/** The `byDue` partition of an instance id: FNV-1a of its UTF-16 code units, modulo DUE_SHARDS. */
export function dueShard(id: string): string {
  let h = 0x811c9dc5;
  for (let k = 0; k < id.length; k++) {
    h ^= id.charCodeAt(k);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return String(h % DUE_SHARDS);
}
