import { brotliDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  COMPRESS_AT,
  decodeCursor,
  decodeDefinition,
  decodeInstance,
  encodeCursor,
  encodeDefinition,
  encodeInstance,
  itemSize,
  readUnits,
  writeUnits,
} from '../../../adapters/aws/item.ts';
import { ATTR, DEFINITION_PREFIX, TABLE } from '../../../adapters/aws/schema.ts';
import type { Instance, StepLog } from '../../../runtime/index.ts';
import { fakeInstance } from '../../runtime/store-contract.ts';

const steps = (n: number): StepLog[] =>
  Array.from({ length: n }, (_, k) => ({ at: `2026-01-01T00:00:${String(k % 60).padStart(2, '0')}.000Z`, kind: 'task', task: 'chargeCard', taskId: `n14.s${k}`, attempt: 1, line: 9, col: 3, outcome: 'ok', durationMs: 12 }));

describe('instance items', () => {
  it('keeps the indexed and conditional fields as top-level attributes and the rest in one document', () => {
    const item = encodeInstance(fakeInstance('o1', { version: 7, status: 'waiting', workflow: 'processOrder' }));
    expect(item[ATTR.id]).toEqual({ S: 'o1' });
    expect(item[ATTR.kind]).toEqual({ S: 'instance' });
    expect(item[ATTR.version]).toEqual({ N: '7' });
    expect(item[ATTR.status]).toEqual({ S: 'waiting' });
    expect(item[ATTR.workflow]).toEqual({ S: 'processOrder' });
    const doc = JSON.parse(item[ATTR.doc]!.S!);
    expect(Object.keys(doc).sort()).toEqual(['input', 'state', 'steps', 'tasks', 'timers']);
    expect(item[ATTR.docz]).toBeUndefined();
  });

  it('round-trips instances exactly, small and large, including values DynamoDB maps could not hold', () => {
    let deep: unknown = 'leaf';
    for (let k = 0; k < 60; k++) deep = [deep]; // deeper than DynamoDB's 32 levels
    const cases: Instance[] = [
      fakeInstance('a'),
      fakeInstance('b', { status: 'completed', result: { n: 1e300, tiny: 5e-324, s: 'é ✓ \u0000' }, steps: steps(200) }),
      fakeInstance('c', { status: 'failed', error: { code: 'CR007', message: 'x', line: 3, col: 1, task: 't', attempts: 3 }, input: { deep } as Instance['input'] }),
      fakeInstance('d', { seenEvents: ['signal:1'], finishedBy: 'cancel', status: 'cancelled' }),
    ];
    for (const i of cases) expect(decodeInstance(encodeInstance(i))).toEqual(i);
  });

  it('compresses documents from the threshold on, and only when that is smaller', () => {
    const big = encodeInstance(fakeInstance('big', { steps: steps(200) }));
    expect(big[ATTR.doc]).toBeUndefined();
    const z = big[ATTR.docz]!.B!;
    const json = brotliDecompressSync(z).toString('utf8');
    expect(Buffer.byteLength(json)).toBeGreaterThanOrEqual(COMPRESS_AT);
    expect(z.length * 4).toBeLessThan(Buffer.byteLength(json)); // the step log compresses several-fold
    // Below the threshold: JSON text, readable in the console.
    const small = encodeInstance(fakeInstance('small'));
    expect(Buffer.byteLength(small[ATTR.doc]!.S!)).toBeLessThan(COMPRESS_AT);
  });

  it('keeps a 200-step instance within two write units', () => {
    const item = encodeInstance(fakeInstance('o1', { steps: steps(200) }));
    expect(writeUnits(itemSize(item))).toBeLessThanOrEqual(2);
  });

  it('keeps the wake-up in flight as top-level attributes, outside the document', () => {
    const i = { ...fakeInstance('o1'), wake: { id: 'w1', at: '2026-01-01T00:05:00.000Z' } };
    const item = encodeInstance(i);
    expect(item[ATTR.wakeId]).toEqual({ S: 'w1' });
    expect(item[ATTR.wakeAt]).toEqual({ S: '2026-01-01T00:05:00.000Z' });
    expect(item[ATTR.doc]!.S).not.toMatch(/wake/);
    expect(decodeInstance(item)).toEqual(i);
  });

  it('marks a parked wake-up with parkAt (the byPark index key) and reads it back as parked', () => {
    const i = { ...fakeInstance('o1'), wake: { id: 'w2', at: '2026-02-01T00:00:00.000Z', parked: true as const } };
    const item = encodeInstance(i);
    expect(item[ATTR.parkAt]).toEqual({ S: '2026-02-01T00:00:00.000Z#o1' }); // due time, then id: unique and in time order
    expect(decodeInstance(item)).toEqual(i);
    expect(encodeInstance({ ...i, wake: { id: 'w2', at: i.wake.at } })[ATTR.parkAt]).toBeUndefined();
  });

  it('rejects an item without a document', () => {
    const item = encodeInstance(fakeInstance('o1'));
    delete item[ATTR.doc];
    expect(() => decodeInstance(item)).toThrow(/neither doc nor docz/);
  });
});

