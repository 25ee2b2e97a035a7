import { describe, expect, it } from 'vitest';
import { awsExpression, checkSchedule, countFirings, firingId, firingTimeOf, lastFiring, nextFiring, type Schedule } from '../../runtime/schedules.ts';

const ok = (spec: unknown): Schedule => {
  const r = checkSchedule(spec);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.schedule;
};
const problems = (spec: unknown): string[] => {
  const r = checkSchedule(spec);
  return r.ok ? [] : r.problems;
};
const D = (iso: string) => new Date(iso);

describe('checkSchedule', () => {
  it('accepts cron (with a time zone) or rate, with an input; defaults UTC and {}', () => {
    expect(ok({ name: 'nightly', workflow: 'report', cron: '0  2 * * *', timeZone: 'Europe/Paris', input: { day: 'yesterday' } })).toEqual({
      name: 'nightly',
      workflow: 'report',
      cron: '0 2 * * *',
      timeZone: 'Europe/Paris',
      input: { day: 'yesterday' },
    });
    expect(ok({ name: 'poll', workflow: 'check', rate: '15m' })).toEqual({ name: 'poll', workflow: 'check', rate: '15m', everyMs: 900_000, timeZone: 'UTC', input: {} });
  });

  it('lists every problem of a bad declaration, each with the schedule name', () => {
    expect(problems({ name: 'bad name!', workflow: '', cron: '0 2 * *', rate: '5m', timeZone: 'Mars/Base', input: [1], extra: 1 })).toEqual([
      "schedule 'bad name!': unknown field 'extra' (fields: name, workflow, cron, rate, timeZone, input)",
      "schedule 'bad name!': name must be 1 to 64 letters, digits, _ or -",
      "schedule 'bad name!': workflow must name a workflow",
      `schedule 'bad name!': timeZone "Mars/Base" is not an IANA time zone (e.g. "Europe/Paris", "UTC")`,
      `schedule 'bad name!': give exactly one of cron (e.g. "0 2 * * *") and rate (e.g. "15m")`,
      "schedule 'bad name!': input must be an object of the workflow's parameters",
    ]);
    expect(problems(null)).toEqual(['a schedule must be an object { name, workflow, cron | rate, timeZone?, input? }']);
  });

  it('refuses crons AWS and the embedded worker would read differently, and bad fields, with the reason', () => {
    expect(problems({ name: 'a', workflow: 'w', cron: '0 2 1 * MON' })[0]).toMatch(/sets both the day of month and the day of week: classic cron runs it on either day/);
    expect(problems({ name: 'a', workflow: 'w', cron: '0 2 ? * MON' })[0]).toMatch(/write \* where AWS cron writes \?/);
    expect(problems({ name: 'a', workflow: 'w', cron: '61 2 * * *' })[0]).toMatch(/Invalid value for minute: 61/);
    expect(problems({ name: 'a', workflow: 'w', cron: '0 2 * * 8' })[0]).toMatch(/cron "0 2 \* \* 8"/);
    expect(problems({ name: 'a', workflow: 'w', cron: '0 0 * * * *' })[0]).toMatch(/must have five fields/);
  });

  it('takes rates of whole minutes only, and no time zone with a rate', () => {
    expect(problems({ name: 'a', workflow: 'w', rate: '30s' })[0]).toMatch(/must be whole minutes, at least "1m"/);
    expect(problems({ name: 'a', workflow: 'w', rate: '90s' })[0]).toMatch(/whole minutes/);
    expect(problems({ name: 'a', workflow: 'w', rate: 'often' })[0]).toMatch(/invalid duration "often"/);
    expect(problems({ name: 'a', workflow: 'w', rate: '1h', timeZone: 'Europe/Paris' })[0]).toMatch(/timeZone applies to cron schedules only/);
  });

  it('refuses an input over 8 KB or nested too deep (it travels inside the schedule)', () => {
    expect(problems({ name: 'a', workflow: 'w', rate: '1h', input: { x: 'y'.repeat(9000) } })[0]).toMatch(/VALUE_TOO_LARGE/);
    let deep: unknown = 1;
    for (let k = 0; k < 200; k++) deep = { d: deep };
    expect(problems({ name: 'a', workflow: 'w', rate: '1h', input: deep })[0]).toMatch(/VALUE_TOO_DEEP/);
  });
});

