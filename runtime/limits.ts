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
 * | start input               | 10 MiB JSON         | VALUE_TOO_LARGE |
 * | signal payload            | 10 MiB JSON         | VALUE_TOO_LARGE (the buffer has its own 64 KiB limit) |
 * | cancel reason             | 4,096 characters    | VALUE_TOO_LARGE |
 * | task arguments (one call) | 10 MiB JSON         | TASK_ARGS_TOO_LARGE (a task failure) |
 * | task result               | 10 MiB JSON         | RESULT_TOO_LARGE / RESULT_TOO_DEEP (a failed attempt) |
 * | interpreter state         | 32 MiB JSON         | CR006 (the runtime's default `maxStateBytes`) |
 * | stored error text         | 4,096 characters    | cut, with "… [truncated N chars]" |
 *
 * Values this large do not fit an SQS message (256 KiB) or a DynamoDB item (400 KB): on AWS the
 * adapter stores them aside and passes references (adapters/aws/payloads.ts, docs/protocol.md);
 * embedded they are plain values in the process and rows in the SQLite file.
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

/** The largest value from outside, in bytes of JSON: a start input, a signal payload, a task's arguments or result. */
export const MAX_VALUE_BYTES = 10 * 1024 * 1024;
/**
 * The runtime's default `maxStateBytes` (the interpreter alone defaults to 256 KiB): room for a few
 * values of MAX_VALUE_BYTES held in variables at once.
 */
export const MAX_STATE_BYTES = 32 * 1024 * 1024;

export const LIMITS = {
  input: { maxDepth: MAX_DEPTH, maxBytes: MAX_VALUE_BYTES },
  signal: { maxDepth: MAX_DEPTH, maxBytes: MAX_VALUE_BYTES },
  taskArgs: { maxDepth: MAX_DEPTH, maxBytes: MAX_VALUE_BYTES },
  taskResult: { maxDepth: MAX_DEPTH, maxBytes: MAX_VALUE_BYTES },
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
