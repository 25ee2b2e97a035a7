/**
 * `DynamoStore`: the runtime's `Store` port on one DynamoDB table (layout: `schema.ts`, README.md).
 *
 * Takes a DynamoDB client (created once per module by the caller) and the table name; gives the
 * six port operations. Every instance write is conditional: `create` only if the id is new,
 * `save` only if the stored version is the one the caller loaded.
 *
 *   const store = new DynamoStore(new DynamoDBClient({}), 'currant');
 *   const i = await store.load('o1');               // strongly consistent
 *   await store.save({ ...next, version: i.version + 1 }, i.version); // or VersionConflictError
 *
 * Reads of instances are strongly consistent on purpose: an eventually consistent read could show
 * a version from before a task was sent, and the runtime would then take that task's result for a
 * duplicate and drop it.
 *
 * A document too large for an item (over INLINE_DOC_MAX bytes once compressed: DynamoDB items stop
 * at 400 KB) is stored aside in the blob store (blobs.ts, `state/<id>/<version>-<random>.json.br`),
 * and the item holds its key (`docRef`) and the list summary (`sum`). The conditional write on the
 * item stays the one commit point: a blob is written first under a fresh key, the item then points
 * at it or (conflict) the blob is deleted; the blob the item pointed at before is deleted after a
 * successful save. A reader that finds its blob gone (replaced meanwhile) reads the item again.
 */
import {
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  InputError,
  InstanceConflictError,
  isFinal,
  VersionConflictError,
  summarize,
  type Definition,
  type Instance,
  type InstanceSummary,
  type ListFilter,
  type Store,
} from '../../runtime/index.ts';
import {
  decodeCursor,
  decodeDefinition,
  decodeInstance,
  definitionKey,
  encodeCursor,
  encodeDefinition,
  encodeDoc,
  encodeInstance,
  instanceDoc,
  itemSize,
  type Item,
} from './item.ts';
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { ATTR, DUE_SHARDS, dueShard, SWEEP_STATE_ID } from './schema.ts';
import { blobKeys, type BlobStore } from './blobs.ts';
import { newWakeId, parkKey, planWake, wakePlans, type AwsInstance, type ParkedWake, type Wake, type WakeStore } from './wake.ts';

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 100;
/** A filtered listing reads at most this many index pages to fill one page of results. */
const MAX_QUERY_PAGES = 5;

/** Largest document kept in the item itself (bytes of `doc`/`docz`); DynamoDB's item limit is 400 KB. */
export const INLINE_DOC_MAX = 350_000;
/** Largest stored-aside document read back (compressed bytes): far above any state the runtime accepts. */
const MAX_DOC_BLOB = 512 * 1024 * 1024;
/** A list summary's result is kept in `sum` only up to this many bytes of JSON. */
const SUMMARY_RESULT_MAX = 16 * 1024;

export interface DynamoStoreOptions {
  /** Told the billed size of every item written (benchmark and metrics). */
  onWrite?: (op: 'create' | 'save' | 'putDefinition' | 'setWake' | 'park' | 'claimSweep', bytes: number) => void;
  /** Ids for new wake-ups (default `newWakeId`). */
  newId?: () => string;
  /** The clock that decides whether a new wake-up is sent or parked (default Date.now). */
  nowMs?: () => number;
  /** Where documents too large for an item go; without it such a write throws `ItemTooLargeError`. */
  blobs?: BlobStore;
}

/** A document over INLINE_DOC_MAX with no blob store to put it in. */
export class ItemTooLargeError extends Error {
  constructor(
    readonly instanceId: string,
    readonly bytes: number,
  ) {
    super(`instance ${instanceId}: its document takes ${bytes} bytes, over the ${INLINE_DOC_MAX} a DynamoDB item can hold, and no blob store is configured`);
    this.name = 'ItemTooLargeError';
  }
}