describe('firings', () => {
  it('runs cron in its time zone, across daylight-saving changes', () => {
    const paris = ok({ name: 'n', workflow: 'w', cron: '0 2 * * *', timeZone: 'Europe/Paris' });
    expect(nextFiring(paris, D('2026-01-01T12:00:00Z'))).toEqual(D('2026-01-02T01:00:00Z')); // CET, UTC+1
    expect(nextFiring(paris, D('2026-07-01T12:00:00Z'))).toEqual(D('2026-07-02T00:00:00Z')); // CEST, UTC+2
    const ny = ok({ name: 'n', workflow: 'w', cron: '*/15 9-17 * * MON-FRI', timeZone: 'America/New_York' });
    expect(nextFiring(ny, D('2026-01-03T00:00:00Z'))).toEqual(D('2026-01-05T14:00:00Z')); // Saturday → Monday 09:00 EST
  });

  it('finds the last firing at or before a time (the catch-up), and counts missed ones', () => {
    const hourly = ok({ name: 'h', workflow: 'w', cron: '0 * * * *' });
    expect(lastFiring(hourly, D('2026-01-01T05:30:00Z'))).toEqual(D('2026-01-01T05:00:00Z'));
    expect(lastFiring(hourly, D('2026-01-01T05:00:00Z'))).toEqual(D('2026-01-01T05:00:00Z'));
    expect(countFirings(hourly, D('2026-01-01T00:00:00Z'), D('2026-01-01T05:30:00Z'))).toBe(5);
    const rate = ok({ name: 'r', workflow: 'w', rate: '15m' });
    expect(lastFiring(rate, D('2026-01-01T05:29:59Z'))).toEqual(D('2026-01-01T05:15:00Z'));
    expect(nextFiring(rate, D('2026-01-01T05:15:00Z'))).toEqual(D('2026-01-01T05:30:00Z'));
    expect(countFirings(rate, D('2026-01-01T05:00:00Z'), D('2026-01-01T06:00:00Z'))).toBe(4);
  });

  it('names each firing\'s instance after the schedule and the UTC second, and reads it back', () => {
    const at = D('2026-01-02T01:00:00.000Z');
    expect(firingId('nightly', at)).toBe('nightly@2026-01-02T01:00:00Z');
    expect(firingTimeOf('nightly', 'nightly@2026-01-02T01:00:00Z')).toEqual(at);
    expect(firingTimeOf('nightly', 'nightly-2@2026-01-02T01:00:00Z')).toBeUndefined();
    expect(firingTimeOf('nightly', 'nightly@soon')).toBeUndefined();
  });
});

describe('awsExpression', () => {
  const cron = (c: string) => awsExpression(ok({ name: 'a', workflow: 'w', cron: c }));
  it('writes AWS six-field cron: ? for the unused day field, Sunday = 1, steps and day ranges written out', () => {
    expect(cron('0 2 * * *')).toBe('cron(0 2 * * ? *)');
    expect(cron('30 8 1 * *')).toBe('cron(30 8 1 * ? *)');
    expect(cron('*/15 9-17 * * MON-FRI')).toBe('cron(0,15,30,45 9-17 ? * 2,3,4,5,6 *)');
    expect(cron('0 0 * * 0')).toBe('cron(0 0 ? * 1 *)');
    expect(cron('0 0 * * 7')).toBe('cron(0 0 ? * 1 *)');
    expect(cron('0 0 * * 5-7')).toBe('cron(0 0 ? * 6,7,1 *)');
    expect(cron('0 12 * JAN,JUL 1#2')).toBe('cron(0 12 ? JAN,JUL 2#2 *)');
    expect(cron('0 12 L * *')).toBe('cron(0 12 L * ? *)');
    expect(cron('0 */6 * * *')).toBe('cron(0 0,6,12,18 * * ? *)');
    expect(cron('5-50/15 * * * *')).toBe('cron(5,20,35,50 * * * ? *)');
  });

  it('writes rates in the largest whole unit', () => {
    expect(awsExpression(ok({ name: 'a', workflow: 'w', rate: '1m' }))).toBe('rate(1 minute)');
    expect(awsExpression(ok({ name: 'a', workflow: 'w', rate: '90m' }))).toBe('rate(90 minutes)');
    expect(awsExpression(ok({ name: 'a', workflow: 'w', rate: '2h' }))).toBe('rate(2 hours)');
    expect(awsExpression(ok({ name: 'a', workflow: 'w', rate: '1d' }))).toBe('rate(1 day)');
  });
});
