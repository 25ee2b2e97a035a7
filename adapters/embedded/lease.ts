/**
 * Per-instance leases in the SQLite file: which live process runs an instance's task attempts and
 * timers. Several processes may open one database (`currant run --id X` twice, two workers, a
 * worker next to a `run`); only the holder of an instance's lease dispatches its work, so no
 * attempt runs in two processes at once.
 *
 * Takes the store's database handle, this process's owner id, a time to live and a clock; gives
 * `acquire` / `holds` / `renew` / `release` and `expired` (instances whose holder stopped renewing).
 *
 *   const leases = new Leases(store.db, { ttlMs: 15_000 });
 *   if (leases.acquire('order-1')) dispatch(work);    // free, expired, or already ours
 *   setInterval(() => leases.renew(), 5_000);          // a live process keeps what it holds
 *   leases.release('order-1');                         // finished: let anyone have it
 *
 * A lease is a row `(instance_id, owner, expires_at)`. Taking it is one conditional upsert: the row
 * is written only if there is none, it is ours, or it expired — so of two processes racing for it,
 * SQLite's write lock lets exactly one win. A process that dies stops renewing, and its leases
 * expire after `ttlMs`; a live one renews all of its leases with one UPDATE every `ttlMs / 3`.
 * Owners are `host:pid:random`: a lease held by a process of this host that no longer exists
 * (killed, crashed) is taken at once instead of after its expiry — a restart after `kill -9` does
 * not wait. (A recycled pid only makes us wait for the expiry: the safe side.)
 * `holds` answers from memory while the lease has more than a third of its time left and renews
 * it in the database otherwise, so an attempt never starts under a lease that may have run out.
 *
 * Limit (docs/operations.md): a process whose event loop is blocked for longer than `ttlMs` (a task
 * doing synchronous work that long) cannot renew, so another process may take its instances over
 * and run their attempts again; tasks get a stable idempotency key for that.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';

/** Default time a lease lasts without renewal. */
export const DEFAULT_LEASE_TTL_MS = 15_000;

export interface LeaseOptions {
  /** How long a lease lasts without renewal (default 15 s). */
  ttlMs?: number;
  /** This process's owner id (default `host:pid:random`). */
  owner?: string;
  /** Clock in epoch ms (default Date.now). */
  now?: () => number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS leases (
  instance_id TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS leases_by_expiry ON leases (expires_at);
`;

export class Leases {
  readonly owner: string;
  readonly ttlMs: number;
  private readonly now: () => number;
  /** Instances whose lease this process holds, with when it runs out. */
  private readonly held = new Map<string, number>();
  private readonly stmts;

  constructor(db: Database.Database, opts: LeaseOptions = {}) {
    this.owner = opts.owner ?? `${HOST}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.ttlMs = opts.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    if (!Number.isInteger(this.ttlMs) || this.ttlMs < 100) throw new RangeError(`lease ttl must be a whole number of ms >= 100, got ${this.ttlMs}`);
    this.now = opts.now ?? Date.now;
    db.exec(SCHEMA);
    this.stmts = {
      // Written only when there is no row, the row is ours, or it has expired: exactly one racer wins.
      acquire: db.prepare(
        `INSERT INTO leases (instance_id, owner, expires_at) VALUES (@id, @owner, @expires)
         ON CONFLICT (instance_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE leases.owner = excluded.owner OR leases.expires_at <= @now`,
      ),
      renewAll: db.prepare(`UPDATE leases SET expires_at = @expires WHERE owner = @owner`),
      mine: db.prepare(`SELECT instance_id AS id FROM leases WHERE owner = ?`),
      release: db.prepare(`DELETE FROM leases WHERE instance_id = ? AND owner = ?`),
      releaseAll: db.prepare(`DELETE FROM leases WHERE owner = ?`),
      expired: db.prepare(`SELECT instance_id AS id FROM leases WHERE expires_at <= ? ORDER BY expires_at LIMIT ?`),
      holder: db.prepare(`SELECT owner, expires_at AS expiresAt FROM leases WHERE instance_id = ?`),
      steal: db.prepare(`UPDATE leases SET owner = @owner, expires_at = @expires WHERE instance_id = @id AND owner = @dead`),
    };
  }

  /** Takes (or keeps) the lease of an instance: true when this process holds it now. */
  acquire(id: string): boolean {
    const now = this.now();
    const expires = now + this.ttlMs;
    let won = this.stmts.acquire.run({ id, owner: this.owner, expires, now }).changes > 0;
    if (!won) {
      // Held and not expired: by a process of this host that is gone? Then it is ours now.
      const dead = this.holder(id);
      if (dead !== undefined && deadHere(dead)) won = this.stmts.steal.run({ id, owner: this.owner, expires, dead }).changes > 0;
    }
    if (won) this.held.set(id, expires);
    else this.held.delete(id);
    return won;
  }

  /**
   * Whether this process holds the lease right now: from memory while more than a third of its
   * time is left, else renewed in the database first (false when another process has it).
   */
  holds(id: string): boolean {
    const until = this.held.get(id);
    if (until === undefined) return false;
    if (until - this.now() > this.ttlMs / 3) return true;
    return this.acquire(id);
  }

  /** Renews every lease this process holds; gives the instances it lost (taken over after expiring). */
  renew(): string[] {
    if (this.held.size === 0) return [];
    const expires = this.now() + this.ttlMs;
    this.stmts.renewAll.run({ expires, owner: this.owner });
    const still = new Set((this.stmts.mine.all(this.owner) as { id: string }[]).map((r) => r.id));
    const lost: string[] = [];
    for (const id of [...this.held.keys()]) {
      if (still.has(id)) this.held.set(id, expires);
      else {
        this.held.delete(id);
        lost.push(id);
      }
    }
    return lost;
  }

  release(id: string): void {
    this.held.delete(id);
    this.stmts.release.run(id, this.owner);
  }

  releaseAll(): void {
    this.held.clear();
    this.stmts.releaseAll.run(this.owner);
  }

  /** Instances whose lease ran out (their holder stopped renewing), oldest first, at most `limit`. */
  expired(limit = 500): string[] {
    return (this.stmts.expired.all(this.now(), limit) as { id: string }[]).map((r) => r.id);
  }

  /** Who holds an instance's lease now (undefined: nobody, or it expired). */
  holder(id: string): string | undefined {
    const r = this.stmts.holder.get(id) as { owner: string; expiresAt: number } | undefined;
    return r && r.expiresAt > this.now() ? r.owner : undefined;
  }

  /** Instances this process holds. */
  get count(): number {
    return this.held.size;
  }
}

const HOST = hostname();

/** Whether an owner id names a process of this host that no longer runs. */
export function deadHere(owner: string): boolean {
  const m = /^(.*):(\d+):[0-9a-f]+$/.exec(owner);
  if (!m || m[1] !== HOST) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    // EPERM: it exists (another user's process); ESRCH: gone.
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
