/**
 * The embedded `Store`: one SQLite file through better-sqlite3 12 in WAL mode.
 *
 * Takes a file path (its folder is created), gives the runtime's `Store` port plus `unfinished()`
 * for restarts. Each instance is one row: indexed columns for listing and the whole instance as a
 * JSON document; `save` is `UPDATE … WHERE id = ? AND version = ?`, so it is conditional.
 *
 *   const store = new SqliteStore('.currant/currant.db');
 *   await store.create(instance);
 *   await store.save({ ...instance, version: 2 }, 1); // VersionConflictError if someone saved first
 *
 * Why `synchronous = NORMAL`: in WAL mode every committed transaction survives a process crash
 * (SIGKILL); only an OS crash or power loss can lose the last commits. That is the embedded
 * default's promise (see README.md); use FULL via `{ synchronous: 'FULL' }` to cover power loss.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { InstanceConflictError, VersionConflictError } from '../../runtime/errors.ts';
import { summarize, type Store } from '../../runtime/ports.ts';
import type { Definition, Instance, InstanceStatus, InstanceSummary, ListFilter } from '../../runtime/types.ts';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS definitions (
  hash TEXT PRIMARY KEY, workflow TEXT NOT NULL, file TEXT NOT NULL, source TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS instances (
  id TEXT PRIMARY KEY,
  workflow TEXT NOT NULL,
  definition_hash TEXT NOT NULL,
  status TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  summary TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS instances_by_status ON instances (status, created_at, id);
CREATE INDEX IF NOT EXISTS instances_by_workflow ON instances (workflow, status, created_at, id);
`;

export interface SqliteStoreOptions {
  synchronous?: 'NORMAL' | 'FULL';
}

export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly stmts;

  constructor(readonly path: string, opts: SqliteStoreOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    // Another process (a CLI `signal` next to a running worker) may hold the write lock briefly.
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)`).run(String(SCHEMA_VERSION));
    this.stmts = {
      putDef: this.db.prepare(
        `INSERT OR IGNORE INTO definitions (hash, workflow, file, source, created_at) VALUES (@hash, @workflow, @file, @source, @createdAt)`,
      ),
      getDef: this.db.prepare(`SELECT hash, workflow, file, source, created_at AS createdAt FROM definitions WHERE hash = ?`),
      create: this.db.prepare(
        `INSERT OR IGNORE INTO instances (id, workflow, definition_hash, status, version, created_at, updated_at, summary, doc)
         VALUES (@id, @workflow, @definitionHash, @status, @version, @createdAt, @updatedAt, @summary, @doc)`,
      ),
      load: this.db.prepare(`SELECT doc FROM instances WHERE id = ?`),
      save: this.db.prepare(
        `UPDATE instances SET status = @status, version = @version, updated_at = @updatedAt, summary = @summary, doc = @doc
         WHERE id = @id AND version = @expectedVersion`,
      ),
      unfinished: this.db.prepare(`SELECT id FROM instances WHERE status IN ('running', 'waiting') ORDER BY created_at, id`),
    };
  }

  async putDefinition(def: Definition): Promise<void> {
    this.stmts.putDef.run(def);
  }

  async getDefinition(hash: string): Promise<Definition | undefined> {
    return this.stmts.getDef.get(hash) as Definition | undefined;
  }

  async create(instance: Instance): Promise<void> {
    const r = this.stmts.create.run(row(instance));
    if (r.changes === 0) throw new InstanceConflictError(instance.id);
  }

  async load(id: string): Promise<Instance | undefined> {
    const r = this.stmts.load.get(id) as { doc: string } | undefined;
    return r ? (JSON.parse(r.doc) as Instance) : undefined;
  }

  async save(instance: Instance, expectedVersion: number): Promise<void> {
    const r = this.stmts.save.run({ ...row(instance), expectedVersion });
    if (r.changes === 0) throw new VersionConflictError(instance.id, expectedVersion);
  }

  async list(filter: ListFilter): Promise<{ items: InstanceSummary[]; cursor?: string }> {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.workflow !== undefined) {
      where.push('workflow = @workflow');
      params.workflow = filter.workflow;
    }
    if (filter.status !== undefined) {
      where.push('status = @status');
      params.status = filter.status;
    }
    if (filter.cursor) {
      // Keyset pagination, newest first: rows strictly after the last one of the previous page.
      const [createdAt, id] = JSON.parse(Buffer.from(filter.cursor, 'base64url').toString('utf8')) as [string, string];
      where.push('(created_at < @cAt OR (created_at = @cAt AND id < @cId))');
      params.cAt = createdAt;
      params.cId = id;
    }
    const limit = Math.max(1, Math.min(1000, filter.limit ?? 100));
    params.limit = limit + 1;
    const sql = `SELECT created_at AS createdAt, id, summary FROM instances ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
                 ORDER BY created_at DESC, id DESC LIMIT @limit`;
    const rows = this.db.prepare(sql).all(params) as { createdAt: string; id: string; summary: string }[];
    const page = rows.slice(0, limit);
    const out: { items: InstanceSummary[]; cursor?: string } = { items: page.map((r) => JSON.parse(r.summary) as InstanceSummary) };
    if (rows.length > limit) {
      const last = page[page.length - 1]!;
      out.cursor = Buffer.from(JSON.stringify([last.createdAt, last.id]), 'utf8').toString('base64url');
    }
    return out;
  }

  /** Ids of instances that are not finished (running or waiting), oldest first. */
  unfinished(): string[] {
    return (this.stmts.unfinished.all() as { id: string }[]).map((r) => r.id);
  }

  /** Counts by status (for status views and tests). */
  counts(): Partial<Record<InstanceStatus, number>> {
    const rows = this.db.prepare(`SELECT status, COUNT(*) AS n FROM instances GROUP BY status`).all() as { status: InstanceStatus; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function row(i: Instance) {
  return {
    id: i.id,
    workflow: i.workflow,
    definitionHash: i.definitionHash,
    status: i.status,
    version: i.version,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
    summary: JSON.stringify(summarize(i)),
    doc: JSON.stringify(i),
  };
}
