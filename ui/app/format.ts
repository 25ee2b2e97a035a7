/** Small display helpers: times, durations, JSON. Pure. */
import type { Json } from '../types.ts';

/** `2026-01-05 14:03:07` in the browser's time zone (the ISO text in the title). */
export function time(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** `14:03:07.123` (the time of day, for a timeline; the whole date in the title). */
export function clock(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** `850ms`, `2.4s`, `3m 5s`, `2h 10m`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** How far `iso` is from now, in words: `in 3m 5s`, `12s ago`. */
export function relative(iso: string, now = Date.now()): string {
  const d = Date.parse(iso) - now;
  return d >= 0 ? `in ${duration(d)}` : `${duration(-d)} ago`;
}

export function json(v: Json | undefined, indent = 2): string {
  return v === undefined ? '' : JSON.stringify(v, null, indent);
}

/** One line, cut to `max` characters. */
export function short(text: string, max = 80): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? one.slice(0, max - 1) + '…' : one;
}