export class DynamoStore implements Store, WakeStore {
  /** Hashes known to be stored: definitions are immutable, so one write per hash per process. */
  private readonly knownDefinitions = new Set<string>();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly options: DynamoStoreOptions = {},
  ) {}

  async putDefinition(def: Definition): Promise<void> {
    if (this.knownDefinitions.has(def.hash)) return;
    const item = encodeDefinition(def);
    // Content-addressed: if the hash is there, so is this exact text; keep the first write.
    if (await this.putIfAbsent(item)) this.options.onWrite?.('putDefinition', itemSize(item));
    this.knownDefinitions.add(def.hash);
  }

  async getDefinition(hash: string): Promise<Definition | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { [ATTR.id]: { S: definitionKey(hash) } }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    this.knownDefinitions.add(hash);
    return decodeDefinition(out.Item);
  }

  /** Creates the item (and plans the instance's first wake-up, see wake.ts). */
  async create(instance: AwsInstance): Promise<void> {
    const plan = this.plan(undefined, instance);
    const item = encodeInstance(plan.wake ? { ...instance, wake: plan.wake } : instance);
    const placed = await this.placeDoc(instance, item);
    delete item[ATTR.doc];
    delete item[ATTR.docz];
    Object.assign(item, placed.attrs);
    if (!(await this.putIfAbsent(item))) {
      if (placed.key) await this.dropBlob(placed.key);
      throw new InstanceConflictError(instance.id);
    }
    if (plan.wake) instance.wake = plan.wake;
    if (placed.key) instance.docRef = placed.key;
    wakePlans.set(instance, { send: plan.send });
    this.options.onWrite?.('create', itemSize(item));
  }

  /**
   * Where an item's document goes: in the item (`doc`/`docz`, what `item` already holds) when it
   * fits, else into a new blob whose key the item keeps (`docRef`, with the list summary `sum`).
   */
  private async placeDoc(instance: AwsInstance, item: Item): Promise<{ attrs: Item; key?: string }> {
    const z = item[ATTR.docz]?.B;
    const text = item[ATTR.doc]?.S;
    const bytes = z !== undefined ? z.length : Buffer.byteLength(text ?? '', 'utf8');
    const inline: Item = z !== undefined ? { [ATTR.docz]: item[ATTR.docz]! } : { [ATTR.doc]: item[ATTR.doc]! };
    if (bytes <= INLINE_DOC_MAX) return { attrs: inline };
    if (!this.options.blobs) throw new ItemTooLargeError(instance.id, bytes);
    // Compressed even when brotli did not win for the item: one format for every stored-aside document.
    const body = z ?? brotliCompressSync(text!, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: bytes } });
    const key = blobKeys.state(instance.id, instance.version, randomBytes(6).toString('base64url'));
    await this.options.blobs.put(key, body, 'application/x-brotli');
    return { attrs: { [ATTR.docRef]: { S: key }, [ATTR.sum]: { S: JSON.stringify(listSummary(instance)) } }, key };
  }

  /** Best effort: an orphaned blob costs storage, never correctness. */
  private async dropBlob(key: string): Promise<void> {
    try {
      await this.options.blobs?.delete(key);
    } catch {
      /* left behind: see docs/operations.md */
    }
  }

  /** Writes `item` unless an item with its key exists; false when one did (nothing written). */
  private async putIfAbsent(item: Record<string, AttributeValue>): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': ATTR.id },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  async load(id: string): Promise<AwsInstance | undefined> {
    for (let attempt = 1; ; attempt++) {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: { [ATTR.id]: { S: id } }, ConsistentRead: true }),
      );
      if (!out.Item || out.Item[ATTR.kind]?.S !== 'instance') return undefined;
      const ref = out.Item[ATTR.docRef]?.S;
      if (ref === undefined) return decodeInstance(out.Item);
      if (!this.options.blobs) throw new Error(`instance ${id} has its document stored aside (${ref}) and no blob store is configured`);
      const blob = await this.options.blobs.get(ref, MAX_DOC_BLOB);
      if ('body' in blob) return decodeInstance(out.Item, brotliDecompressSync(blob.body).toString('utf8'));
      // Replaced (and deleted) by a save since the item was read: read the item again.
      if ('missing' in blob && attempt < 5) continue;
      throw new Error(`instance ${id}: its stored document ${ref} is ${'missing' in blob ? 'missing' : `${blob.tooLarge} bytes`}`);
    }
  }

  /**
   * Writes `instance` only if the stored version is still `expectedVersion`.
   *
   * Timeline this guards against (two deliveries of events for one instance, e.g. fan-in):
   *
   *   step A                          step B
   *   load  → version 7               load  → version 7
   *   apply result 1 → version 8      apply result 2 → version 8'
   *   save if version = 7  ✓ (now 8)
   *                                   save if version = 7  ✗ ConditionalCheckFailedException
   *                                   → VersionConflictError → the driver reloads version 8 and
   *                                     re-applies result 2 on top of it (or, if it was the same
   *                                     event delivered twice, finds a duplicate and only resends)
   *
   * Without the condition B's write would silently erase A's transition (result 1 lost forever).
   * UpdateItem rather than PutItem: only the attributes that change are named, so the indexes
   * (which project none of them but `status`) are not rewritten on every step.
   *
   * The same write records a new wake-up when the instance now has a timer earlier than the one in
   * flight (wake.ts); the dispatcher, handed this same object next, sends it.
   */
  async save(instance: AwsInstance, expectedVersion: number): Promise<void> {
    const { id, version, status, updatedAt } = instance;
    const plan = this.plan(instance.wake, instance);
    const previous = instance.docRef;
    const placed = await this.placeDoc(instance, encodeDoc(instanceDoc(instance)));
    const names: Record<string, string> = {
      '#version': ATTR.version,
      '#status': ATTR.status,
      '#updatedAt': ATTR.updatedAt,
    };
    const values: Record<string, AttributeValue> = {
      ':next': { N: String(version) },
      ':expected': { N: String(expectedVersion) },
      ':status': { S: status },
      ':updatedAt': { S: updatedAt },
    };
    const sets = ['#version = :next', '#status = :status', '#updatedAt = :updatedAt'];
    const removes: string[] = [];
    // The document attributes: the ones written are set, the others removed (exactly one form stays).
    for (const [k, attr] of [ATTR.doc, ATTR.docz, ATTR.docRef, ATTR.sum].entries()) {
      names[`#d${k}`] = attr;
      if (placed.attrs[attr]) {
        values[`:d${k}`] = placed.attrs[attr]!;
        sets.push(`#d${k} = :d${k}`);
      } else removes.push(`#d${k}`);
    }
    const final = isFinal(status);
    if (final) {
      // A finished instance needs no wake-up: its item leaves the byDue and byPark indexes.
      removes.push('#wakeId', '#wakeAt', '#parkAt');
      Object.assign(names, { '#wakeId': ATTR.wakeId, '#wakeAt': ATTR.wakeAt, '#parkAt': ATTR.parkAt });
    } else if (plan.changed && plan.wake) {
      sets.push('#wakeId = :wakeId', '#wakeAt = :wakeAt', '#dueShard = :dueShard');
      Object.assign(names, { '#wakeId': ATTR.wakeId, '#wakeAt': ATTR.wakeAt, '#dueShard': ATTR.dueShard, '#parkAt': ATTR.parkAt });
      Object.assign(values, { ':wakeId': { S: plan.wake.id }, ':wakeAt': { S: plan.wake.at }, ':dueShard': { S: dueShard(id) } });
      // Parked (due beyond SQS's 15-minute delay): in the byPark index, no message. Sent: out of it.
      if (plan.wake.parked) {
        sets.push('#parkAt = :parkAt');
        values[':parkAt'] = { S: parkKey(id, plan.wake.at) };
      } else removes.push('#parkAt');
    }
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { [ATTR.id]: { S: id } },
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (e) {
      if (placed.key) await this.dropBlob(placed.key);
      // Also raised when the item does not exist: nobody can save what was never created.
      if (isConditionFailed(e)) throw new VersionConflictError(id, expectedVersion);
      throw e;
    }
    if (previous !== undefined && previous !== placed.key) await this.dropBlob(previous);
    if (placed.key) instance.docRef = placed.key;
    else delete instance.docRef;
    if (final) delete instance.wake;
    else if (plan.changed) instance.wake = plan.wake;
    wakePlans.set(instance, { send: !final && plan.send });
    this.options.onWrite?.('save', writtenSize(instance, placed.attrs));
  }

  /** The wake-up plan for a write of `instance` (wake.ts `planWake`), on this store's clock. */
  private plan(current: Wake | undefined, instance: AwsInstance) {
    return planWake(current, instance.timers, this.options.newId ?? newWakeId, (this.options.nowMs ?? Date.now)());
  }

  /**
   * Replaces the wake-up in flight (or removes it) and bumps the version, only if the version is
   * still `expectedVersion`. Why bump: a transition that loaded the old wake-up and planned around
   * it must fail its conditional save and plan again, or a timer it added could wait for a wake-up
   * that no longer exists.
   */
  async setWake(instance: AwsInstance, expectedVersion: number, wake: Wake | undefined): Promise<void> {
    const names: Record<string, string> = { '#version': ATTR.version, '#wakeId': ATTR.wakeId, '#wakeAt': ATTR.wakeAt, '#parkAt': ATTR.parkAt };
    const values: Record<string, AttributeValue> = { ':next': { N: String(expectedVersion + 1) }, ':expected': { N: String(expectedVersion) } };
    let update = 'SET #version = :next REMOVE #wakeId, #wakeAt, #parkAt';
    if (wake) {
      update = `SET #version = :next, #wakeId = :wakeId, #wakeAt = :wakeAt, #dueShard = :dueShard${wake.parked ? ', #parkAt = :parkAt' : ' REMOVE #parkAt'}`;
      Object.assign(names, { '#dueShard': ATTR.dueShard });
      Object.assign(values, { ':wakeId': { S: wake.id }, ':wakeAt': { S: wake.at }, ':dueShard': { S: dueShard(instance.id) } });
      if (wake.parked) values[':parkAt'] = { S: parkKey(instance.id, wake.at) };
    }
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { [ATTR.id]: { S: instance.id } },
          UpdateExpression: update,
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (e) {
      if (isConditionFailed(e)) throw new VersionConflictError(instance.id, expectedVersion);
      throw e;
    }
    this.options.onWrite?.('setWake', itemSize(encodeInstance({ ...instance, wake })));
  }

  /**
   * Wake-ups due before `beforeIso` (the reconciler's question), read from the sparse `byDue` index:
   * one query per shard, each earliest first, `limit` in all. Eventually consistent like any index
   * read — a wake-up re-armed a moment ago may still show its old time; re-sending it is harmless
   * (a wake-up whose id is no longer the stored one is dropped on arrival).
   */
  async overdueWakes(beforeIso: string, limit: number): Promise<{ instanceId: string; wake: Wake }[]> {
    const out: { instanceId: string; wake: Wake }[] = [];
    for (let shard = 0; shard < DUE_SHARDS && out.length < limit; shard++) {
      let start: Item | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: 'byDue',
            KeyConditionExpression: '#shard = :shard AND #at < :before',
            ExpressionAttributeNames: { '#shard': ATTR.dueShard, '#at': ATTR.wakeAt },
            ExpressionAttributeValues: { ':shard': { S: String(shard) }, ':before': { S: beforeIso } },
            Limit: limit - out.length,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const it of page.Items ?? []) {
          const instanceId = it[ATTR.id]?.S;
          const id = it[ATTR.wakeId]?.S;
          const at = it[ATTR.wakeAt]?.S;
          if (instanceId && id && at) out.push({ instanceId, wake: { id, at } });
        }
        start = page.LastEvaluatedKey;
      } while (start && out.length < limit);
    }
    return out;
  }

  /**
   * One page of a `byPark` shard (the sweep's question): keys after `after`, due before `beforeIso`,
   * in key order. Eventually consistent like any index read; that is safe here because a wake-up is
   * parked only when due more than 15 minutes ahead, while a sweep reads (and moves its mark) at most
   * 14 minutes ahead: an entry is long in the index before any sweep reaches its key.
   */
  async parkedWakes(shard: number, after: string | undefined, beforeIso: string, limit: number): Promise<ParkedWake[]> {
    // BETWEEN is inclusive: a space sorts below every character an id or an ISO time can hold, so
    // `after + " "` is above `after` and below every key after it (wake.ts parkKey).
    const lo = after === undefined ? '0' : `${after} `;
    if (lo > beforeIso) return [];
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'byPark',
        KeyConditionExpression: '#shard = :shard AND #key BETWEEN :lo AND :hi',
        ExpressionAttributeNames: { '#shard': ATTR.dueShard, '#key': ATTR.parkAt },
        ExpressionAttributeValues: { ':shard': { S: String(shard) }, ':lo': { S: lo }, ':hi': { S: beforeIso } },
        Limit: limit,
      }),
    );
    const out: ParkedWake[] = [];
    for (const it of page.Items ?? []) {
      const instanceId = it[ATTR.id]?.S;
      const id = it[ATTR.wakeId]?.S;
      const key = it[ATTR.parkAt]?.S;
      const at = key?.slice(0, key.indexOf('#'));
      if (instanceId && id && key && at) out.push({ instanceId, wake: { id, at, parked: true }, key });
    }
    return out;
  }

  /** Each byPark shard's high-water mark, from the sweep's state item (strongly consistent). */
  async sweepMarks(): Promise<(string | undefined)[]> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { [ATTR.id]: { S: SWEEP_STATE_ID } }, ConsistentRead: true }));
    return Array.from({ length: DUE_SHARDS }, (_, k) => out.Item?.[`${ATTR.sweepMark}${k}`]?.S);
  }

  /**
   * Claims a page for the sweep: moves shard `shard`'s mark from `from` to `to`, only if it is still
   * `from`. One small item, so a claim costs one write unit however many wake-ups the page holds.
   *
   *   sweep A                              sweep B (an overlapping run)
   *   read shard 3 after m3 → page P       read shard 3 after m3 → page P
   *   claim m3: from → last key of P  ✓    claim m3: from → last key of P  ✗ → sends nothing
   *   send P
   */
  async claimSweep(shard: number, from: string | undefined, to: string): Promise<boolean> {
    const mark = `${ATTR.sweepMark}${shard}`;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { [ATTR.id]: { S: SWEEP_STATE_ID } },
          UpdateExpression: 'SET #m = :to',
          ConditionExpression: from === undefined ? 'attribute_not_exists(#m)' : '#m = :from',
          ExpressionAttributeNames: { '#m': mark },
          ExpressionAttributeValues: { ':to': { S: to }, ...(from === undefined ? {} : { ':from': { S: from } }) },
        }),
      );
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
    this.options.onWrite?.('claimSweep', 100);
    return true;
  }

  /**
   * Parks the stored wake-up if it is still `wake` and not parked yet (an older version's hop
   * arriving early). No version bump: the wake-up itself does not change, only whether a message
   * carries it. Rare by construction (only wake-ups sent before parking existed), so the write of the
   * whole item it costs does not matter.
   */
  async park(instanceId: string, wake: Wake): Promise<boolean> {
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { [ATTR.id]: { S: instanceId } },
          UpdateExpression: 'SET #parkAt = :key',
          ConditionExpression: '#wakeId = :wakeId AND #wakeAt = :at AND attribute_not_exists(#parkAt)',
          ExpressionAttributeNames: { '#wakeId': ATTR.wakeId, '#wakeAt': ATTR.wakeAt, '#parkAt': ATTR.parkAt },
          ExpressionAttributeValues: { ':wakeId': { S: wake.id }, ':at': { S: wake.at }, ':key': { S: parkKey(instanceId, wake.at) } },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (out.Attributes) this.options.onWrite?.('park', itemSize(out.Attributes));
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  /** Newest first. With a workflow (and maybe a status), by `byWorkflow`; by status, `byStatus`; else `byCreated`. */
  async list(filter: ListFilter): Promise<{ items: InstanceSummary[]; cursor?: string }> {
    const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.floor(filter.limit ?? DEFAULT_LIST_LIMIT)));
    const q = listQuery(this.table, filter);
    let start: Item | undefined;
    if (filter.cursor !== undefined) {
      start = decodeCursor(q.tag, filter.cursor);
      if (!start) throw new InputError([`invalid cursor (it must come from a previous page of the same listing)`]);
    }
    const ids: string[] = [];
    let last: Item | undefined = start;
    for (let page = 0; page < MAX_QUERY_PAGES && ids.length < limit; page++) {
      const out = await this.client.send(
        new QueryCommand({ ...q.input, Limit: limit - ids.length, ...(last ? { ExclusiveStartKey: last } : {}) }),
      );
      for (const it of out.Items ?? []) ids.push(it[ATTR.id]!.S!);
      last = out.LastEvaluatedKey;
      if (!last) break;
    }
    const items = await this.batchLoad(ids);
    const result: { items: InstanceSummary[]; cursor?: string } = { items };
    if (last) result.cursor = encodeCursor(q.tag, last);
    return result;
  }

  /** Summaries by id, in the order asked, skipping ids that vanished. Eventually consistent: listing only. */
  private async batchLoad(ids: string[]): Promise<InstanceSummary[]> {
    const found = new Map<string, InstanceSummary>();
    let keys = ids.map((id) => ({ [ATTR.id]: { S: id } }));
    for (let round = 0; keys.length > 0 && round < 10; round++) {
      const out = await this.client.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: keys } } }));
      for (const it of out.Responses?.[this.table] ?? []) {
        // A document stored aside is not fetched for a listing: its item carries the summary.
        const sum = it[ATTR.sum]?.S;
        const s = sum !== undefined && it[ATTR.docRef] ? (JSON.parse(sum) as InstanceSummary) : summarize(decodeInstance(it));
        found.set(s.id, s);
      }
      keys = (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as typeof keys;
    }
    return ids.flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
  }
}

