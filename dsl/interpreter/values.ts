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

/** Deep copy of a value (primitives are returned as they are). */
export function copy<T extends Value>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copy(v[i]!);
    return out as T;
  }
  const out: ValueObject = {};
  for (const k of Object.keys(v)) setOwn(out, k, copy((v as ValueObject)[k]!));
  return out as T;
}

/** Structural (deep) equality: what `===`, `==`, `includes` and `indexOf` use. */
export function equals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equals(a[i]!, b[i]!)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !equals(a[k]!, b[k]!)) return false;
  }
  return true;
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
 * `undefined` becomes null; non-finite numbers become null (as JSON would make them).
 */
export function fromOutside(v: unknown): Value {
  if (v === undefined) return null;
  return JSON.parse(JSON.stringify(v)) as Value;
}

/** A finite number or CR003. */
export function finite(n: number, what: string): number {
  if (!Number.isFinite(n)) fail('CR003', `${what} is not a finite number (${n})`);
  return n;
}
