// Pure parts of DynamoStore. Its behaviour against DynamoDB itself (conditional writes, indexes,
// paging) runs on the emulator: infra-test/aws-store.test.ts runs the shared Store contract.
import { describe, expect, it } from 'vitest';
import { listQuery } from '../../../adapters/aws/store.ts';
import { TABLE } from '../../../adapters/aws/schema.ts';

describe('listQuery', () => {
  it('uses byWorkflow with a status filter, byStatus, or byCreated, newest first', () => {
    const w = listQuery('t', { workflow: 'order', status: 'failed' });
    expect(w.input).toMatchObject({ IndexName: 'byWorkflow', ScanIndexForward: false, FilterExpression: '#s = :s' });
    expect(w.input.ExpressionAttributeValues).toEqual({ ':w': { S: 'order' }, ':s': { S: 'failed' } });
    expect(listQuery('t', { workflow: 'order' }).input.FilterExpression).toBeUndefined();
    expect(listQuery('t', { status: 'running' }).input).toMatchObject({ IndexName: 'byStatus', ExpressionAttributeValues: { ':s': { S: 'running' } } });
    expect(listQuery('t', {}).input).toMatchObject({ IndexName: 'byCreated', ExpressionAttributeValues: { ':k': { S: 'instance' } } });
  });

  it('gives each listing its own cursor tag', () => {
    const tags = [listQuery('t', {}), listQuery('t', { status: 'running' }), listQuery('t', { workflow: 'a' }), listQuery('t', { workflow: 'a', status: 'failed' }), listQuery('t', { workflow: 'b' })].map((q) => q.tag);
    expect(new Set(tags).size).toBe(tags.length);
  });

  it('only filters on attributes the index projects', () => {
    for (const f of [{ workflow: 'a', status: 'failed' as const }, { status: 'failed' as const }, {}]) {
      const q = listQuery('t', f).input;
      const gsi = TABLE.indexes.find((g) => g.name === q.IndexName)!;
      const available = new Set(['id', gsi.partitionKey, gsi.sortKey, ...(gsi.include ?? [])]);
      for (const name of Object.values(q.ExpressionAttributeNames ?? {})) expect(available.has(name)).toBe(true);
    }
  });
});