describe('definition items', () => {
  it('live under def#<hash>, outside the workflow index, and round-trip', () => {
    const def = { hash: 'sha256:' + 'a'.repeat(64), workflow: 'w', file: 'w.workflow', source: 'workflow w() {}', createdAt: '2026-01-01T00:00:00.000Z' };
    const item = encodeDefinition(def);
    expect(item[ATTR.id]!.S).toBe(DEFINITION_PREFIX + def.hash);
    for (const gsi of TABLE.indexes.filter((g) => g.name !== 'byCreated')) expect(item[gsi.partitionKey]).toBeUndefined();
    expect(decodeDefinition(item)).toEqual(def);
  });
});

describe('itemSize', () => {
  it('counts attribute names plus values the way DynamoDB bills them', () => {
    expect(itemSize({ id: { S: 'abc' } })).toBe(2 + 3);
    expect(itemSize({ é: { S: 'é' } })).toBe(2 + 2); // UTF-8 bytes
    expect(itemSize({ b: { B: new Uint8Array(10) } })).toBe(1 + 10);
    expect(itemSize({ n: { N: '12345' } })).toBe(1 + 4); // ceil(5 digits / 2) + 1
    expect(itemSize({ ok: { BOOL: true } })).toBe(2 + 1);
    expect(itemSize({ m: { M: { a: { S: 'xy' } } } })).toBe(1 + 3 + (1 + 2 + 1));
  });

  it('turns sizes into request units', () => {
    expect(writeUnits(1)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(readUnits(4096)).toBe(1);
    expect(readUnits(4097)).toBe(2);
  });
});

describe('cursors', () => {
  const key = { id: { S: 'i3' }, workflow: { S: 'w' }, createdAt: { S: '2026-01-01T00:00:03.000Z' } };

  it('round-trip for the same listing and are opaque text', () => {
    const c = encodeCursor('byWorkflow:w:', key);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('byWorkflow:w:', c)).toEqual(key);
  });

  it('are refused by another listing, and when garbled', () => {
    const c = encodeCursor('byWorkflow:w:', key);
    expect(decodeCursor('byStatus:running', c)).toBeUndefined();
    expect(decodeCursor('byWorkflow:w:', c.slice(0, -3))).toBeUndefined();
    expect(decodeCursor('byWorkflow:w:', 'not a cursor')).toBeUndefined();
    expect(decodeCursor('x', Buffer.from(JSON.stringify({ q: 'x', k: { id: 5 } })).toString('base64url'))).toBeUndefined();
  });

  it('are refused when forged: other attribute names, extra or missing keys, non-strings, another partition, huge (issue 7)', () => {
    const forge = (q: string, k: unknown) => Buffer.from(JSON.stringify({ q, k }), 'utf8').toString('base64url');
    const q = 'byWorkflow:w:';
    expect(decodeCursor(q, forge(q, { ...Object.fromEntries(Object.entries(key).map(([n, v]) => [n, v.S])) }))).toEqual(key);
    expect(decodeCursor(q, forge(q, { id: 'i3', workflow: 'w', createdAt: '2026-01-01T00:00:03.000Z', 'x;DROP': 'y' }))).toBeUndefined();
    expect(decodeCursor(q, forge(q, { id: 'i3', workflow: 'w' }))).toBeUndefined();
    expect(decodeCursor(q, forge(q, { id: 'i3', wf: 'w', createdAt: '2026-01-01T00:00:03.000Z' }))).toBeUndefined();
    expect(decodeCursor(q, forge(q, { id: 'i3', workflow: 'other', createdAt: '2026-01-01T00:00:03.000Z' }))).toBeUndefined();
    expect(decodeCursor(q, forge(q, { id: 'i3', workflow: 'w', createdAt: 'not a time' }))).toBeUndefined();
    expect(decodeCursor(q, forge(q, { id: { S: 'i3' }, workflow: 'w', createdAt: '2026-01-01T00:00:03.000Z' }))).toBeUndefined();
    expect(decodeCursor(q, forge(q, ['i3']))).toBeUndefined();
    expect(decodeCursor('byCreated', forge('byCreated', { id: 'i3', kind: 'definition', createdAt: '2026-01-01T00:00:03.000Z' }))).toBeUndefined();
    expect(decodeCursor('byCreated', forge('byCreated', { id: 'i3', kind: 'instance', createdAt: '2026-01-01T00:00:03.000Z' }))).toBeDefined();
    expect(decodeCursor(q, 'A'.repeat(5000))).toBeUndefined();
  });
});