/** The billed size of the item a save leaves: its top-level attributes and the document attributes written. */
function writtenSize(instance: AwsInstance, docAttrs: Item): number {
  const item = encodeInstance(instance);
  delete item[ATTR.doc];
  delete item[ATTR.docz];
  return itemSize({ ...item, ...docAttrs });
}

/** The list summary kept on an item whose document is stored aside (a large result is left out). */
export function listSummary(i: Instance): InstanceSummary {
  const s = summarize(i);
  if (s.result !== undefined && JSON.stringify(s.result).length > SUMMARY_RESULT_MAX) delete s.result;
  return s;
}

/** The query a listing runs, and a tag naming it (cursors are only valid for the same tag). Pure. */
export function listQuery(table: string, filter: Pick<ListFilter, 'workflow' | 'status'>): { tag: string; input: QueryCommandInput } {
  const base = { TableName: table, ScanIndexForward: false, ProjectionExpression: '#id', ExpressionAttributeNames: { '#id': ATTR.id } };
  if (filter.workflow !== undefined) {
    const input: QueryCommandInput = {
      ...base,
      IndexName: 'byWorkflow',
      KeyConditionExpression: '#w = :w',
      ExpressionAttributeNames: { ...base.ExpressionAttributeNames, '#w': ATTR.workflow },
      ExpressionAttributeValues: { ':w': { S: filter.workflow } },
    };
    if (filter.status !== undefined) {
      // Filters run after Limit, so a page can come back short; list() reads on to fill it.
      input.FilterExpression = '#s = :s';
      input.ExpressionAttributeNames!['#s'] = ATTR.status;
      input.ExpressionAttributeValues![':s'] = { S: filter.status };
    }
    return { tag: `byWorkflow:${filter.workflow}:${filter.status ?? ''}`, input };
  }
  if (filter.status !== undefined) {
    return {
      tag: `byStatus:${filter.status}`,
      input: {
        ...base,
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { ...base.ExpressionAttributeNames, '#s': ATTR.status },
        ExpressionAttributeValues: { ':s': { S: filter.status } },
      },
    };
  }
  return {
    tag: 'byCreated',
    input: {
      ...base,
      IndexName: 'byCreated',
      KeyConditionExpression: '#k = :k',
      ExpressionAttributeNames: { ...base.ExpressionAttributeNames, '#k': ATTR.kind },
      ExpressionAttributeValues: { ':k': { S: 'instance' } },
    },
  };
}

function isConditionFailed(e: unknown): boolean {
  return (e as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}
