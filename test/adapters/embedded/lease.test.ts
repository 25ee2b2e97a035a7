/**
 * Leases (adapters/embedded/lease.ts) on one SQLite database, with a clock the test moves: one
 * holder at a time, renewal keeps a lease, expiry frees it, a holder of this host whose process is
 * gone loses it at once. (Real processes: test/cli/lease.test.ts.)
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { deadHere, Leases } from '../../../adapters/embedded/lease.ts';

function pair(ttlMs = 1000) {
  const db = new Database(':memory:');
  let now = 1_000_000;
  const clock = () => now;
  const a = new Leases(db, { ttlMs, owner: 'other-host:1:aa', now: clock });
  const b = new Leases(db, { ttlMs, owner: 'other-host:2:bb', now: clock });
  return { db, a, b, advance: (ms: number) => (now += ms) };
}

describe('Leases', () => {
  it('gives an instance to one owner at a time; the holder keeps it, the other is refused', () => {
    const { a, b } = pair();
    expect(a.acquire('i1')).toBe(true);
    expect(b.acquire('i1')).toBe(false);
    expect(a.acquire('i1')).toBe(true); // again: still ours
    expect(b.holder('i1')).toBe('other-host:1:aa');
    expect(b.acquire('i2')).toBe(true); // another instance is another lease
    expect(a.holds('i1')).toBe(true);
    expect(b.holds('i1')).toBe(false);
  });

  it('a lease that is not renewed expires and can be taken; renewing keeps it', () => {
    const { a, b, advance } = pair(1000);
    a.acquire('kept');
    a.acquire('dropped');
    advance(600);
    expect(a.renew()).toEqual([]); // renews both until +1600
    advance(600);
    expect(b.acquire('kept')).toBe(false);
    expect(b.expired()).toEqual([]);
    advance(1000); // a stopped renewing (a process on another host that died, or froze)
    expect(b.expired().sort()).toEqual(['dropped', 'kept']);
    expect(b.acquire('kept')).toBe(true);
    // a learns at its next renewal that it lost 'kept'; 'dropped', which nobody took, it keeps
    expect(a.renew()).toEqual(['kept']);
    expect(a.holds('kept')).toBe(false);
    expect(a.holds('dropped')).toBe(true);
  });

  it('holds() renews a lease that is running out before saying yes, and says no once another owner has it', () => {
    const { a, b, advance } = pair(900);
    a.acquire('i');
    advance(700); // under a third left: holds() must check the database
    expect(a.holds('i')).toBe(true);
    advance(700); // renewed at +700, so still valid at +1400
    expect(b.acquire('i')).toBe(false);
    advance(1000);
    expect(b.acquire('i')).toBe(true);
    expect(a.holds('i')).toBe(false);
  });

  it('release hands an instance over at once; releaseAll all of an owner\'s', () => {
    const { a, b } = pair();
    a.acquire('x');
    a.acquire('y');
    a.release('x');
    expect(b.acquire('x')).toBe(true);
    a.releaseAll();
    expect(b.acquire('y')).toBe(true);
    expect(a.count).toBe(0);
  });

  it('takes a lease at once from a process of this host that is gone, never from a live one', () => {
    const db = new Database(':memory:');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadOwner = `${hostname()}:${gone.stdout}:dead`;
    expect(deadHere(deadOwner)).toBe(true);
    expect(deadHere(`${hostname()}:${process.pid}:beef`)).toBe(false); // ourselves
    expect(deadHere(`${hostname()}:1:beef`)).toBe(false); // pid 1 lives
    expect(deadHere(`elsewhere:${gone.stdout}:dead`)).toBe(false); // another host: wait for the expiry
    new Leases(db, { ttlMs: 60_000, owner: deadOwner }).acquire('i');
    const live = new Leases(db, { ttlMs: 60_000, owner: `${hostname()}:1:beef` });
    expect(live.acquire('j')).toBe(true);
    const me = new Leases(db, { ttlMs: 60_000 });
    expect(me.acquire('i')).toBe(true); // its holder's process is gone
    expect(me.acquire('j')).toBe(false); // its holder lives
  });
});
