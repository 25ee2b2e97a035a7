/**
 * Every example runs with the exact command documented in examples/README.md (plus a temporary
 * --db and --json) through the real CLI, and gives the expected status and result. The approval
 * example is also answered with `currant signal` from another process while `run` waits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/embedded/index.ts';
import { currant, eventually, ROOT, spawnCurrant, statusOf, tempDir } from '../cli/helpers.ts';

const tmp = tempDir('currant-examples-');
afterAll(tmp.cleanup);

/** The documented commands, by example folder (and input file, for examples with two). */
const README = readFileSync(join(ROOT, 'examples/README.md'), 'utf8');
const COMMANDS = [...README.matchAll(/`npx currant (run examples\/[^`]+)`/g)].map((m) => m[1]!.split(/\s+/));

function documented(input: string): string[] {
  const cmd = COMMANDS.find((c) => c.includes(`@examples/${input}`));
  if (!cmd) throw new Error(`examples/README.md documents no command with --input @examples/${input}`);
  return cmd;
}

let n = 0;
/** Runs a documented command with a fresh database (and a fresh id when it names one). */
async function runExample(input: string) {
  const args = documented(input).map((a, i, all) => (all[i - 1] === '--id' ? `${a}-${++n}` : a));
  const db = join(tmp.dir, `ex-${++n}.db`);
  const r = await currant([...args, '--db', db, '--json']);
  return { ...r, db, out: r.stdout ? JSON.parse(r.stdout) : undefined };
}

const inputOf = (file: string) => JSON.parse(readFileSync(join(ROOT, 'examples', file), 'utf8'));

// Each CLI call starts node + tsx (about a second, more when test files run in parallel).
describe('examples', { timeout: 90_000 }, () => {
  it('documents one command per example, the same in examples/README.md and the folder README', () => {
    for (const name of ['order', 'approval', 'fanout', 'fanin', 'flaky', 'polling', 'saga', 'mixed', 'digest', 'race', 'quorum', 'reservation', 'bulk', 'children']) {
      const cmd = COMMANDS.find((c) => c[1] === `examples/${name}/${name}.workflow` && c.includes(`@examples/${name}/input.json`));
      expect(cmd, name).toBeDefined();
      const own = readFileSync(join(ROOT, 'examples', name, 'README.md'), 'utf8');
      expect(own).toContain(`npx currant ${cmd!.join(' ')}`);
    }
  });

  it('digest: counts and sends, once by hand (its schedule: test/cli/schedules.e2e.test.ts, infra-test/schedules.test.ts)', async () => {
    const r = await runExample('digest/input.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatchObject({ workflow: 'dailyDigest', status: 'completed', result: 'eu: 3 open orders' });
    expect(r.stderr).toContain('digest for eu: eu: 3 open orders');
    const listed = await currant(['schedules', '--schedules', 'examples/digest/currant.schedules.json', '--db', r.db, '--json']);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ name: 'daily-digest', workflow: 'dailyDigest', cron: '0 6 * * *', timeZone: 'Europe/Paris', last: null }]);
  });

  it('children: pays through an awaited child workflow, mails through a detached one; list and status show them', async () => {
    const r = await runExample('children/input.json');
    expect(r.code, r.stderr).toBe(0);
    const { orderId } = inputOf('children/input.json');
    expect(r.out).toMatchObject({ workflow: 'order', status: 'completed', result: { paymentId: `pay-${orderId}-1`, tracking: `track-${orderId}`, mail: `mail-${orderId}` } });
    const listed = JSON.parse((await currant(['list', '--db', r.db, '--json'])).stdout) as { id: string; workflow: string; status: string; parent?: string }[];
    const child = listed.find((s) => s.workflow === 'charge')!;
    expect(child).toMatchObject({ id: `${r.out.id}:${child.id.split(':').pop()}`, status: 'completed', parent: r.out.id });
    expect(listed.find((s) => s.workflow === 'notify')).toMatchObject({ id: `mail-${orderId}`, parent: r.out.id });
    const status = await statusOf(r.out.id, r.db);
    expect(status.children.map((c: { workflow: string; status: string }) => [c.workflow, c.status])).toEqual([
      ['charge', 'completed'],
      ['notify', 'detached'],
    ]);
  });

  it('children: a declined card fails the child; the parent catches CR040 and fails on purpose', async () => {
    const r = await runExample('children/input-declined.json');
    expect(r.code).toBe(1);
    expect(r.out).toMatchObject({ workflow: 'order', status: 'failed', error: { code: 'CR017', message: `order ${inputOf('children/input-declined.json').orderId} not paid (CR007)` } });
  });

  it('order: ships and returns the tracking id', async () => {
    const r = await runExample('order/input.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatchObject({ workflow: 'processOrder', status: 'completed', result: `TRK-${inputOf('order/input.json').orderId}` });
  });

  it('order: a shipping failure refunds the payment', async () => {
    const r = await runExample('order/input-refund.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatchObject({ status: 'completed', result: 'refunded' });
    const { orderId } = inputOf('order/input-refund.json');
    expect(r.stderr).toContain(`refunded pay-${orderId} for ${orderId}`);
  });

  it('approval: nobody answers, the timeout path finishes on its own', async () => {
    const r = await runExample('approval/input.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatchObject({ workflow: 'approval', status: 'completed', result: 'expired: nobody answered in time' });
  });

  it('approval: `currant signal` from another process approves while run waits', async () => {
    const db = join(tmp.dir, 'approval-signal.db');
    const args = documented('approval/input.json').map((a, i, all) => (all[i - 1] === '--id' ? 'req-signal' : a));
    const run = spawnCurrant([...args, '--db', db, '--json']);
    // The signal may arrive before the workflow waits for it: it is buffered, so sending as soon as
    // the instance exists is enough (and keeps the test far from the 5s timeout).
    // Looking in the database directly (not with `currant status`) saves a process start.
    await eventually(async () => {
      if (!existsSync(db)) return undefined;
      const store = new SqliteStore(db);
      try {
        return await store.load('req-signal');
      } finally {
        store.close();
      }
    }, 20_000, 'the instance');
    const sent = await currant(['signal', 'req-signal', 'approval', '{"approved": true, "by": "ana"}', '--db', db]);
    expect(sent.code, sent.stderr).toBe(0);
    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ id: 'req-signal', status: 'completed', result: 'approved by ana' });
  });

  it('fanout: every item processed, results in order, never more than 3 in flight', async () => {
    const r = await runExample('fanout/input.json');
    expect(r.code, r.stderr).toBe(0);
    const { items } = inputOf('fanout/input.json') as { items: string[] };
    expect(r.out.status).toBe('completed');
    expect(r.out.result.count).toBe(items.length);
    expect(r.out.result.totalSize).toBe(items.reduce((s, i) => s + i.length, 0));
    expect(r.out.result.peakInFlight).toBeGreaterThanOrEqual(1);
    expect(r.out.result.peakInFlight).toBeLessThanOrEqual(3);
  });

  it('fanin: every item at once, every result summed', async () => {
    const r = await runExample('fanin/input.json');
    expect(r.code, r.stderr).toBe(0);
    const { items } = inputOf('fanin/input.json') as { items: number[] };
    expect(r.out).toMatchObject({ status: 'completed', result: { count: items.length, sum: items.reduce((s, n) => s + n * n, 0) } });
  });

  it('flaky: succeeds on the third attempt after two retries', async () => {
    const r = await runExample('flaky/input.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatchObject({ status: 'completed', result: `${inputOf('flaky/input.json').symbol} at 101.5 (attempt 3)` });
    const { steps } = await statusOf(r.out.id, r.db);
    expect(steps.filter((s: { kind: string }) => s.kind === 'retry')).toHaveLength(2);
  });

  it('race: the quote comes within the second', async () => {
    const r = await runExample('race/input.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatchObject({ workflow: 'bestPrice', status: 'completed', result: { price: 12.5, from: 'acme' } });
  });

  it('race: a slow supplier loses to the timer; the list price is used', async () => {
    const r = await runExample('race/input-slow.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatchObject({ status: 'completed', result: { price: 15, from: 'list' } });
    const { steps } = await statusOf(r.out.id, r.db);
    expect(steps.map((s: { kind: string; outcome: string }) => `${s.kind} ${s.outcome}`)).toContain('log slow did not answer within 1s; using the list price');
  });

  it('quorum: approved once 3 of 5 say yes', async () => {
    const r = await runExample('quorum/input.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatchObject({ workflow: 'quorum', status: 'completed', result: { decision: 'approved', yes: 3, no: 1 } });
  });

  it('quorum: the deadline wins when too many approvers are away', async () => {
    const r = await runExample('quorum/input-expired.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatchObject({ status: 'completed', result: { decision: 'expired', yes: 1, no: 1 } });
  });

  it('reservation: `currant cancel` from another process; the catch releases the reservation, the run exits 3', async () => {
    const db = join(tmp.dir, 'reservation-cancel.db');
    const args = documented('reservation/input.json').map((a, i, all) => (all[i - 1] === '--id' ? 'hold-cancel' : a));
    const run = spawnCurrant([...args, '--db', db, '--json']);
    // cancel once the instance waits for its confirmation
    await eventually(async () => {
      if (!existsSync(db)) return undefined;
      const store = new SqliteStore(db);
      try {
        const i = await store.load('hold-cancel');
        return i?.status === 'waiting' ? i : undefined;
      } finally {
        store.close();
      }
    }, 20_000, 'the instance waiting for confirm');
    const cancel = await currant(['cancel', 'hold-cancel', '--db', db]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/^cancelling hold-cancel \(was waiting\): the workflow compensates until /);
    const done = await run.done;
    expect(done.code, done.stderr).toBe(3);
    expect(JSON.parse(done.stdout)).toMatchObject({ id: 'hold-cancel', status: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled with currant cancel' } });
    // the compensation ran in the run's process: the release task, after the log line
    expect(done.stderr).toContain('released res-chair');
    const { steps } = await statusOf('hold-cancel', db);
    const kinds = steps.map((s: { kind: string; task?: string; outcome: string }) => `${s.kind} ${s.task ?? ''} ${s.outcome}`.replace(/ +/g, ' '));
    expect(kinds).toContain('log CancelledError: cancelled with currant cancel; releasing res-chair');
    expect(kinds).toContain('task release ok');
    expect(kinds.at(-1)).toBe('cancel cancelled: cancelled with currant cancel');
  });

  it('saga: every booking made, nothing cancelled', async () => {
    const r = await runExample('saga/input.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatchObject({ status: 'completed', result: { hotel: 'hotel-t1', flight: 'flight-t1', car: 'car-t1' } });
    expect(r.stderr).not.toContain('cancelled');
  });

  it('saga: no seats — the hotel is cancelled, then the instance fails saying why, at the throw', async () => {
    const r = await runExample('saga/input-noseats.json');
    expect(r.code).toBe(1);
    expect(r.out).toMatchObject({ status: 'failed', error: { code: 'CR017', message: 'trip t2 not booked (NoSeats: no seats to Atlantis)', line: 20 } });
    expect(r.stderr).toContain('cancelled hotel-t2');
    const { steps } = await statusOf(r.out.id, r.db);
    expect(steps.filter((s: { kind: string }) => s.kind === 'task').map((s: { task: string }) => s.task)).toEqual(['bookHotel', 'bookFlight', 'cancelHotel']);
  });

  it('bulk: a 5 MB task result, passed on as an argument', async () => {
    const r = await runExample('bulk/input.json');
    expect(r.code, r.stderr).toBe(0);
    const { text, bytes } = inputOf('bulk/input.json') as { text: string; bytes: number };
    const report = text.repeat(Math.ceil(bytes / text.length)).slice(0, bytes);
    const { createHash } = await import('node:crypto');
    expect(r.out).toMatchObject({ status: 'completed', result: { inputChars: text.length, reportChars: bytes, digest: { bytes, sha256: createHash('sha256').update(report).digest('hex') } } });
  });

  it('polling: checks until the job is done, sleeping between checks', async () => {
    const r = await runExample('polling/input.json');
    expect(r.code, r.stderr).toBe(0);
    const jobId = `job-${inputOf('polling/input.json').name}`;
    expect(r.out).toMatchObject({ status: 'completed', result: { jobId, checks: 3, result: `${jobId}: 3 pages, 42 rows` } });
  });

  it('mixed: Node and Python tasks together, the Python ones in a Python process', async () => {
    const r = await runExample('mixed/input.json');
    expect(r.code, r.stderr).toBe(0);
    const text = (inputOf('mixed/input.json').text as string).trim().replace(/\s+/g, ' ').toLowerCase();
    const words = text.split(' ').length;
    const letters = [...text].filter((c) => /\p{L}/u.test(c)).length;
    expect(r.out).toMatchObject({ workflow: 'mixed', status: 'completed', result: { text, words, letters, headline: `${text.toUpperCase()} (${words} words, ${letters} letters)` } });
  });
});
