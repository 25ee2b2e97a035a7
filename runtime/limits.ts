/**
 * Limits on values that come from outside (start input, signal payloads, cancel reasons, task
 * results and arguments, error text): one shared, iterative check so that every boundary refuses
 * the same things with the same codes, before any recursive code sees the value.
 *
 *   checkValue(input, LIMITS.input)   // => { ok: true } | { ok: false, code: 'VALUE_TOO_DEEP', message }
 *   truncateText(longError, 4096)     // => 'first 4096 chars… [truncated 118,000 chars]'
 *
 * | limit                     | value       | past it |
 * | ------------------------- | ----------- | ------- |
 * | depth of any value        | 128 (dsl MAX_DEPTH) | VALUE_TOO_DEEP  |
 * | start input               | 256 KiB JSON        | VALUE_TOO_LARGE |
 * | signal payload            | 256 KiB JSON        | VALUE_TOO_LARGE (the buffer has its own 64 KiB limit) |
 * | cancel reason             | 4,096 characters    | VALUE_TOO_LARGE |
 * | task arguments (one call) | 200 KiB JSON        | TASK_ARGS_TOO_LARGE (a task failure) |
 * | task result               | 256 KiB JSON        | RESULT_TOO_LARGE / RESULT_TOO_DEEP (a failed attempt) |
 * | stored error text         | 4,096 characters    | cut, with "… [truncated N chars]" |
 *
 * Pure: no I/O. The walk is `measure` of the dsl (no recursion, stops at the first level past the
 * depth limit), so a hostile value costs at most its own size to refuse.
 */
import { MAX_DEPTH, measure } from '../dsl/interpreter/values.ts';

export interface ValueLimits {
  /** Nesting levels of arrays/objects (default MAX_DEPTH, 128). */
  maxDepth?: number;
  /** UTF-8 bytes of the value's JSON. */
  maxBytes?: number;
  /** Values (leaves and containers) in all. */
  maxNodes?: number;
}

export const LIMITS = {
  input: { maxDepth: MAX_DEPTH, maxBytes: 256 * 1024 },
  signal: { maxDepth: MAX_DEPTH, maxBytes: 256 * 1024 },
  taskArgs: { maxDepth: MAX_DEPTH, maxBytes: 200 * 1024 },
  taskResult: { maxDepth: MAX_DEPTH, maxBytes: 256 * 1024 },
} as const satisfies Record<string, ValueLimits>;

export const MAX_CANCEL_REASON = 4096;
export const MAX_ERROR_TEXT = 4096;

export type ValueRefusal = 'VALUE_TOO_DEEP' | 'VALUE_TOO_LARGE';
export type ValueCheck = { ok: true; bytes: number; depth: number } | { ok: false; code: ValueRefusal; message: string };

/** Whether `value` fits `limits` (depth first: a deep value is refused without walking all of it). */
export function checkValue(value: unknown, limits: ValueLimits = {}, what = 'the value'): ValueCheck {
  const maxDepth = limits.maxDepth ?? MAX_DEPTH;
  const m = measure(value, maxDepth);
  if (m.depth > maxDepth) return { ok: false, code: 'VALUE_TOO_DEEP', message: `${what} is nested deeper than ${maxDepth} levels` };
  if (limits.maxBytes !== undefined && m.bytes > limits.maxBytes) {
    return { ok: false, code: 'VALUE_TOO_LARGE', message: `${what} takes ${m.bytes} bytes of JSON, over the limit of ${limits.maxBytes}` };
  }
  if (limits.maxNodes !== undefined && m.nodes > limits.maxNodes) {
    return { ok: false, code: 'VALUE_TOO_LARGE', message: `${what} has ${m.nodes} values, over the limit of ${limits.maxNodes}` };
  }
  return { ok: true, bytes: m.bytes, depth: m.depth };
}

/** `text` cut to `max` characters with a visible marker saying how much was dropped. */
export function truncateText(text: string, max = MAX_ERROR_TEXT): string {
  if (typeof text !== 'string') text = String(text);
  if (text.length <= max) return text;
  const dropped = text.length - max;
  return `${text.slice(0, max)}… [truncated ${dropped.toLocaleString('en-US')} chars]`;
}
