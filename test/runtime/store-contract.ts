/**
 * The shared `Store` contract: every store adapter (memory, SQLite, DynamoDB) runs these cases.
 *
 *   storeContract('SqliteStore', () => new SqliteStore(':memory:'));
 */
import { describe, expect, it } from 'vitest';
import { InstanceConflictError, VersionConflictError } from '../../runtime/errors.ts';
import type { Store } from '../../runtime/ports.ts';
import type { Instance, InstanceStatus } from '../../runtime/types.ts';

export function fakeInstance(id: string, over: Partial<Instance> = {}): Instance {
  return {
    id,
    workflow: 'wf',
    definitionHash: 'sha256:abc',
    status: 'running',
    input: { n: 1 },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
    state: { v: 1, programHash: 'sha256:abc', status: 'waiting', frames: [{ node: 3, locals: { x: [1, { a: null }] } }], pending: null, seq: 1, signals: {}, at: { line: 2, col: 3 } },
    tasks: {},
    timers: {},
    steps: [],
    ...over,
  };
}

export function storeContract(name: string, make: () => Store | Promise<Store>): void {
  describe(`${name} (Store contract)`, () => {
    it('stores definitions once by hash and returns them', async () => {
      const s = await make();
      const def = { hash: 'sha256:1', workflow: 'w', file: 'w.workflow', source: 'workflow w() {}', createdAt: '2026-01-01T00:00:00.000Z' };
      await s.putDefinition(def);
      await s.putDefinition({ ...def, source: 'changed' }); // idempotent: the first one stays
      expect(await s.getDefinition('sha256:1')).toEqual(def);
      expect(await s.getDefinition('sha256:2')).toBeUndefined();
    });

    it('creates, loads the same JSON back, and refuses a second create of the same id', async () => {
      const s = await make();
      const i = fakeInstance('a');
      await s.create(i);
      expect(await s.load('a')).toEqual(i);
      expect(await s.load('missing')).toBeUndefined();
      await expect(s.create(fakeInstance('a', { input: { n: 2 } }))).rejects.toBeInstanceOf(InstanceConflictError);
      expect((await s.load('a'))!.input).toEqual({ n: 1 });
    });

    it('saves only when the stored version is the one loaded', async () => {
      const s = await make();
      await s.create(fakeInstance('a'));
      await s.save(fakeInstance('a', { version: 2, status: 'waiting' }), 1);
      expect((await s.load('a'))!.status).toBe('waiting');
      // A writer that loaded version 1 too is now stale.
      await expect(s.save(fakeInstance('a', { version: 2, status: 'failed' }), 1)).rejects.toBeInstanceOf(VersionConflictError);
      expect((await s.load('a'))!.status).toBe('waiting');
      await expect(s.save(fakeInstance('nope', { version: 2 }), 1)).rejects.toBeInstanceOf(VersionConflictError);
    });

    it('lists newest first, filters by workflow and status, and pages with a cursor', async () => {
      const s = await make();
      const statuses: InstanceStatus[] = ['running', 'completed', 'failed', 'completed', 'waiting'];
      for (let k = 0; k < 5; k++) {
        await s.create(
          fakeInstance(`i${k}`, {
            workflow: k % 2 ? 'odd' : 'even',
            status: statuses[k]!,
            createdAt: `2026-01-01T00:00:0${k}.000Z`,
            ...(statuses[k] === 'completed' ? { result: k } : {}),
          }),
        );
      }
      const all = await s.list({});
      expect(all.items.map((i) => i.id)).toEqual(['i4', 'i3', 'i2', 'i1', 'i0']);
      expect(all.cursor).toBeUndefined();
      expect(all.items[1]).toMatchObject({ id: 'i3', workflow: 'odd', status: 'completed', result: 3, at: { line: 2, col: 3 } });
      expect(all.items[1]).not.toHaveProperty('state');
      expect((await s.list({ workflow: 'odd' })).items.map((i) => i.id)).toEqual(['i3', 'i1']);
      expect((await s.list({ status: 'completed' })).items.map((i) => i.id)).toEqual(['i3', 'i1']);
      expect((await s.list({ workflow: 'even', status: 'failed' })).items.map((i) => i.id)).toEqual(['i2']);

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.list({ limit: 2, cursor });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((i) => i.id));
        cursor = page.cursor;
      } while (cursor);
      expect(seen).toEqual(['i4', 'i3', 'i2', 'i1', 'i0']);
    });
  });
}
