/**
 * Durations for `sleep`, signal timeouts and task policies: text like "250ms", "30s", "5m", "2h",
 * "7d" (a non-negative decimal number and one unit), or a number of milliseconds.
 *
 *   parseDuration('1.5h')  // => 5400000
 *   parseDuration(250)     // => 250
 *   parseDuration('soon')  // => { error: 'invalid duration "soon": …' }
 *   formatDuration(90000)  // => '90s'  (the largest unit that divides exactly)
 *
 * Pure; range limits that depend on the use (sleep: 0 < d ≤ 3650 days) are the caller's business.
 * Fractions of a millisecond are rounded to the nearest millisecond.
 */

export interface DurationError {
  error: string;
}

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)\s*$/;

export function parseDuration(input: string | number): number | DurationError {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return { error: `invalid duration ${input}: milliseconds must be a finite number ≥ 0` };
    return Math.round(input);
  }
  if (typeof input !== 'string') return { error: `invalid duration: expected a string like "30s" or a number of milliseconds` };
  const m = PATTERN.exec(input);
  if (!m) return { error: `invalid duration ${JSON.stringify(input)}: use a number and a unit (ms, s, m, h, d), e.g. "30s"` };
  const ms = Math.round(Number(m[1]) * UNITS[m[2]!]!);
  if (!Number.isFinite(ms)) return { error: `invalid duration ${JSON.stringify(input)}: too large` };
  return ms;
}

export function isDurationError(d: number | DurationError): d is DurationError {
  return typeof d !== 'number';
}

/** The shortest exact text for `ms` ("2h", "90s", "1500ms"); parseDuration(formatDuration(x)) === x. */
export function formatDuration(ms: number): string {
  const n = Math.round(ms);
  if (n === 0) return '0ms';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNITS[unit]!;
    if (n % size === 0) return `${n / size}${unit}`;
  }
  return `${n}ms`;
}

/**
 * A duration for people: the exact text when it is short ("2h", "90s", "1500ms"), else rounded to
 * its two largest units — "4d 15h", not "401908027ms".
 *
 *   humanDuration(7_200_000)    // => '2h'
 *   humanDuration(401_908_027)  // => '4d 15h'
 *   humanDuration(2_345)        // => '2345ms'  (exact and short)
 */
export function humanDuration(ms: number): string {
  const exact = formatDuration(ms);
  // An exact text in a unit above ms, or a few seconds in ms, reads fine as it is.
  if (!exact.endsWith('ms') || Math.round(ms) < 10_000) return exact;
  return roughDuration(ms);
}

/**
 * A measured duration, rounded for reading: "52ms", "2.35s", "42.1s", "4m 5s", "3h 12m", "4d 15h".
 * (The second unit is left out when it is zero: "2h", "3d".)
 */
export function roughDuration(ms: number): string {
  const n = Math.max(0, ms);
  if (n < 1000) return `${Math.round(n)}ms`;
  if (n < 60_000) return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)}s`;
  const two = (big: number, bigUnit: string, small: number, smallUnit: string) => {
    const whole = Math.floor(n / big);
    const rest = Math.floor((n - whole * big) / small);
    return rest > 0 ? `${whole}${bigUnit} ${rest}${smallUnit}` : `${whole}${bigUnit}`;
  };
  if (n < UNITS.h!) return two(UNITS.m!, 'm', UNITS.s!, 's');
  if (n < UNITS.d!) return two(UNITS.h!, 'h', UNITS.m!, 'm');
  return two(UNITS.d!, 'd', UNITS.h!, 'h');
}
