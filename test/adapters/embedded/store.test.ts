import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../../adapters/embedded/store.ts';
import { STEP_LOG_LIMIT, type StepLog } from '../../../runtime/types.ts';
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

describe('SqliteStore due index (the worker sweep)', () => {
  const timer = (fireAt: string) => ({ fireAt, purpose: 'sleep' as const, producedBy: 'start' });

  it('answers which unfinished instances have a timer due before a time, earliest first, by index', async () => {
    const s = new SqliteStore(':memory:');
    await s.create(fakeInstance('late', { status: 'waiting', timers: { a: timer('2026-01-01T00:09:00.000Z'), b: timer('2026-01-01T00:03:00.000Z') } }));
    await s.create(fakeInstance('early', { status: 'waiting', timers: { a: timer('2026-01-01T00:01:00.000Z') } }));
    await s.create(fakeInstance('future', { status: 'waiting', timers: { a: timer('2026-01-01T01:00:00.000Z') } }));
    await s.create(fakeInstance('none', { status: 'waiting', timers: {} }));
    expect(s.overdue('2026-01-01T00:05:00.000Z', 10)).toEqual(['early', 'late']);
    expect(s.overdue('2026-01-01T00:05:00.000Z', 1)).toEqual(['early']);
    // A save moves it; finishing takes it out.
    await s.save(fakeInstance('early', { version: 2, status: 'completed', timers: { a: timer('2026-01-01T00:01:00.000Z') } }), 1);
    await s.save(fakeInstance('future', { version: 2, status: 'waiting', timers: { a: timer('2026-01-01T00:02:00.000Z') } }), 1);
    expect(s.overdue('2026-01-01T00:05:00.000Z', 10)).toEqual(['future', 'late']);
    const plan = s.db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM instances WHERE due_at IS NOT NULL AND due_at < ? ORDER BY due_at LIMIT ?`).all('x', 1) as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX instances_by_due/);
    s.close();
  });

  it('migrates a schema-2 file (no due_at column): unfinished instances get their due time', async () => {
    const path = join(dir, 'v2', 'currant.db');
    const mk = new SqliteStore(path);
    await mk.create(fakeInstance('w', { status: 'waiting', timers: { a: timer('2026-01-01T00:01:00.000Z') } }));
    await mk.create(fakeInstance('c', { status: 'completed', timers: { a: timer('2026-01-01T00:01:00.000Z') } }));
    mk.close();
    const db = new Database(path);
    db.exec('DROP INDEX instances_by_due; ALTER TABLE instances DROP COLUMN due_at;');
    db.close();
    const s = new SqliteStore(path);
    expect(s.overdue('2026-01-01T00:05:00.000Z', 10)).toEqual(['w']);
    s.close();
  });
});

describe('SqliteStore step log', () => {
  const step = (k: number): StepLog => ({ at: new Date(k * 1000).toISOString(), kind: 'task', outcome: `ok ${k}` });

  it('forDriver() loads without the log and appends what a save brings, keeping the last STEP_LOG_LIMIT', async () => {
    const s = new SqliteStore(':memory:');
    const hot = s.forDriver();
    await hot.create(fakeInstance('a', { steps: [step(0)] }));
    let version = 1;
    for (let k = 1; k <= STEP_LOG_LIMIT + 50; k += 2) {
      const loaded = (await hot.load('a'))!;
      expect(loaded.steps).toEqual([]);
      await hot.save({ ...loaded, version: version + 1, steps: [step(k), step(k + 1)] }, version);
      version++;
    }
    const full = (await s.load('a'))!;
    expect(full.version).toBe(version);
    expect(full.steps.length).toBe(STEP_LOG_LIMIT);
    expect(full.steps.at(-1)).toEqual(step(STEP_LOG_LIMIT + 50));
    expect(full.steps[0]).toEqual(step(51));
    expect((s.db.prepare('SELECT COUNT(*) AS n FROM steps').get() as { n: number }).n).toBe(STEP_LOG_LIMIT);
    s.close();
  });

  it('a plain save replaces the log, and a failed conditional save writes no steps', async () => {
    const s = new SqliteStore(':memory:');
    await s.create(fakeInstance('a', { steps: [step(1), step(2)] }));
    await s.save(fakeInstance('a', { version: 2, steps: [step(3)] }), 1);
    expect((await s.load('a'))!.steps).toEqual([step(3)]);
    await expect(s.forDriver().save(fakeInstance('a', { version: 3, steps: [step(4)] }), 1)).rejects.toThrow();
    expect((await s.load('a'))!.steps).toEqual([step(3)]);
    s.close();
  });

  it('migrates a schema-1 file, whose documents held the log, to the steps table', async () => {
    const path = join(dir, 'v1', 'currant.db');
    const mk = new SqliteStore(path);
    mk.close();
    // Rebuild the schema-1 shape: no step_count column, the log inside the document.
    const db = new Database(path);
    db.exec('DROP TABLE instances; DROP TABLE steps;');
    db.exec(`CREATE TABLE instances (id TEXT PRIMARY KEY, workflow TEXT NOT NULL, definition_hash TEXT NOT NULL, status TEXT NOT NULL,
      version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, summary TEXT NOT NULL, doc TEXT NOT NULL)`);
    const old = fakeInstance('old', { steps: [step(1), step(2)] });
    db.prepare('INSERT INTO instances VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(old.id, old.workflow, old.definitionHash, old.status, old.version, old.createdAt, old.updatedAt, '{}', JSON.stringify(old));
    db.close();
    const s = new SqliteStore(path);
    expect(await s.load('old')).toEqual(old);
    await s.forDriver().save({ ...old, version: 2, steps: [step(3)] }, 1);
    expect((await s.load('old'))!.steps).toEqual([step(1), step(2), step(3)]);
    s.close();
  });
});

describe('SqliteStore cursors (issue 7)', () => {
  it('refuses forged or garbled cursors with an InputError and lists nothing', async () => {
    const { InputError } = await import('../../../runtime/errors.ts');
    const s = new SqliteStore(join(dir, `cursor${n++}`, 'currant.db'));
    const forge = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
    for (const cursor of ['not a cursor', forge({ a: 1 }), forge([1, 2]), forge(['x']), forge(['not a time', 'i']), forge([{}, 'i']), 'A'.repeat(5000), forge('x')]) {
      await expect(s.list({ cursor })).rejects.toBeInstanceOf(InputError);
    }
    await expect(s.list({ cursor: forge(['2026-01-01T00:00:00.000Z', 'i1']) })).resolves.toMatchObject({ items: [] });
  });
});

describe('SqliteStore step history (the viewer time travel)', () => {
  const step = (k: number): StepLog => ({ at: new Date(k * 1000).toISOString(), kind: 'task', outcome: `ok ${k}` });

  it('keeps each saved version and names it on the steps that version appended', async () => {
    const s = new SqliteStore(':memory:');
    const hot = s.forDriver();
    await hot.create(fakeInstance('a', { steps: [step(0)], input: { n: 0 } }));
    for (let v = 1; v <= 3; v++) {
      const loaded = (await hot.load('a'))!;
      await hot.save({ ...loaded, version: v + 1, input: { n: v }, steps: [step(v), step(v + 10)] }, v);
    }
    expect(s.stepsWithVersions('a').map((x) => [x.outcome, x.version])).toEqual([
      ['ok 0', 1],
      ['ok 1', 2],
      ['ok 11', 2],
      ['ok 2', 3],
      ['ok 12', 3],
      ['ok 3', 4],
      ['ok 13', 4],
    ]);
    expect(s.historyVersions('a').map((h) => h.version)).toEqual([1, 2, 3, 4]);
    const at2 = s.historyAt('a', 2)!;
    expect(at2).toMatchObject({ version: 2, instance: { id: 'a', version: 2, input: { n: 1 } } });
    expect(at2.instance).not.toHaveProperty('secret');
    expect(at2.instance).not.toHaveProperty('steps');
    expect(s.historyAt('a', 9)).toBeUndefined();
    s.close();
  });

  it('keeps only the newest `history` versions per instance, and none with history: 0', async () => {
    const s = new SqliteStore(':memory:', { history: 3 });
    const hot = s.forDriver();
    await hot.create(fakeInstance('a'));
    for (let v = 1; v < 10; v++) await hot.save({ ...(await hot.load('a'))!, version: v + 1 }, v);
    expect(s.historyVersions('a').map((h) => h.version)).toEqual([8, 9, 10]);
    s.close();
    const off = new SqliteStore(':memory:', { history: 0 });
    await off.create(fakeInstance('b'));
    expect(off.historyVersions('b')).toEqual([]);
    off.close();
    expect(() => new SqliteStore(':memory:', { history: -1 })).toThrow(/history/);
  });

  it('migrates a schema-3 file (steps without versions): old steps have none, new ones do', async () => {
    const path = join(dir, 'v3', 'currant.db');
    const mk = new SqliteStore(path);
    await mk.forDriver().create(fakeInstance('old', { steps: [step(1)] }));
    mk.close();
    const db = new Database(path);
    db.exec('DROP TABLE history; ALTER TABLE steps DROP COLUMN version;');
    db.close();
    const s = new SqliteStore(path);
    await s.forDriver().save({ ...(await s.forDriver().load('old'))!, version: 2, steps: [step(2)] }, 1);
    expect(s.stepsWithVersions('old').map((x) => x.version)).toEqual([undefined, 2]);
    expect(s.historyVersions('old').map((h) => h.version)).toEqual([2]);
    s.close();
  });
});
