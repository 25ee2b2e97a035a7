/**
 * Time as values: ISO 8601 timestamps (strings) and milliseconds (numbers), UTC only, for
 * `sleepUntil(t)` and the date built-ins `addTime`, `startOfDay`, `timeBetween`, `dayOfWeek`.
 *
 *   parseTime('2026-01-01T09:30:00+02:00')   // => 1767252600000 (ms since the epoch)
 *   parseTime('tomorrow')                    // => undefined
 *   addTime('2026-01-01T00:00:00Z', '1d')   // => '2026-01-02T00:00:00.000Z'
 *   startOfDay('2026-01-01T17:45:00Z')       // => '2026-01-01T00:00:00.000Z'
 *
 * Why so strict: JavaScript's `Date.parse` reads a date-time without an offset in the host's local
 * time zone and guesses at other formats, so the same workflow could sleep until different times
 * on two machines. Only the unambiguous forms are accepted: `YYYY-MM-DD` (midnight UTC) and
 * `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or an offset `±HH:MM`. Results are always
 * `toISOString()` text (UTC, milliseconds), so two of them compare correctly with `<`.
 *
 * Pure: the clock is never read here (`now()` is a separate built-in).
 */
import { parseDuration } from '../duration.ts';
import type { Value } from './types.ts';
import { fail, kindOf } from './values.ts';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Earliest and latest instants a Date can hold (±100,000,000 days from the epoch). */
const MAX_TIME = 8.64e15;

/** Milliseconds since the epoch of an accepted ISO timestamp, or undefined. */
export function parseTime(s: string): number | undefined {
  if (s.length > 40) return undefined;
  const m = ISO.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, hh, mm, ss, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(Number(y), month)) return undefined;
  if (hh !== undefined && (Number(hh) > 23 || Number(mm) > 59 || Number(ss ?? 0) > 59)) return undefined;
  if (zone !== undefined && zone !== 'Z' && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4, 6)) > 59)) return undefined;
  const ms = Date.parse(hh === undefined ? `${y}-${mo}-${d}T00:00:00Z` : `${y}-${mo}-${d}T${hh}:${mm}:${ss ?? '00'}${frac ? frac.slice(0, 4) : ''}${zone}`);
  return Number.isFinite(ms) ? ms : undefined;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** A timestamp argument: an ISO string as above or a number of ms since the epoch; else CR008. */
export function timeArg(v: Value, fn: string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || Math.abs(v) > MAX_TIME) fail('CR008', `${fn}: ${v} is not a time in milliseconds since 1970`);
    return v;
  }
  if (typeof v === 'string') {
    const ms = parseTime(v);
    if (ms === undefined) {
      fail('CR008', `${fn}: ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)} is not an ISO timestamp like "2026-03-01T09:00:00Z" (a date, or a date and time with Z or an offset)`);
    }
    return ms;
  }
  return fail('CR008', `${fn}: expected an ISO timestamp or milliseconds, got ${kindOf(v)}`);
}

/** A duration argument of `addTime`: "90m", "-2d" (a sign is allowed here) or milliseconds (any sign). */
export function signedDuration(v: Value, fn: string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail('CR008', `${fn}: the duration ${v} is not finite`);
    return Math.round(v);
  }
  if (typeof v !== 'string') return fail('CR008', `${fn}: expected a duration like "2d" or milliseconds, got ${kindOf(v)}`);
  const neg = /^\s*-/.test(v);
  const d = parseDuration(neg ? v.replace('-', '') : v);
  if (typeof d !== 'number') return fail('CR008', `${fn}: ${d.error}`);
  return neg ? -d : d;
}

/** ISO text of `ms`, or CR008 when it is out of a Date's range. */
export function isoOf(ms: number, fn: string): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_TIME) fail('CR008', `${fn}: the result is out of the range of dates`);
  return new Date(ms).toISOString();
}

/** `addTime(t, d)`: `t` moved by the duration `d` (negative goes back). */
export function addTime(t: Value, d: Value): string {
  return isoOf(timeArg(t, 'addTime') + signedDuration(d, 'addTime'), 'addTime');
}

/** `startOfDay(t)`: midnight UTC of `t`'s day. */
export function startOfDay(t: Value): string {
  const ms = timeArg(t, 'startOfDay');
  return isoOf(ms - mod(ms, 86_400_000), 'startOfDay');
}

/** `timeBetween(a, b)`: milliseconds from `a` to `b` (negative when `b` is earlier). */
export function timeBetween(a: Value, b: Value): number {
  const n = timeArg(b, 'timeBetween') - timeArg(a, 'timeBetween');
  return n === 0 ? 0 : n;
}

/** `dayOfWeek(t)`: 0 (Sunday) to 6 (Saturday), in UTC, as `getUTCDay()`. */
export function dayOfWeek(t: Value): number {
  return new Date(timeArg(t, 'dayOfWeek')).getUTCDay();
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
