/**
 * Workflow values (JSON) and the operations on them that the language fixes in dsl/README.md:
 * conversion to text, truthiness, `typeof`, structural equality, copying, and safe property access.
 *
 * Takes and gives `Value`s; errors are thrown as `RuntimeError` (a code and a message, without a
 * position: the interpreter adds the node's line:col when it turns the error into a `fail` command).
 *
 *   toText([1, null])          // => '[1,null]'
 *   equals({ a: [1] }, { a: [1] }) // => true
 *   copy(x)                    // a deep copy: arrays and objects are values, never shared
 *   measure(x)                 // { bytes, depth, nodes } without recursion (for limits)
 */
import type { DiagnosticCode } from '../diagnostics.ts';
import type { Value } from './types.ts';

export type ValueObject = { [key: string]: Value };

/** A runtime failure before it knows its position; the interpreter attaches the node's line:col. */
export class RuntimeError extends Error {
  constructor(
    readonly code: DiagnosticCode,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export function fail(code: DiagnosticCode, message: string): never {
  throw new RuntimeError(code, message);
}

export function isObject(v: Value): v is ValueObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A word for the kind of a value, for error messages. */
export function kindOf(v: Value): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return 'an object';
  }
}

/** `typeof`: "string" | "number" | "boolean" | "object" (null, arrays and objects). */
export function typeOf(v: Value): string {
  const t = typeof v;
  return t === 'string' || t === 'number' || t === 'boolean' ? t : 'object';
}

/** JavaScript truthiness: false, 0, "" and null are falsy. */
export function truthy(v: Value): boolean {
  return v !== null && v !== false && v !== 0 && v !== '';
}

/** Templates, `String(x)` and `+` with a string: null → "null", arrays/objects → JSON. */
export function toText(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** Deepest nesting of one value (`[]` is 1, `[[]]` 2): deeper is CR013. Keeps every recursion shallow. */
export const MAX_DEPTH = 128;

/** What `copy` charges for the nodes it creates (the machine's `Meter` fits). */
export interface CopyMeter {
  alloc(bytes: number): void;
  work(units: number): void;
}

function tooDeep(): never {
  throw new RuntimeError('CR013', `value nested deeper than ${MAX_DEPTH} levels`);
}

/**
 * Deep copy of a value (primitives are returned as they are). With a meter, each array and object
 * is charged before it is created; a value deeper than MAX_DEPTH is CR013.
 */
export function copy<T extends Value>(v: T, meter?: CopyMeter, depth = 0): T {
  if (typeof v !== 'object' || v === null) return v;
  if (depth >= MAX_DEPTH) tooDeep();
  if (Array.isArray(v)) {
    if (meter) {
      meter.alloc(32 + 8 * v.length);
      meter.work(1 + v.length);
    }
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copy(v[i]!, meter, depth + 1);
    return out as T;
  }
  const keys = Object.keys(v);
  if (meter) {
    meter.alloc(32 + 16 * keys.length);
    meter.work(1 + keys.length);
  }
  const out: ValueObject = {};
  for (const k of keys) setOwn(out, k, copy((v as ValueObject)[k]!, meter, depth + 1));
  return out as T;
}

/** Structural (deep) equality: what `===`, `==`, `includes` and `indexOf` use. `work` counts nodes visited. */
export function equals(a: Value, b: Value, work?: { units: number }, depth = 0): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (depth >= MAX_DEPTH) tooDeep();
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    if (work) work.units += 1 + a.length;
    for (let i = 0; i < a.length; i++) if (!equals(a[i]!, b[i]!, work, depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  if (work) work.units += 1 + ka.length;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !equals(a[k]!, b[k]!, work, depth + 1)) return false;
  }
  return true;
}

/**
 * Size of a JSON value without recursion: UTF-8 bytes of `JSON.stringify(v)`, nesting depth and
 * node count. Stops early (with
 * `depth > limit`) as soon as the value is deeper than `limit`, so a hostile value costs at most
 * its own size to refuse. Non-JSON leaves (undefined, functions) count as null.
 */
