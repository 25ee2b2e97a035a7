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
 * The step log lives in its own table, one row per step, pruned to the last STEP_LOG_LIMIT. The
 * driver works on `store.forDriver()`, a view whose `load` leaves the log out and whose `save`
 * appends the transition's new steps: a step then costs the same at step 10 and at step 10,000
 * (carrying a 200-entry log through every load and save tripled the cost of a step once the log was
 * full). `load`, `list` and the plain `save` see and write the whole log.
 *
 * Why `synchronous = NORMAL`: in WAL mode every committed transaction survives a process crash
 * (SIGKILL); only an OS crash or power loss can lose the last commits. That is the embedded
 * default's promise (see README.md); use FULL via `{ synchronous: 'FULL' }` to cover power loss.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError, InstanceConflictError, VersionConflictError } from '../../runtime/errors.ts';
import { boundSteps } from '../../runtime/core.ts';
import { summarize, type Store } from '../../runtime/ports.ts';
import { isFinal, STEP_LOG_LIMIT, type Definition, type Instance, type InstanceStatus, type InstanceSummary, type ListFilter, type StepLog } from '../../runtime/types.ts';

const SCHEMA_VERSION = 4;

/**
 * Versions of each instance whose document the `history` table keeps (the newest ones). Why 200:
 * the step log keeps the last STEP_LOG_LIMIT (200) steps, and each step names the version its
 * transition saved, so older versions could not be reached from the log anyway.
 */
