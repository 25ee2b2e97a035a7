/**
 * Instances and definitions ⇄ DynamoDB items, the item-size rule, and list cursors. Pure.
 *
 * Takes an `Instance` (or `Definition`), gives an item: a few top-level attributes the indexes and
 * the conditional write need (`id`, `kind`, `version`, `workflow`, `status`, `createdAt`,
 * `updatedAt`, `definitionHash`) and the rest of the instance as one document:
 *
 *   encodeInstance(i) // => { id: {S:'o1'}, version: {N:'3'}, status: {S:'running'}, …, doc: {S:'{"input":…}'} }
 *   decodeInstance(encodeInstance(i)) // deep-equals i
 *
 * Why one JSON document instead of a native DynamoDB map: workflow values are arbitrary JSON, and
 * native maps cap nesting at 32 levels, reject numbers outside ±1e125 and cost a type byte per
 * value; a string holds any JSON the interpreter accepts and (de)serialises in one call.
 * Why compress above a threshold: a write costs one unit per started KB, and the step log (up to
 * 200 near-identical entries) compresses many times over, so most saves stay at 1–2 write units.
 * Why brotli at quality 5: on these documents it is 5–30% smaller than deflate (the longer the step
 * log, the more) for about 0.2 ms per 30 KB; qualities above 9 are smaller still but take 5–35 ms.
 */
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Definition, Instance, InstanceStatus } from '../../runtime/index.ts';
import { ATTR, DEFINITION_PREFIX, dueShard } from './schema.ts';
import { parkKey, type AwsInstance, type Wake } from './wake.ts';

export type Item = Record<string, AttributeValue>;

/** Documents at or above this many UTF-8 bytes are stored deflated (if that is smaller). */
export const COMPRESS_AT = 512;

/** The fields kept as top-level attributes; everything else goes into the document. */
type TopLevel = 'id' | 'version' | 'workflow' | 'status' | 'createdAt' | 'updatedAt' | 'definitionHash';
type Doc = Omit<Instance, TopLevel>;

export function encodeInstance(i: AwsInstance): Item {
  const { id, version, workflow, status, createdAt, updatedAt, definitionHash, wake, docRef: _r, ...doc } = i;
  return {
    ...(wake ? encodeWake(id, wake) : {}),
    [ATTR.id]: { S: id },
    [ATTR.kind]: { S: 'instance' },
    [ATTR.version]: { N: String(version) },
    [ATTR.workflow]: { S: workflow },
    [ATTR.status]: { S: status },
    [ATTR.createdAt]: { S: createdAt },
    [ATTR.updatedAt]: { S: updatedAt },
    [ATTR.definitionHash]: { S: definitionHash },
    ...encodeDoc(doc),
  };
}

/** The document attribute: `doc` (JSON text) or `docz` (brotli-compressed JSON) — exactly one of them. */
export function encodeDoc(doc: Doc): Item {
  const json = JSON.stringify(doc);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes >= COMPRESS_AT) {
    const z = brotliCompressSync(json, {
      params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: bytes, [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT },
    });
    if (z.length < bytes) return { [ATTR.docz]: { B: new Uint8Array(z.buffer, z.byteOffset, z.length) } };
  }
  return { [ATTR.doc]: { S: json } };
}

/** The wake-up's attributes, with the `byDue` shard that indexes it (schema.ts). */
export function encodeWake(id: string, w: Wake): Item {
  const item: Item = { [ATTR.wakeId]: { S: w.id }, [ATTR.wakeAt]: { S: w.at }, [ATTR.dueShard]: { S: dueShard(id) } };
  if (w.parked) item[ATTR.parkAt] = { S: parkKey(id, w.at) }; // in the byPark index until the wake-up changes
  return item;
}

/** The document of an instance: everything but the top-level attributes and the wake-up. */
export function instanceDoc(i: AwsInstance): Doc {
  const { id: _i, version: _v, workflow: _w, status: _s, createdAt: _c, updatedAt: _u, definitionHash: _h, wake: _k, docRef: _r, ...doc } = i;
  return doc;
}

/**
 * The instance an item holds. For an item whose document is stored aside (`docRef`), pass that
 * document's JSON (DynamoStore.load reads it from the blob store).
 */
export function decodeInstance(item: Item, storedAside?: string): AwsInstance {
  const z = item[ATTR.docz]?.B;
  const docRef = item[ATTR.docRef]?.S;
  const json = z !== undefined ? brotliDecompressSync(z).toString('utf8') : (item[ATTR.doc]?.S ?? storedAside);
  if (json === undefined) {
    throw new Error(docRef ? `item ${str(item, ATTR.id)} has its document stored aside (${docRef}): load it through DynamoStore` : `item ${str(item, ATTR.id)} has neither ${ATTR.doc} nor ${ATTR.docz}`);
  }
  const doc = JSON.parse(json) as Doc;
  const wakeId = item[ATTR.wakeId]?.S;
  const wakeAt = item[ATTR.wakeAt]?.S;
  const out: AwsInstance = {
    id: str(item, ATTR.id),
    workflow: str(item, ATTR.workflow),
    definitionHash: str(item, ATTR.definitionHash),
    status: str(item, ATTR.status) as InstanceStatus,
    createdAt: str(item, ATTR.createdAt),
    updatedAt: str(item, ATTR.updatedAt),
    version: Number(str(item, ATTR.version, 'N')),
    ...doc,
  };
  if (wakeId !== undefined && wakeAt !== undefined) out.wake = item[ATTR.parkAt]?.S !== undefined ? { id: wakeId, at: wakeAt, parked: true } : { id: wakeId, at: wakeAt };
  if (docRef !== undefined) out.docRef = docRef;
  return out;
}

