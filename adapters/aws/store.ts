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
import { ATTR, DUE_SHARDS, dueShard } from './schema.ts';
import { newWakeId, planWake, wakePlans, type AwsInstance, type Wake, type WakeStore } from './wake.ts';

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 100;
/** A filtered listing reads at most this many index pages to fill one page of results. */
const MAX_QUERY_PAGES = 5;

export interface DynamoStoreOptions {
  /** Told the billed size of every item written (benchmark and metrics). */
  onWrite?: (op: 'create' | 'save' | 'putDefinition' | 'setWake' | 'park' | 'unpark', bytes: number) => void;
  /** Ids for new wake-ups (default `newWakeId`). */
  newId?: () => string;
  /** The clock that decides whether a new wake-up is sent or parked (default Date.now). */
  nowMs?: () => number;
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
    if (!(await this.putIfAbsent(item))) throw new InstanceConflictError(instance.id);
    if (plan.wake) instance.wake = plan.wake;
    wakePlans.set(instance, { send: plan.send });
    this.options.onWrite?.('create', itemSize(item));
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
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { [ATTR.id]: { S: id } }, ConsistentRead: true }),
    );
    return out.Item && out.Item[ATTR.kind]?.S === 'instance' ? decodeInstance(out.Item) : undefined;
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
    const docAttr = encodeDoc(instanceDoc(instance));
    const [docName, other] = ATTR.doc in docAttr ? [ATTR.doc, ATTR.docz] : [ATTR.docz, ATTR.doc];
    const names: Record<string, string> = {
      '#version': ATTR.version,
      '#status': ATTR.status,
      '#updatedAt': ATTR.updatedAt,
      '#doc': docName,
      '#other': other,
    };
    const values: Record<string, AttributeValue> = {
      ':next': { N: String(version) },
      ':expected': { N: String(expectedVersion) },
      ':status': { S: status },
      ':updatedAt': { S: updatedAt },
      ':doc': docAttr[docName]!,
    };
    let set = '#version = :next, #status = :status, #updatedAt = :updatedAt, #doc = :doc';
    let remove = '#other';
    const final = isFinal(status);
    if (final) {
      // A finished instance needs no wake-up: its item leaves the byDue and byPark indexes.
      remove += ', #wakeId, #wakeAt, #parkAt';
      Object.assign(names, { '#wakeId': ATTR.wakeId, '#wakeAt': ATTR.wakeAt, '#parkAt': ATTR.parkAt });
    } else if (plan.changed && plan.wake) {
      set += ', #wakeId = :wakeId, #wakeAt = :wakeAt, #dueShard = :dueShard';
      Object.assign(names, { '#wakeId': ATTR.wakeId, '#wakeAt': ATTR.wakeAt, '#dueShard': ATTR.dueShard, '#parkAt': ATTR.parkAt });
      Object.assign(values, { ':wakeId': { S: plan.wake.id }, ':wakeAt': { S: plan.wake.at }, ':dueShard': { S: dueShard(id) } });
      // Parked (due beyond SQS's 15-minute delay): in the byPark index, no message. Sent: out of it.
      if (plan.wake.parked) set += ', #parkAt = :wakeAt';
      else remove += ', #parkAt';
    }
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { [ATTR.id]: { S: id } },
          UpdateExpression: `SET ${set} REMOVE ${remove}`,
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (e) {
      // Also raised when the item does not exist: nobody can save what was never created.
      if (isConditionFailed(e)) throw new VersionConflictError(id, expectedVersion);
      throw e;
    }
    if (final) delete instance.wake;
    else if (plan.changed) instance.wake = plan.wake;
    wakePlans.set(instance, { send: !final && plan.send });
    this.options.onWrite?.('save', itemSize(encodeInstance(instance)));
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
      update = `SET #version = :next, #wakeId = :wakeId, #wakeAt = :wakeAt, #dueShard = :dueShard${wake.parked ? ', #parkAt = :wakeAt' : ' REMOVE #parkAt'}`;
      Object.assign(names, { '#dueShard': ATTR.dueShard });
      Object.assign(values, { ':wakeId': { S: wake.id }, ':wakeAt': { S: wake.at }, ':dueShard': { S: dueShard(instance.id) } });
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
    return this.dueBefore('byDue', ATTR.wakeAt, beforeIso, limit);
  }

  /**
   * Parked wake-ups due before `beforeIso` (the sweep's question), from the sparse `byPark` index:
   * one query per shard, earliest first, `limit` in all. Eventually consistent: an entry just
   * taken out may still show; `unpark`'s condition then refuses it, so it is not sent twice.
   */
  async parkedWakes(beforeIso: string, limit: number): Promise<{ instanceId: string; wake: Wake }[]> {
    return (await this.dueBefore('byPark', ATTR.parkAt, beforeIso, limit)).map((f) => ({ instanceId: f.instanceId, wake: { ...f.wake, parked: true } }));
  }

  private async dueBefore(index: 'byDue' | 'byPark', sortKey: string, beforeIso: string, limit: number): Promise<{ instanceId: string; wake: Wake }[]> {
    const out: { instanceId: string; wake: Wake }[] = [];
    for (let shard = 0; shard < DUE_SHARDS && out.length < limit; shard++) {
      let start: Item | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: index,
            KeyConditionExpression: '#shard = :shard AND #at < :before',
            ExpressionAttributeNames: { '#shard': ATTR.dueShard, '#at': sortKey },
            ExpressionAttributeValues: { ':shard': { S: String(shard) }, ':before': { S: beforeIso } },
            Limit: limit - out.length,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const it of page.Items ?? []) {
          const instanceId = it[ATTR.id]?.S;
          const id = it[ATTR.wakeId]?.S;
          const at = it[sortKey]?.S;
          if (instanceId && id && at) out.push({ instanceId, wake: { id, at } });
        }
        start = page.LastEvaluatedKey;
      } while (start && out.length < limit);
    }
    return out;
  }

  /**
   * Takes a parked wake-up out of `byPark` before the sweep sends its message. No version bump: the
   * wake-up itself does not change, only whether a message carries it.
   *
   *   sweep A                         sweep B (overlapping run, or a stale index read)
   *   unpark if parkAt = T  ✓         unpark if parkAt = T  ✗ → sends nothing
   *   send wake (delay until T)
   *
   * A transition that replaced the wake-up meanwhile changed `wakeId`: the condition fails and the
   * old one is not sent.
   */
  async unpark(instanceId: string, wake: Wake): Promise<boolean> {
    return this.conditionalWakeUpdate(instanceId, wake, 'REMOVE #parkAt', '#wakeId = :wakeId AND #parkAt = :at', 'unpark');
  }

  /** Parks the stored wake-up (sets `parkAt`) if it is still `wake` and not parked already. */
  async park(instanceId: string, wake: Wake): Promise<boolean> {
    return this.conditionalWakeUpdate(instanceId, wake, 'SET #parkAt = :at', '#wakeId = :wakeId AND #wakeAt = :at AND attribute_not_exists(#parkAt)', 'park');
  }

  private async conditionalWakeUpdate(instanceId: string, wake: Wake, update: string, condition: string, op: 'park' | 'unpark'): Promise<boolean> {
    const names: Record<string, string> = { '#wakeId': ATTR.wakeId, '#parkAt': ATTR.parkAt };
    if (condition.includes('#wakeAt')) names['#wakeAt'] = ATTR.wakeAt;
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { [ATTR.id]: { S: instanceId } },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':wakeId': { S: wake.id }, ':at': { S: wake.at } },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (out.Attributes) this.options.onWrite?.(op, itemSize(out.Attributes));
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
    const result: { items: InstanceSummary[]; cursor?: string } = { items: items.map(summarize) };
    if (last) result.cursor = encodeCursor(q.tag, last);
    return result;
  }

  /** Items by id, in the order asked, skipping ids that vanished. Eventually consistent: listing only. */
  private async batchLoad(ids: string[]): Promise<Instance[]> {
    const found = new Map<string, Instance>();
    let keys = ids.map((id) => ({ [ATTR.id]: { S: id } }));
    for (let round = 0; keys.length > 0 && round < 10; round++) {
      const out = await this.client.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: keys } } }));
      for (const it of out.Responses?.[this.table] ?? []) {
        const i = decodeInstance(it);
        found.set(i.id, i);
      }
      keys = (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as typeof keys;
    }
    return ids.flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
  }
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