export const HISTORY_LIMIT = 200;

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
  step_count INTEGER NOT NULL DEFAULT 0,
  doc TEXT NOT NULL,
  due_at TEXT
);
CREATE TABLE IF NOT EXISTS steps (
  instance_id TEXT NOT NULL, n INTEGER NOT NULL, doc TEXT NOT NULL, version INTEGER, PRIMARY KEY (instance_id, n)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
  instance_id TEXT NOT NULL, version INTEGER NOT NULL, at TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (instance_id, version)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS instances_by_status ON instances (status, created_at, id);
CREATE INDEX IF NOT EXISTS instances_by_workflow ON instances (workflow, status, created_at, id);
`;

export interface SqliteStoreOptions {
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * How many versions of each instance the `history` table keeps for step history (the viewer's
   * time travel): default HISTORY_LIMIT (200), 0 keeps none. Each kept version is one copy of the
   * instance document (state, outstanding work), typically 1–2 KB; at most 256 KiB of state.
   */
  history?: number;
}

/** `list` filters only this store has (the viewer's time range and id search). */
export interface SqliteListFilter extends ListFilter {
  /** Instances created at or after this ISO time. */
  createdFrom?: string;
  /** Instances created before this ISO time. */
  createdTo?: string;
  /** Instances whose id starts with this text. */
  idPrefix?: string;
}

/** One saved version of an instance, as the history table keeps it (no step log, no secret). */
export interface HistoryEntry {
  version: number;
  /** When the version was saved. */
  at: string;
  instance: Omit<Instance, 'steps' | 'secret' | 'redrive'>;
}

export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly stmts;
  private readonly historyLimit: number;

  constructor(readonly path: string, opts: SqliteStoreOptions = {}) {
    this.historyLimit = opts.history ?? HISTORY_LIMIT;
    if (!Number.isInteger(this.historyLimit) || this.historyLimit < 0) throw new TypeError(`SqliteStore: history must be a whole number ≥ 0, got ${opts.history}`);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    // Another process (a CLI `signal` next to a running worker) may hold the write lock briefly.
    // Set first: switching to WAL and the migration below wait for that lock too.
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    this.db.exec(SCHEMA);
    this.migrate();
    this.stmts = {
      putDef: this.db.prepare(
        `INSERT OR IGNORE INTO definitions (hash, workflow, file, source, created_at) VALUES (@hash, @workflow, @file, @source, @createdAt)`,
      ),
      getDef: this.db.prepare(`SELECT hash, workflow, file, source, created_at AS createdAt FROM definitions WHERE hash = ?`),
      create: this.db.prepare(
        `INSERT OR IGNORE INTO instances (id, workflow, definition_hash, status, version, created_at, updated_at, summary, step_count, doc, due_at)
         VALUES (@id, @workflow, @definitionHash, @status, @version, @createdAt, @updatedAt, @summary, 0, @doc, @dueAt)`,
      ),
      load: this.db.prepare(`SELECT doc, step_count AS stepCount FROM instances WHERE id = ?`),
      save: this.db.prepare(
        `UPDATE instances SET status = @status, version = @version, updated_at = @updatedAt, summary = @summary, doc = @doc, due_at = @dueAt
         WHERE id = @id AND version = @expectedVersion`,
      ),
      stepCount: this.db.prepare(`SELECT step_count AS stepCount FROM instances WHERE id = ?`),
      setStepCount: this.db.prepare(`UPDATE instances SET step_count = ? WHERE id = ?`),
      addStep: this.db.prepare(`INSERT OR REPLACE INTO steps (instance_id, n, doc, version) VALUES (?, ?, ?, ?)`),
      stepsWithVersions: this.db.prepare(`SELECT doc, version FROM steps WHERE instance_id = ? ORDER BY n DESC LIMIT ?`),
      addHistory: this.db.prepare(`INSERT OR REPLACE INTO history (instance_id, version, at, doc) VALUES (?, ?, ?, ?)`),
      pruneHistory: this.db.prepare(`DELETE FROM history WHERE instance_id = ? AND version <= ?`),
      clearHistory: this.db.prepare(`DELETE FROM history WHERE instance_id = ?`),
      historyAt: this.db.prepare(`SELECT version, at, doc FROM history WHERE instance_id = ? AND version = ?`),
      historyVersions: this.db.prepare(`SELECT version, at FROM history WHERE instance_id = ? ORDER BY version`),
      pruneSteps: this.db.prepare(`DELETE FROM steps WHERE instance_id = ? AND n <= ?`),
      clearSteps: this.db.prepare(`DELETE FROM steps WHERE instance_id = ?`),
      lastSteps: this.db.prepare(`SELECT doc FROM steps WHERE instance_id = ? ORDER BY n DESC LIMIT ?`),
      unfinished: this.db.prepare(`SELECT id FROM instances WHERE status IN ('running', 'waiting') ORDER BY created_at, id`),
      overdue: this.db.prepare(`SELECT id FROM instances WHERE due_at IS NOT NULL AND due_at < ? ORDER BY due_at LIMIT ?`),
    };
    const write = (instance: Instance, expectedVersion: number | undefined, steps: 'append' | 'replace'): void => {
      const r = row(instance);
      if (expectedVersion === undefined) {
        if (this.stmts.create.run(r).changes === 0) throw new InstanceConflictError(instance.id);
      } else if (this.stmts.save.run({ ...r, expectedVersion }).changes === 0) {
        throw new VersionConflictError(instance.id, expectedVersion);
      }
      this.writeSteps(instance.id, instance.steps, steps, instance.version);
      this.writeHistory(instance, r.doc, expectedVersion === undefined);
    };
    // One SQLite transaction per write: the row, its version check and its steps commit together.
    this.write = this.db.transaction(write);
  }

  /** Schema 1 kept the step log inside the instance document: move it to the steps table. */
  private migrate(): void {
    const cols = (this.db.prepare(`PRAGMA table_info(instances)`).all() as { name: string }[]).map((c) => c.name);
    this.db.transaction(() => {
      if (!cols.includes('due_at')) {
        // Schema 3: the earliest pending timer of each unfinished instance, indexed (the sweep's question).
        this.db.exec(`ALTER TABLE instances ADD COLUMN due_at TEXT`);
        const rows = this.db.prepare(`SELECT id, status, doc FROM instances WHERE status IN ('running', 'waiting')`).all() as { id: string; status: InstanceStatus; doc: string }[];
        const update = this.db.prepare(`UPDATE instances SET due_at = ? WHERE id = ?`);
        for (const r of rows) update.run(dueAt({ ...(JSON.parse(r.doc) as Instance), status: r.status }), r.id);
      }
      this.db.exec(`CREATE INDEX IF NOT EXISTS instances_by_due ON instances (due_at) WHERE due_at IS NOT NULL`);
      const stepCols = (this.db.prepare(`PRAGMA table_info(steps)`).all() as { name: string }[]).map((c) => c.name);
      // Schema 4: each step names the version its transition saved (step history); older steps: null.
      if (!stepCols.includes('version')) this.db.exec(`ALTER TABLE steps ADD COLUMN version INTEGER`);
      if (!cols.includes('step_count')) {
        this.db.exec(`ALTER TABLE instances ADD COLUMN step_count INTEGER NOT NULL DEFAULT 0`);
        const rows = this.db.prepare(`SELECT id, doc FROM instances`).all() as { id: string; doc: string }[];
        const add = this.db.prepare(`INSERT OR REPLACE INTO steps (instance_id, n, doc, version) VALUES (?, ?, ?, NULL)`);
        const update = this.db.prepare(`UPDATE instances SET doc = ?, step_count = ? WHERE id = ?`);
        for (const r of rows) {
          const { steps = [], ...doc } = JSON.parse(r.doc) as Instance;
          steps.forEach((st, k) => add.run(r.id, k + 1, JSON.stringify(st)));
          update.run(JSON.stringify(doc), steps.length, r.id);
        }
      }
      this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)`).run(String(SCHEMA_VERSION));
      // IMMEDIATE: take the write lock up front (waiting busy_timeout for it). A deferred
      // transaction that reads first and writes later fails at once with SQLITE_BUSY when another
      // process wrote in between — `currant status` next to a busy worker did.
    }).immediate();
  }

  private readonly write: (instance: Instance, expectedVersion: number | undefined, steps: 'append' | 'replace') => void;

  /**
   * Appended steps belong to the version being written (the driver's view appends exactly one
   * transition's steps); a replaced log keeps no versions (`null`), except at create (version 1).
   */
  private writeSteps(id: string, steps: StepLog[], mode: 'append' | 'replace', version: number): void {
    let count = mode === 'replace' ? 0 : ((this.stmts.stepCount.get(id) as { stepCount: number } | undefined)?.stepCount ?? 0);
    if (mode === 'replace') this.stmts.clearSteps.run(id);
    else if (steps.length === 0) return;
    const v = mode === 'append' || version === 1 ? version : null;
    for (const s of steps.slice(-STEP_LOG_LIMIT)) this.stmts.addStep.run(id, ++count, JSON.stringify(s), v);
    this.stmts.setStepCount.run(count, id);
    if (mode === 'append' && count > STEP_LOG_LIMIT) this.stmts.pruneSteps.run(id, count - STEP_LOG_LIMIT);
  }

  /** Keeps this version's document for step history, and drops versions beyond the limit. */
  private writeHistory(instance: Instance, doc: string, created: boolean): void {
    if (this.historyLimit === 0) return;
    if (created) this.stmts.clearHistory.run(instance.id);
    this.stmts.addHistory.run(instance.id, instance.version, instance.updatedAt, doc);
    if (instance.version > this.historyLimit) this.stmts.pruneHistory.run(instance.id, instance.version - this.historyLimit);
  }

  /**
   * The last STEP_LOG_LIMIT steps, each with the version its transition saved (`undefined` for
   * steps written before versions were recorded): the viewer's timeline, linked to `historyAt`.
   */
  stepsWithVersions(id: string): (StepLog & { version?: number })[] {
    const rows = this.stmts.stepsWithVersions.all(id, STEP_LOG_LIMIT) as { doc: string; version: number | null }[];
    const out: (StepLog & { version?: number })[] = [];
    for (let k = rows.length - 1; k >= 0; k--) {
      const s = JSON.parse(rows[k]!.doc) as StepLog & { version?: number };
      if (rows[k]!.version !== null) s.version = rows[k]!.version!;
      out.push(s);
    }
    return out;
  }

  /** The instance as it was saved at `version` (without step log or secret), if the history keeps it. */
  historyAt(id: string, version: number): HistoryEntry | undefined {
    const r = this.stmts.historyAt.get(id, version) as { version: number; at: string; doc: string } | undefined;
    if (!r) return undefined;
    const { secret: _s, redrive: _r, ...doc } = JSON.parse(r.doc) as Instance;
    return { version: r.version, at: r.at, instance: doc };
  }

  /** The versions the history keeps for an instance, oldest first. */
  historyVersions(id: string): { version: number; at: string }[] {
    return this.stmts.historyVersions.all(id) as { version: number; at: string }[];
  }

  /**
   * The store the runtime driver should use: `load` gives the instance with an empty step log and
   * `save` appends the instance's steps (then exactly the transition's new ones) to the log.
   */
  forDriver(): Store {
    return {
      putDefinition: (d) => this.putDefinition(d),
      getDefinition: (h) => this.getDefinition(h),
      create: (i) => this.create(i),
      load: async (id) => this.read(id, false),
      save: async (i, v) => this.write(i, v, 'append'),
      list: (f) => this.list(f),
    };
  }

  async putDefinition(def: Definition): Promise<void> {
    this.stmts.putDef.run(def);
  }

  async getDefinition(hash: string): Promise<Definition | undefined> {
    return this.stmts.getDef.get(hash) as Definition | undefined;
  }

  async create(instance: Instance): Promise<void> {
    this.write(instance, undefined, 'replace');
  }

  /** The instance with the last STEP_LOG_LIMIT steps. */
  async load(id: string): Promise<Instance | undefined> {
    return this.read(id, true);
  }

  /** Writes the instance and replaces its step log with `instance.steps`. */
  async save(instance: Instance, expectedVersion: number): Promise<void> {
    this.write(instance, expectedVersion, 'replace');
  }

  private read(id: string, withSteps: boolean): Instance | undefined {
    const r = this.stmts.load.get(id) as { doc: string; stepCount: number } | undefined;
    if (!r) return undefined;
    const instance = JSON.parse(r.doc) as Instance;
    instance.steps = [];
    if (withSteps && r.stepCount > 0) {
      const rows = this.stmts.lastSteps.all(id, STEP_LOG_LIMIT) as { doc: string }[];
      for (let k = rows.length - 1; k >= 0; k--) instance.steps.push(JSON.parse(rows[k]!.doc) as StepLog);
      // the table keeps STEP_LOG_LIMIT rows; the byte bound (STEP_LOG_MAX_BYTES) applies when read
      instance.steps = boundSteps(instance.steps);
    }
    return instance;
  }

  async list(filter: SqliteListFilter): Promise<{ items: InstanceSummary[]; cursor?: string }> {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    for (const [key, op] of [['createdFrom', '>='], ['createdTo', '<']] as const) {
      const t = filter[key];
      if (t === undefined) continue;
      if (Number.isNaN(Date.parse(t))) throw new InputError([`${key} must be an ISO time, got '${String(t).slice(0, 100)}'`]);
      where.push(`created_at ${op} @${key}`);
      params[key] = new Date(t).toISOString();
    }
    if (filter.idPrefix !== undefined && filter.idPrefix !== '') {
      where.push('substr(id, 1, length(@idPrefix)) = @idPrefix');
      params.idPrefix = filter.idPrefix;
    }
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
      const [createdAt, id] = decodeCursor(filter.cursor);
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

  /**
   * Unfinished instances whose earliest pending timer is due before `beforeIso`, earliest first, at
   * most `limit`: the worker's sweep asks this (an index read) instead of loading every instance.
   */
  overdue(beforeIso: string, limit: number): string[] {
    return (this.stmts.overdue.all(beforeIso, limit) as { id: string }[]).map((r) => r.id);
  }

  /**
   * The greatest instance id that starts with `prefix` (a primary-key range read, not a scan): a
   * schedule's newest firing, since its ids are `<name>@<UTC time>` and sort in time order.
   */
  lastIdWithPrefix(prefix: string): string | undefined {
    // '~' sorts after every character an id may hold ([A-Za-z0-9._:@-]).
    const row = this.db.prepare(`SELECT id FROM instances WHERE id >= ? AND id < ? ORDER BY id DESC LIMIT 1`).get(prefix, `${prefix}~`) as { id: string } | undefined;
    return row?.id;
  }

  /** Counts by status (for status views and tests), of one workflow's instances when given. */
  counts(workflow?: string): Partial<Record<InstanceStatus, number>> {
    const rows = (
      workflow === undefined
        ? this.db.prepare(`SELECT status, COUNT(*) AS n FROM instances GROUP BY status`).all()
        : this.db.prepare(`SELECT status, COUNT(*) AS n FROM instances WHERE workflow = ? GROUP BY status`).all(workflow)
    ) as { status: InstanceStatus; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /** The workflow names that have instances, sorted. */
  workflows(): string[] {
    return (this.db.prepare(`SELECT DISTINCT workflow FROM instances ORDER BY workflow`).all() as { workflow: string }[]).map((r) => r.workflow);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function row(i: Instance) {
  // The step log is stored in its own table, not in the document.
  const { steps: _steps, ...doc } = i;
  return {
    id: i.id,
    workflow: i.workflow,
    definitionHash: i.definitionHash,
    status: i.status,
    version: i.version,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
    summary: JSON.stringify(summarize(i)),
    doc: JSON.stringify(doc),
    dueAt: dueAt(i),
  };
}

/** When the instance's earliest pending timer is due (normalised ISO, so text order is time order); null when finished or none. */
function dueAt(i: Pick<Instance, 'status' | 'timers'>): string | null {
  if (isFinal(i.status)) return null;
  let best = Infinity;
  for (const t of Object.values(i.timers ?? {})) best = Math.min(best, Date.parse(t.fireAt));
  return Number.isFinite(best) ? new Date(best).toISOString() : null;
}

/**
 * `[createdAt, id]` from a list cursor (base64url JSON of two strings, as `list` makes them); a
 * forged or garbled cursor is an InputError (400 INPUT_INVALID / CLI exit 2), never a SQL error.
 */
export function decodeCursor(cursor: string): [string, string] {
  const bad = () => new InputError(['invalid cursor (it must come from a previous page of the same listing)']);
  if (cursor.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(c) || c.length !== 2 || !c.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 1024)) throw bad();
  if (Number.isNaN(Date.parse(c[0] as string))) throw bad();
  return c as [string, string];
}