export function definitionKey(hash: string): string {
  return DEFINITION_PREFIX + hash;
}

export function encodeDefinition(d: Definition): Item {
  return {
    [ATTR.id]: { S: definitionKey(d.hash) },
    [ATTR.kind]: { S: 'definition' },
    [ATTR.hash]: { S: d.hash },
    [ATTR.defWorkflow]: { S: d.workflow },
    [ATTR.file]: { S: d.file },
    [ATTR.source]: { S: d.source },
    [ATTR.createdAt]: { S: d.createdAt },
  };
}

export function decodeDefinition(item: Item): Definition {
  return {
    hash: str(item, ATTR.hash),
    workflow: str(item, ATTR.defWorkflow),
    file: str(item, ATTR.file),
    source: str(item, ATTR.source),
    createdAt: str(item, ATTR.createdAt),
  };
}

function str(item: Item, name: string, type: 'S' | 'N' = 'S'): string {
  const v = item[name]?.[type as 'S'];
  if (typeof v !== 'string') throw new Error(`item attribute ${name} (${type}) is missing`);
  return v;
}

/**
 * An item's size as DynamoDB bills it: per attribute, the UTF-8 length of its name plus its value
 * (strings: UTF-8 bytes; binary: bytes; numbers: about one byte per two significant digits plus
 * one; booleans and null: 1; maps and lists: 3 plus their contents, plus 1 per element).
 * Write units = ceil(size / 1024); strongly consistent read units = ceil(size / 4096).
 */
export function itemSize(item: Item): number {
  let n = 0;
  for (const [name, v] of Object.entries(item)) n += Buffer.byteLength(name, 'utf8') + valueSize(v);
  return n;
}

function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S, 'utf8');
  if (v.B !== undefined) return v.B.length;
  if (v.N !== undefined) {
    const digits = v.N.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((s, [k, x]) => s + Buffer.byteLength(k, 'utf8') + valueSize(x) + 1, 0);
  if (v.L !== undefined) return 3 + v.L.reduce((s, x) => s + valueSize(x) + 1, 0);
  if (v.SS !== undefined) return v.SS.reduce((s, x) => s + Buffer.byteLength(x, 'utf8'), 0);
  if (v.NS !== undefined) return v.NS.reduce((s, x) => s + valueSize({ N: x }), 0);
  if (v.BS !== undefined) return v.BS.reduce((s, x) => s + x.length, 0);
  return 0;
}

export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));
export const readUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 4096));

// ---------------------------------------------------------------------------------------------
// Cursors: opaque to callers, bound to the index (and filter) they came from
// ---------------------------------------------------------------------------------------------

export interface CursorState {
  /** Index name plus filter, so a cursor cannot be replayed against another listing. */
  q: string;
  /** DynamoDB's LastEvaluatedKey (all string attributes in this table). */
  k: Record<string, string>;
}

export function encodeCursor(q: string, lastKey: Item): string {
  const k: Record<string, string> = {};
  for (const [name, v] of Object.entries(lastKey)) {
    if (v.S === undefined) throw new Error(`unexpected non-string key attribute ${name}`);
    k[name] = v.S;
  }
  return Buffer.from(JSON.stringify({ q, k } satisfies CursorState), 'utf8').toString('base64url');
}

/** Longest cursor accepted (a real one is about 200 characters). */
export const MAX_CURSOR_CHARS = 2048;
/** Longest key value accepted inside a cursor. */
const MAX_CURSOR_VALUE = 1024;

/** The key attributes of the index a listing tag reads (exactly these, no others, may be in a cursor). */
function cursorKeys(q: string): { names: string[]; partition: string } | undefined {
  if (q.startsWith('byWorkflow:')) return { names: [ATTR.id, ATTR.workflow, ATTR.createdAt], partition: ATTR.workflow };
  if (q.startsWith('byStatus:')) return { names: [ATTR.id, ATTR.status, ATTR.createdAt], partition: ATTR.status };
  if (q === 'byCreated') return { names: [ATTR.id, ATTR.kind, ATTR.createdAt], partition: ATTR.kind };
  return undefined;
}

/**
 * The key to resume from, or undefined when the cursor is malformed or from another listing:
 * base64url of `{ q, k }` where `k` has exactly the key attributes of that listing's index (string
 * values of at most 1,024 characters, `createdAt` an ISO time, the partition value the listing's
 * own). Anything else is refused here, before it can reach a DynamoDB query.
 */
export function decodeCursor(q: string, cursor: string): Item | undefined {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const keys = cursorKeys(q);
  if (!keys) return undefined;
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return undefined;
  const { q: cq, k } = c as { q?: unknown; k?: unknown };
  if (cq !== q || typeof k !== 'object' || k === null || Array.isArray(k)) return undefined;
  const names = Object.keys(k);
  if (names.length !== keys.names.length || !keys.names.every((n) => Object.hasOwn(k, n))) return undefined;
  const out: Item = {};
  for (const name of keys.names) {
    const v = (k as Record<string, unknown>)[name];
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_CURSOR_VALUE) return undefined;
    out[name] = { S: v };
  }
  const kv = k as Record<string, string>;
  if (Number.isNaN(Date.parse(kv[ATTR.createdAt]!))) return undefined;
  const p = kv[keys.partition]!;
  if (keys.partition === ATTR.kind ? p !== 'instance' : keys.partition === ATTR.status ? q !== `byStatus:${p}` : !q.startsWith(`byWorkflow:${p}:`)) return undefined;
  return out;
}
