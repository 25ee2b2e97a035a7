/**
 * Schedules: start a workflow on a cron or rate schedule, one instance per firing. Pure (croner does
 * the calendar arithmetic; every function takes the time it reasons about, none reads the clock).
 *
 * Takes a declaration, as the CDK construct (`engine.addSchedule`) and the embedded worker's
 * schedules file (`currant worker --schedules`) both write it; gives a checked `Schedule`, its
 * firings, the deterministic instance id of each firing, and the EventBridge Scheduler expression:
 *
 *   const r = checkSchedule({ name: 'nightly', workflow: 'report', cron: '0 2 * * *', timeZone: 'Europe/Paris', input: { day: 'yesterday' } });
 *   nextFiring(r.schedule, new Date('2026-01-01T12:00:00Z'))  // => 2026-01-02T01:00:00.000Z (02:00 in Paris)
 *   firingId('nightly', new Date('2026-01-02T01:00:00Z'))     // => 'nightly@2026-01-02T01:00:00Z'
 *   awsExpression(r.schedule)                                  // => 'cron(0 2 * * ? *)'
 *
 * Why one id per firing: a firing delivered twice (Scheduler retries, two workers, a catch-up after
 * a restart) is then a start of an existing id with the same input, which the runtime answers with
 * the existing instance; it never starts a second one.
 *
 * Cron is the standard five fields (minute hour day-of-month month day-of-week, Sunday = 0 or 7,
 * names allowed), evaluated in `timeZone` (IANA, default UTC). A cron that sets both the day of
 * month and the day of week is refused: classic cron runs it on either day, AWS cannot say "either",
 * and one declaration must mean the same thing embedded and on AWS. Rates are durations of whole
 * minutes ("5m", "1h", "1d"); embedded they fire on multiples of the rate since the Unix epoch (UTC),
 * on AWS every rate from the schedule's creation.
 *
 * Why croner: no dependencies, maintained, IANA time zones through Intl with defined DST behaviour,
 * and both next and previous runs (the catch-up needs the last firing before now). cron-parser would
 * bring luxon along; node-cron only schedules callbacks.
 */
import { Cron } from 'croner';
import { parseDuration } from '../dsl/index.ts';
import { checkValue, LIMITS } from './limits.ts';
import type { Value } from './types.ts';

/** What a user declares. */
export interface ScheduleSpec {
  /** 1–64 of `[A-Za-z0-9_-]`: the schedule's name, the prefix of its instances' ids. */
  name: string;
  /** The workflow's name (`workflow nightlyReport(…)` → `nightlyReport`). */
  workflow: string;
  /** Five-field cron, evaluated in `timeZone`. Exactly one of `cron` and `rate`. */
  cron?: string;
  /** Every this long: whole minutes, e.g. "5m", "1h", "1d". */
  rate?: string;
  /** IANA time zone of `cron` (default "UTC"). */
  timeZone?: string;
  /** The workflow's input for every firing (default {}). */
  input?: Record<string, Value>;
}

/** A checked declaration. */
export interface Schedule {
  name: string;
  workflow: string;
  cron?: string;
  rate?: string;
  /** The rate in ms (rate schedules only). */
  everyMs?: number;
  timeZone: string;
  input: Record<string, Value>;
}

