import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createEngine, loadSchedulesFile, ScheduleRunner, SchedulesFileError, type Engine, type FiringOutcome } from '../../../adapters/embedded/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'currant-schedules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const open: Engine[] = [];
const runners: ScheduleRunner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) r.stop();
  await Promise.all(open.splice(0).map((e) => e.close()));
});

const REPORT = 'task build(day: string): string\nworkflow nightlyReport(day: string): string { const r = await build(day)\n return r }';
const PING = 'workflow ping(): string { return "pong" }';

/** A folder with two workflows and a schedules file over them. */
function project(name: string, schedules: unknown): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'reports'), { recursive: true });
  writeFileSync(join(root, 'reports', 'nightly.workflow'), REPORT);
  writeFileSync(join(root, 'ping.workflow'), PING);
  const file = join(root, 'currant.schedules.json');
  writeFileSync(file, JSON.stringify(schedules));
  return file;
}

async function engine(root: string, now?: () => Date): Promise<Engine> {
  const e = await createEngine({ dbPath: join(root, 'currant.db'), tasks: { build: async (day: string) => `report for ${day}` }, clock: now ? { now } : undefined });
  open.push(e);
  return e;
}

describe('loadSchedulesFile', () => {
  it('loads declarations with their workflow files (relative to the schedules file), input checked', () => {
    const file = project('ok', {
      schedules: [
        { name: 'nightly-report', file: 'reports/nightly.workflow', cron: '0 2 * * *', timeZone: 'Europe/Paris', input: { day: 'yesterday' } },
        { name: 'ping', file: 'ping.workflow', workflow: 'ping', rate: '15m' },
      ],
    });
    const loaded = loadSchedulesFile(file);
    expect(loaded.map((l) => l.schedule)).toEqual([
      { name: 'nightly-report', workflow: 'nightlyReport', cron: '0 2 * * *', timeZone: 'Europe/Paris', input: { day: 'yesterday' } },
      { name: 'ping', workflow: 'ping', rate: '15m', everyMs: 900_000, timeZone: 'UTC', input: {} },
    ]);
    expect(loaded[0]!.definition.source).toBe(REPORT);
  });

  it('lists every problem at once: unreadable files, bad crons, inputs that do not fit, duplicate names', () => {
    const file = project('bad', {
      schedules: [
        { name: 'a', file: 'missing.workflow', rate: '1h' },
        { name: 'b', file: 'reports/nightly.workflow', cron: '0 2 1 * MON', input: { day: 'x' } },
        { name: 'c', file: 'reports/nightly.workflow', rate: '1h', input: { day: 3 } },
        { name: 'd', file: 'ping.workflow', workflow: 'pong', rate: '1h' },
        { name: 'e', file: 'ping.workflow', rate: '1h' },
        { name: 'e', file: 'ping.workflow', rate: '2h' },
        'nope',
      ],
    });
    let err: unknown;
    try {
      loadSchedulesFile(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SchedulesFileError);
    const problems = (err as SchedulesFileError).problems;
    expect(problems).toHaveLength(6);
    expect(problems[0]).toMatch(/^schedules\[0\]: cannot read missing.workflow \(ENOENT\)/);
    expect(problems[1]).toMatch(/^schedule 'b': cron "0 2 1 \* MON" sets both the day of month and the day of week/);
    expect(problems[2]).toMatch(/^schedule 'c': its input does not fit nightlyReport: .*day/);
    expect(problems[3]).toBe("schedules[3]: ping.workflow holds workflow 'ping', not 'pong'");
    expect(problems[4]).toBe("schedule 'e': the name is used twice");
    expect(problems[5]).toBe('schedules[6]: expected an object');
    expect(() => loadSchedulesFile(join(dir, 'none.json'))).toThrow(/cannot read it \(ENOENT\)/);
  });
});

describe('ScheduleRunner', () => {
  it('starts one instance per firing, named after the schedule and the firing time, that runs with the input', async () => {
    const file = project('fire', { schedules: [{ name: 'every-minute', file: 'reports/nightly.workflow', rate: '1m', input: { day: 'today' } }] });
    // A clock running in real time, set (just before the runners start) to 600 ms before 10:00.
    const boundary = Date.parse('2026-04-01T10:00:00Z');
    let real0 = Date.now();
    let fake0 = boundary - 600;
    const now = () => new Date(fake0 + (Date.now() - real0));
    const e = await engine(join(dir, 'fire'), now);
    const firings: FiringOutcome[] = [];
    // Two runners on one database (two workers): the firing starts one instance.
    const loaded = loadSchedulesFile(file);
    const runner = new ScheduleRunner(e, loaded, { now, onFiring: (f) => firings.push(f) });
    const other = new ScheduleRunner(e, loaded, { now, onFiring: (f) => firings.push(f) });
    runners.push(runner, other);
    real0 = Date.now();
    fake0 = boundary - 600;
    expect(await runner.start()).toEqual([]); // never fired here: no catch-up
    expect(await other.start()).toEqual([]);
    const until = Date.now() + 5_000;
    while (firings.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const id = 'every-minute@2026-04-01T10:00:00Z';
    expect(firings.map((f) => f.kind).sort()).toEqual(['exists', 'started']);
    expect(firings.find((f) => f.kind === 'started')).toEqual({ kind: 'started', schedule: 'every-minute', at: new Date(boundary), id });
    expect(await e.waitFor('every-minute@2026-04-01T10:00:00Z')).toMatchObject({ workflow: 'nightlyReport', status: 'completed', input: { day: 'today' }, result: 'report for today' });
  });

  it('after a downtime starts the last missed firing only, and counts the ones it skipped', async () => {
    const root = join(dir, 'catchup');
    const file = project('catchup', { schedules: [{ name: 'hourly', file: 'ping.workflow', cron: '0 * * * *' }] });
    let nowMs = Date.parse('2026-04-01T08:00:30Z');
    const now = () => new Date(nowMs);
    const first = await engine(root, now);
    const fired: FiringOutcome[] = [];
    const r1 = new ScheduleRunner(first, loadSchedulesFile(file), { now, onFiring: (f) => fired.push(f) });
    // As if it fired at 08:00 (a worker ran then), then everything stopped.
    await first.start(loadSchedulesFile(file)[0]!.definition, {}, { id: 'hourly@2026-04-01T08:00:00Z' });
    expect(r1.lastFired(r1.schedules[0]!.schedule)).toEqual(new Date('2026-04-01T08:00:00Z'));
    nowMs = Date.parse('2026-04-01T13:20:00Z'); // five firings missed: 09:00 … 13:00
    const r2 = new ScheduleRunner(first, loadSchedulesFile(file), { now, onFiring: (f) => fired.push(f) });
    runners.push(r2);
    const caught = await r2.start();
    expect(caught).toEqual([{ kind: 'started', schedule: 'hourly', at: new Date('2026-04-01T13:00:00Z'), id: 'hourly@2026-04-01T13:00:00Z', missed: 5 }]);
    expect(await first.waitFor('hourly@2026-04-01T13:00:00Z')).toMatchObject({ status: 'completed', result: 'pong' });
    expect((await first.list({ workflow: 'ping' })).items.map((i) => i.id).sort()).toEqual(['hourly@2026-04-01T08:00:00Z', 'hourly@2026-04-01T13:00:00Z']);
    // A second worker on the same database finds the firing taken and starts nothing.
    r2.stop();
    const r3 = new ScheduleRunner(first, loadSchedulesFile(file), { now, onFiring: (f) => fired.push(f) });
    runners.push(r3);
    expect(await r3.start()).toEqual([]); // 13:00 is the last firing and it exists
    expect(fired.filter((f) => f.kind === 'started')).toHaveLength(1);
  });
});
