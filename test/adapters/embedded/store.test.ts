import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../adapters/embedded/store.ts';
import { fakeInstance, storeContract } from '../../runtime/store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'currant-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeContract('SqliteStore', () => new SqliteStore(join(dir, `s${n++}`, 'currant.db')));

describe('SqliteStore', () => {
  it('uses WAL and keeps what was saved across a reopen of the file', async () => {
    const path = join(dir, 'reopen', 'currant.db');
    const a = new SqliteStore(path);
    expect(a.db.pragma('journal_mode', { simple: true })).toBe('wal');
    await a.create(fakeInstance('x'));
    await a.save(fakeInstance('x', { version: 2, status: 'completed', result: { ok: true } }), 1);
    a.close();
    const b = new SqliteStore(path);
    expect(await b.load('x')).toMatchObject({ version: 2, status: 'completed', result: { ok: true } });
    b.close();
  });

  it('lists unfinished instances for restarts and counts by status', async () => {
    const s = new SqliteStore(':memory:');
    await s.create(fakeInstance('r', { status: 'running' }));
    await s.create(fakeInstance('w', { status: 'waiting', createdAt: '2026-01-02T00:00:00.000Z' }));
    await s.create(fakeInstance('c', { status: 'completed' }));
    await s.create(fakeInstance('x', { status: 'cancelled' }));
    expect(s.unfinished()).toEqual(['r', 'w']);
    expect(s.counts()).toEqual({ running: 1, waiting: 1, completed: 1, cancelled: 1 });
    s.close();
  });
});