export const SCHEDULE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** What EventBridge Scheduler replaces, in a schedule target's input, with each firing's time (`2026-01-02T01:00:00Z`). */
export const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';
/** Largest input a schedule carries (it travels inside the EventBridge schedule's target). */
export const MAX_SCHEDULE_INPUT_BYTES = 8 * 1024;

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Checks a declaration; every problem is listed, each prefixed with the schedule's name. */
export function checkSchedule(spec: unknown): { ok: true; schedule: Schedule } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return { ok: false, problems: ['a schedule must be an object { name, workflow, cron | rate, timeZone?, input? }'] };
  const s = spec as Record<string, unknown>;
  const label = typeof s.name === 'string' && s.name.length > 0 && s.name.length <= 64 ? `schedule '${s.name}'` : 'schedule';
  const bad = (m: string) => problems.push(`${label}: ${m}`);
  for (const key of Object.keys(s)) {
    if (!['name', 'workflow', 'cron', 'rate', 'timeZone', 'input'].includes(key)) bad(`unknown field '${key}' (fields: name, workflow, cron, rate, timeZone, input)`);
  }
  if (typeof s.name !== 'string' || !SCHEDULE_NAME.test(s.name)) bad('name must be 1 to 64 letters, digits, _ or -');
  if (typeof s.workflow !== 'string' || s.workflow.length === 0) bad('workflow must name a workflow');
  const timeZone = s.timeZone === undefined ? 'UTC' : s.timeZone;
  if (typeof timeZone !== 'string' || !validTimeZone(timeZone)) bad(`timeZone ${JSON.stringify(s.timeZone)} is not an IANA time zone (e.g. "Europe/Paris", "UTC")`);
  let everyMs: number | undefined;
  if ((s.cron === undefined) === (s.rate === undefined)) bad('give exactly one of cron (e.g. "0 2 * * *") and rate (e.g. "15m")');
  else if (s.cron !== undefined) {
    const why = typeof s.cron === 'string' ? cronProblem(s.cron, typeof timeZone === 'string' && validTimeZone(timeZone) ? timeZone : 'UTC') : 'cron must be a string';
    if (why) bad(why);
  } else {
    if (s.timeZone !== undefined) bad('timeZone applies to cron schedules only (a rate is the same in every zone)');
    const ms = typeof s.rate === 'string' ? parseDuration(s.rate) : { error: 'rate must be a string like "15m"' };
    if (typeof ms !== 'number') bad(ms.error);
    else if (ms < 60_000 || ms % 60_000 !== 0) bad(`rate ${JSON.stringify(s.rate)} must be whole minutes, at least "1m"`);
    else everyMs = ms;
  }
  const input = s.input === undefined ? {} : s.input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) bad('input must be an object of the workflow\'s parameters');
  else {
    const fits = checkValue(input, { ...LIMITS.input, maxBytes: MAX_SCHEDULE_INPUT_BYTES }, 'the input');
    if (!fits.ok) bad(`${fits.code}: ${fits.message}`);
  }
  if (problems.length > 0) return { ok: false, problems };
  const schedule: Schedule = { name: s.name as string, workflow: s.workflow as string, timeZone: timeZone as string, input: input as Record<string, Value> };
  if (s.cron !== undefined) schedule.cron = (s.cron as string).trim().replace(/\s+/g, ' ');
  else {
    schedule.rate = s.rate as string;
    schedule.everyMs = everyMs;
  }
  return { ok: true, schedule };
}

/** The instance id of a firing: `<name>@<UTC time to the second>`, e.g. `nightly@2026-01-02T01:00:00Z`. */
export function firingId(name: string, at: Date): string {
  return `${name}@${isoSeconds(at)}`;
}