export function measure(v: unknown, limit = MAX_DEPTH): { bytes: number; depth: number; nodes: number } {
  let bytes = 0;
  let depth = 0;
  let nodes = 0;
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    nodes++;
    if (typeof x === 'string') {
      bytes += Buffer.byteLength(JSON.stringify(x), 'utf8');
      continue;
    }
    if (typeof x === 'number') {
      bytes += Number.isFinite(x) ? String(x).length : 4;
      continue;
    }
    if (typeof x === 'boolean') {
      bytes += x ? 4 : 5;
      continue;
    }
    if (typeof x !== 'object' || x === null) {
      bytes += 4;
      continue;
    }
    if (d + 1 > depth) depth = d + 1;
    if (depth > limit) return { bytes, depth, nodes };
    if (Array.isArray(x)) {
      bytes += 2 + Math.max(0, x.length - 1);
      for (let i = x.length - 1; i >= 0; i--) stack.push([x[i], d + 1]);
    } else {
      const keys = Object.keys(x);
      bytes += 2 + Math.max(0, keys.length - 1);
      for (const k of keys) {
        bytes += Buffer.byteLength(JSON.stringify(k), 'utf8') + 1;
        stack.push([(x as Record<string, unknown>)[k], d + 1]);
      }
    }
  }
  return { bytes, depth, nodes };
}

/** Own property or null: `o.toString` is a missing property, not Object.prototype's function. */
export function getOwn(o: ValueObject, key: string): Value {
  return Object.hasOwn(o, key) ? o[key]! : null;
}

/** Sets an own property; `__proto__` becomes a plain key instead of changing the prototype. */
export function setOwn(o: ValueObject, key: string, v: Value): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
  else o[key] = v;
}

/**
 * Brings an outside value (task result, signal payload, input) into the workflow: a deep JSON copy.
 * `undefined` becomes null; non-finite numbers become null (as JSON would make them). A value
 * nested deeper than MAX_DEPTH is CR013 (checked without recursion, before anything is copied).
 */
export function fromOutside(v: unknown): Value {
  if (v === undefined) return null;
  if (typeof v !== 'object' || v === null) return JSON.parse(JSON.stringify(v)) as Value;
  if (measure(v).depth > MAX_DEPTH) tooDeep();
  const text = JSON.stringify(v);
  // Why: a handle is `{ "$handle": id }` (frames.ts); a value from outside must never be taken
  // for one. The text search is the cheap test; the walk confirms (the key may sit in a string).
  if (text.includes(RESERVED_KEY_TEXT) && holdsHandleKey(v)) {
    fail('CR020', `a value from outside holds the key "${HANDLE_KEY}", which is reserved for handles`);
  }
  return JSON.parse(text) as Value;
}

/** The reserved key of handle values (frames.ts `HANDLE_KEY`, repeated here: values.ts imports nothing of the interpreter). */
export const HANDLE_KEY = '$handle';
const RESERVED_KEY_TEXT = `"${HANDLE_KEY}":`;

/** True when some object inside `v` has the own key `$handle` (iterative; `v` is at most MAX_DEPTH deep). */
export function holdsHandleKey(v: unknown): boolean {
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x !== 'object' || x === null) continue;
    if (Array.isArray(x)) {
      for (const y of x) stack.push(y);
      continue;
    }
    if (Object.hasOwn(x, HANDLE_KEY)) return true;
    for (const k of Object.keys(x)) stack.push((x as Record<string, unknown>)[k]);
  }
  return false;
}

/** Text of an outside value that should be a string (a task's error message): never throws. */
export function outsideText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  if (typeof v !== 'object') return String(v);
  try {
    return measure(v).depth > MAX_DEPTH ? '[value nested too deeply]' : JSON.stringify(v);
  } catch {
    return '[unprintable value]';
  }
}

/** A finite number or CR003. */
export function finite(n: number, what: string): number {
  if (!Number.isFinite(n)) fail('CR003', `${what} is not a finite number (${n})`);
  return n;
}