/** `2026-01-02T01:00:00Z`: the form EventBridge Scheduler gives `<aws.scheduler.scheduled-time>` in. */
export function isoSeconds(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

/** The firing time in an instance id made by `firingId` for schedule `name`, else undefined. */
export function firingTimeOf(name: string, instanceId: string): Date | undefined {
  if (!instanceId.startsWith(`${name}@`)) return undefined;
  const iso = instanceId.slice(name.length + 1);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(iso)) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** The first firing strictly after `after`, or undefined when there is none (a cron whose dates never come). */
export function nextFiring(s: Schedule, after: Date): Date | undefined {
  if (s.everyMs !== undefined) return new Date((Math.floor(after.getTime() / s.everyMs) + 1) * s.everyMs);
  return cronOf(s).nextRun(after) ?? undefined;
}

/** The last firing at or before `at`, or undefined. */
export function lastFiring(s: Schedule, at: Date): Date | undefined {
  if (s.everyMs !== undefined) return new Date(Math.floor(at.getTime() / s.everyMs) * s.everyMs);
  // previousRuns counts a run in the same second as the reference; one second on makes `at` itself count.
  return cronOf(s).previousRuns(1, new Date(Math.floor(at.getTime() / 1000) * 1000 + 1000))[0];
}

/** Firings in (after, through], counted up to `max` (for the "missed N firings" message). */
export function countFirings(s: Schedule, after: Date, through: Date, max = 10_000): number {
  let n = 0;
  for (let t = nextFiring(s, after); t && t.getTime() <= through.getTime() && n < max; t = nextFiring(s, t)) n++;
  return n;
}

/**
 * The EventBridge Scheduler expression: `cron(m h dom mon dow year)` in AWS's six fields (exactly one
 * of day-of-month and day-of-week is `?`, days of the week 1–7 from Sunday, steps written out), or
 * `rate(n unit)`.
 */
export function awsExpression(s: Schedule): string {
  if (s.everyMs !== undefined) {
    for (const [ms, unit] of [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute']] as const) {
      if (s.everyMs % ms === 0) {
        const n = s.everyMs / ms;
        return `rate(${n} ${unit}${n === 1 ? '' : 's'})`;
      }
    }
  }
  const [min, hour, dom, mon, dow] = s.cron!.split(' ') as [string, string, string, string, string];
  const fields = [expandSteps(min, 0, 59), expandSteps(hour, 0, 23)];
  if (dow === '*') fields.push(expandSteps(dom, 1, 31), expandSteps(mon, 1, 12), '?');
  else fields.push('?', expandSteps(mon, 1, 12), awsDaysOfWeek(dow));
  return `cron(${fields.join(' ')} *)`;
}

// ---------------------------------------------------------------------------------------------

function cronOf(s: Schedule): Cron {
  return new Cron(s.cron!, { mode: '5-part', timezone: s.timeZone });
}

function validTimeZone(tz: string): boolean {
  if (tz.length === 0 || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Why a cron text is refused, or undefined. */
function cronProblem(text: string, timeZone: string): string | undefined {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5) return `cron ${JSON.stringify(text)} must have five fields: minute hour day-of-month month day-of-week (e.g. "0 2 * * *")`;
  if (text.includes('?')) return `cron ${JSON.stringify(text)}: write * where AWS cron writes ? (this is standard five-field cron)`;
  const [, , dom, , dow] = fields as [string, string, string, string, string];
  if (dom !== '*' && dow !== '*') {
    return `cron ${JSON.stringify(text)} sets both the day of month and the day of week: classic cron runs it on either day, which AWS cannot express; set one of them`;
  }
  try {
    new Cron(fields.join(' '), { mode: '5-part', timezone: timeZone }).nextRun(new Date(0));
  } catch (e) {
    return `cron ${JSON.stringify(text)}: ${(e as Error).message.replace(/^CronPattern: /, '')}`;
  }
  if (dow !== '*') {
    try {
      awsDaysOfWeek(dow);
    } catch (e) {
      return `cron ${JSON.stringify(text)}: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/** A field with steps (`*\/15`, `10-40/10`) written out as a list, which AWS cron takes everywhere. */
function expandSteps(field: string, lo: number, hi: number): string {
  if (!field.includes('/')) return field;
  return field
    .split(',')
    .map((part) => {
      const m = /^(\*|\d+|\d+-\d+)\/(\d+)$/.exec(part);
      if (!m) return part;
      const [from, to] = m[1] === '*' ? [lo, hi] : m[1]!.includes('-') ? m[1]!.split('-').map(Number) : [Number(m[1]), hi];
      const out: number[] = [];
      for (let v = from!; v <= to!; v += Number(m[2])) out.push(v);
      return out.join(',');
    })
    .join(',');
}

/** Day-of-week field in AWS's numbering (1 = Sunday … 7 = Saturday): ranges and steps written out. */
function awsDaysOfWeek(field: string): string {
  const day = (t: string): number => {
    const upper = t.toUpperCase();
    const named = DAY_NAMES.indexOf(upper);
    if (named >= 0) return named;
    if (!/^\d$/.test(t) || Number(t) > 7) throw new Error(`"${t}" is not a day of the week (0–7 or SUN–SAT)`);
    return Number(t) % 7;
  };
  const aws = (d: number) => String(d + 1);
  return field
    .split(',')
    .map((part) => {
      const nth = /^([A-Za-z]+|\d)#([1-5])$/.exec(part);
      if (nth) return `${aws(day(nth[1]!))}#${nth[2]}`;
      const last = /^([A-Za-z]+|\d)L$/.exec(part);
      if (last) return `${aws(day(last[1]!))}L`;
      const m = /^(\*|[A-Za-z]+|\d)(?:-([A-Za-z]+|\d))?(?:\/(\d+))?$/.exec(part);
      if (!m) throw new Error(`"${part}" is not a day-of-week expression AWS can take`);
      const from = m[1] === '*' ? 0 : day(m[1]!);
      // "5-7" is Friday to Sunday: 7 is Sunday at the end of the week, not day 0
      const to = m[1] === '*' ? 6 : m[2] !== undefined ? (m[2] === '7' ? 7 : day(m[2])) : m[3] !== undefined ? 6 : from;
      const step = m[3] !== undefined ? Number(m[3]) : 1;
      if (to < from) throw new Error(`the range "${part}" runs backwards`);
      const days: number[] = [];
      for (let d = from; d <= to; d += step) days.push(d % 7);
      return [...new Set(days)].map(aws).join(',');
    })
    .join(',');
}
