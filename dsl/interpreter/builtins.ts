/**
 * The built-in table: every function and method a workflow may call without declaring it, with its
 * arity, parameter and result types and a one-line signature, plus the implementation.
 *
 * The checker reads the table for arity and type checks; the interpreter calls `call`. Types are
 * written in the DSL's own syntax (`string`, `number[]`, `any`, …) with two placeholders for array
 * methods: `T` is the element type of the receiver array and `T[]` the receiver's own type.
 *
 *   BUILTINS.string.padStart // => { params: [{ name: 'length', type: 'number' }, { name: 'fill', type: 'string', optional: true }],
 *                            //      returns: 'string', minArgs: 1, maxArgs: 2, signature: 'padStart(length: number, fill?: string): string', call }
 *   lookupMethod('hi', 'toUpperCase')!.call(['hi'] ...)
 *
 * Groups: `string` and `array` (methods, receiver first), `Math`, `Object`, `JSON`, `Array`,
 * `Promise`, `console` (namespaces; `console.*` entries carry `log` and no `call`), `global` (plain functions). `handle` entries (`sleep`,
 * `sleepUntil`, `signal`, `Promise.all/allSettled/race/any`) have no `call`: the interpreter makes
 * a handle of them (awaits.ts), awaited at once or kept in a variable.
 * Mutating array methods (`mutates: true`) change the array they are called on in place; because
 * reading a variable or property gives its stored array, that is exactly "the variable or property
 * they are called on" (dsl/README.md).
 */
import type { Meter } from './budget.ts';
import type { Value } from './types.ts';
import { addTime, dayOfWeek, startOfDay, timeBetween } from './time.ts';
import { copy, equals, fail, fromOutside, isObject, kindOf, MAX_DEPTH, measure, toText, truthy, type ValueObject } from './values.ts';

/** What built-ins may ask the host for (injected clock and ids) and the activation's budget. */
export interface BuiltinContext {
  now(): Date;
  uuid(): string;
  /** Charged before a built-in creates a large value (budget.ts). */
  meter: Meter;
}

export interface BuiltinParam {
  name: string;
  /** A DSL type; `T` = element type of the receiver array. */
  type: string;
  optional?: boolean;
  /** Takes any number of further arguments of this type (`push(...items)`). */
  rest?: boolean;
}

export interface Builtin {
  params: BuiltinParam[];
  returns: string;
  minArgs: number;
  /** `Infinity` with a rest parameter. */
  maxArgs: number;
  /** Human-readable, e.g. `slice(start?: number, end?: number): T[]`. */
  signature: string;
  /** Changes its receiver in place (array push/pop/shift/unshift/reverse/sort). */
  mutates?: boolean;
  /** Makes a handle (a timer, a signal wait, a combinator): handled by the interpreter (awaits.ts), no `call`. */
  handle?: boolean;
  /** Does not scan its receiver (`slice`, `push`): its work is its arguments and its result. */
  light?: boolean;
  /** A `console` function: the machine formats the arguments into a `log` command of this level. */
  log?: 'info' | 'warn' | 'error';
  /**
   * An array method whose first argument is a function (an arrow function or a helper's name): the
   * machine runs it (interpreter/callbacks.ts); `call`, when present, is the form without one
   * (`sort()`).
   */
  callback?: CallbackSpec;
  /** For methods `self` is the receiver; for functions it is null. Throws RuntimeError. */
  call?: (self: Value, args: Value[], ctx: BuiltinContext) => Value;
}

/** What an array method passes its callback, and what it makes of the callback's results. */
export interface CallbackSpec {
  /** The callback's parameters, as DSL types (`T` = the receiver's element type, `A` = reduce's accumulator). */
  params: { name: string; type: string }[];
  /**
   * `value`: collected (map); `flatten`: collected one level flat (flatMap); `test`: truthiness
   * (filter, find, findIndex, some, every); `ignored` (forEach); `accumulator` (reduce); `order`: a
   * number, negative, zero or positive (sort).
   */
  result: 'value' | 'flatten' | 'test' | 'ignored' | 'accumulator' | 'order';
}

type Call = NonNullable<Builtin['call']>;

const EACH = [{ name: 'value', type: 'T' }, { name: 'index', type: 'number' }, { name: 'array', type: 'T[]' }];

/**
 * An array method taking a callback: `name(callback: (value: T, index: number, array: T[]) => …)`,
 * plus reduce's initial value. No `call`: the machine runs it with the function it was given.
 */
function withCallback(name: string, result: CallbackSpec['result'], returns: string, opts: { initial?: boolean; params?: CallbackSpec['params']; cbReturns?: string } = {}): Builtin {
  const cbParams = opts.params ?? EACH;
  const fnType = `(${cbParams.map((p) => `${p.name}: ${p.type}`).join(', ')}) => ${opts.cbReturns ?? 'any'}`;
  const params: BuiltinParam[] = [{ name: 'callback', type: 'function' }];
  if (opts.initial) params.push({ name: 'initialValue', type: 'A', optional: true });
  return {
    params,
    returns,
    minArgs: 1,
    maxArgs: params.length,
    signature: `${name}(callback: ${fnType}${opts.initial ? ', initialValue?: A' : ''}): ${returns}`,
    callback: { params: cbParams, result },
  };
}

/** Builds an entry from a signature like `padStart(length: number, fill?: string): string`. */
function def(signature: string, call?: Call, extra: { mutates?: boolean; handle?: boolean; light?: boolean; log?: Builtin['log'] } = {}): Builtin {
  const m = /^([\w.]+)\((.*)\): (.+)$/.exec(signature);
  if (!m) throw new Error(`bad built-in signature ${signature}`);
  const params: BuiltinParam[] = [];
  for (const raw of m[2]!.split(/,\s*(?![^[]*\])/).filter(Boolean)) {
    const pm = /^(\.\.\.)?(\w+)(\?)?: (.+)$/.exec(raw.trim());
    if (!pm) throw new Error(`bad built-in parameter ${raw} in ${signature}`);
    const p: BuiltinParam = { name: pm[2]!, type: pm[4]!.replace(/\[\]$/, pm[1] ? '' : '[]') };
    if (!pm[1]) p.type = pm[4]!;
    if (pm[3]) p.optional = true;
    if (pm[1]) p.rest = true;
    params.push(p);
  }
  const rest = params.some((p) => p.rest);
  const b: Builtin = {
    params,
    returns: m[3]!,
    minArgs: params.filter((p) => !p.optional && !p.rest).length,
    maxArgs: rest ? Infinity : params.length,
    signature,
    ...extra,
  };
  if (call) b.call = call;
  return b;
}

// ---------------------------------------------------------------------------------------------
// Argument helpers: a wrong argument is CR008 with the built-in's name.
// ---------------------------------------------------------------------------------------------

function str(args: Value[], i: number, fn: string): string {
  const v = args[i];
  if (typeof v !== 'string') fail('CR008', `${fn}: argument ${i + 1} must be a string, got ${kindOf(v ?? null)}`);
  return v;
}
function num(args: Value[], i: number, fn: string): number {
  const v = args[i];
  if (typeof v !== 'number') fail('CR008', `${fn}: argument ${i + 1} must be a number, got ${kindOf(v ?? null)}`);
  return v;
}
function optNum(args: Value[], i: number, fn: string): number | undefined {
  return args[i] === undefined ? undefined : num(args, i, fn);
}
function optStr(args: Value[], i: number, fn: string): string | undefined {
  return args[i] === undefined ? undefined : str(args, i, fn);
}
/** Guards against strings that would exhaust memory (`"x".repeat(1e12)`), before they are made. */
function sized(n: number, fn: string, ctx: BuiltinContext): number {
  if (!Number.isInteger(n) || n < 0) fail('CR008', `${fn}: count must be a non-negative integer, got ${n}`);
  if (n > ctx.meter.maxStringLength) fail('CR008', `${fn}: result longer than ${ctx.meter.maxStringLength} characters`);
  ctx.meter.string(n);
  return n;
}
/** Occurrences of `search` in `text` (non-overlapping, as replaceAll and split count them). */
function occurrences(text: string, search: string): number {
  if (search === '') return text.length + 1;
  let n = 0;
  for (let i = text.indexOf(search); i >= 0; i = text.indexOf(search, i + search.length)) n++;
  return n;
}
function finiteResult(n: number, fn: string): number {
  if (!Number.isFinite(n)) fail('CR003', `${fn} gives ${n}, not a finite number`);
  return n === 0 ? 0 : n; // no -0 (it would become 0 at the next JSON round trip)
}
function arr(self: Value): Value[] {
  return self as Value[];
}
function s(self: Value): string {
  return self as string;
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

const stringMethods: Record<string, Builtin> = {
  toUpperCase: def('toUpperCase(): string', (x) => s(x).toUpperCase()),
  toLowerCase: def('toLowerCase(): string', (x) => s(x).toLowerCase()),
  trim: def('trim(): string', (x) => s(x).trim()),
  split: def('split(separator: string, limit?: number): string[]', (x, a, ctx) => {
    const sep = str(a, 0, 'split');
    const limit = optNum(a, 1, 'split');
    const parts = sep === '' ? s(x).length : occurrences(s(x), sep) + 1;
    ctx.meter.array(limit === undefined ? parts : Math.min(parts, Math.max(0, limit >>> 0)));
    return s(x).split(sep, limit);
  }),
  includes: def('includes(search: string, position?: number): boolean', (x, a) =>
    s(x).includes(str(a, 0, 'includes'), optNum(a, 1, 'includes')),
  ),
  startsWith: def('startsWith(search: string, position?: number): boolean', (x, a) =>
    s(x).startsWith(str(a, 0, 'startsWith'), optNum(a, 1, 'startsWith')),
  ),
  endsWith: def('endsWith(search: string, length?: number): boolean', (x, a) =>
    s(x).endsWith(str(a, 0, 'endsWith'), optNum(a, 1, 'endsWith')),
  ),
  indexOf: def('indexOf(search: string, from?: number): number', (x, a) =>
    s(x).indexOf(str(a, 0, 'indexOf'), optNum(a, 1, 'indexOf')),
  ),
  slice: def('slice(start?: number, end?: number): string', (x, a) =>
    s(x).slice(optNum(a, 0, 'slice'), optNum(a, 1, 'slice')),
  { light: true }),
  substring: def('substring(start: number, end?: number): string', (x, a) =>
    s(x).substring(num(a, 0, 'substring'), optNum(a, 1, 'substring')),
  { light: true }),
  // Why a function replacement: the replacement text is literal (no `$&` patterns, no regexes).
  replace: def('replace(search: string, replacement: string): string', (x, a, ctx) => {
    const r = str(a, 1, 'replace');
    const search = str(a, 0, 'replace');
    if (s(x).includes(search)) ctx.meter.string(s(x).length - search.length + r.length);
    return s(x).replace(search, () => r);
  }),
  replaceAll: def('replaceAll(search: string, replacement: string): string', (x, a, ctx) => {
    const r = str(a, 1, 'replaceAll');
    const search = str(a, 0, 'replaceAll');
    // Why count first: the result (10M occurrences × a long replacement) is refused before it is made.
    const n = occurrences(s(x), search);
    ctx.meter.string(s(x).length + n * (r.length - search.length));
    return s(x).replaceAll(search, () => r);
  }),
  padStart: def('padStart(length: number, fill?: string): string', (x, a, ctx) =>
    s(x).padStart(sized(num(a, 0, 'padStart'), 'padStart', ctx), optStr(a, 1, 'padStart')),
  { light: true }),
  padEnd: def('padEnd(length: number, fill?: string): string', (x, a, ctx) =>
    s(x).padEnd(sized(num(a, 0, 'padEnd'), 'padEnd', ctx), optStr(a, 1, 'padEnd')),
  { light: true }),
  repeat: def('repeat(count: number): string', (x, a, ctx) => {
    const n = num(a, 0, 'repeat');
    if (!Number.isInteger(n) || n < 0) fail('CR008', `repeat: count must be a non-negative integer, got ${n}`);
    sized(n * s(x).length, 'repeat', ctx);
    return s(x).repeat(n);
  }, { light: true }),
};

/** Order for `sort()`: all numbers (numeric) or all strings (code units); anything else is CR002. */
function sortValues(xs: Value[]): Value[] {
  if (xs.length === 0) return xs;
  const t = typeof xs[0];
  if (t !== 'number' && t !== 'string') fail('CR002', `sort() needs numbers or strings, got ${kindOf(xs[0]!)}`);
  for (const v of xs) {
    if (typeof v !== t) fail('CR002', `sort() of mixed types (${kindOf(xs[0]!)} and ${kindOf(v)})`);
  }
  if (t === 'number') return xs.sort((p, q) => (p as number) - (q as number));
  return xs.sort((p, q) => ((p as string) < (q as string) ? -1 : (p as string) > (q as string) ? 1 : 0));
}

function flatten(xs: Value[], depth: number, out: Value[], ctx: BuiltinContext): Value[] {
  for (const v of xs) {
    if (Array.isArray(v) && depth > 0) flatten(v, depth - 1, out, ctx);
    else {
      if (out.length >= ctx.meter.maxArrayLength) ctx.meter.array(out.length + 1);
      out.push(v);
    }
  }
  ctx.meter.work(xs.length);
  return out;
}

function indexOfValue(xs: Value[], v: Value, ctx: BuiltinContext): number {
  const work = { units: 0 };
  try {
    for (let i = 0; i < xs.length; i++) if (equals(xs[i]!, v, work)) return i;
    return -1;
  } finally {
    ctx.meter.work(work.units);
  }
}

/** `toText` that measures (and charges) an array or object before printing it. */
function text(v: Value, ctx: BuiltinContext, indent?: number | string): string {
  if (typeof v !== 'object' || v === null) return toText(v);
  const size = measure(v);
  if (size.depth > MAX_DEPTH) fail('CR013', `value nested deeper than ${MAX_DEPTH} levels`);
  ctx.meter.work(size.nodes);
  // an indent adds at most (indent + 1) characters per node
  const pad = typeof indent === 'number' ? Math.min(10, Math.max(0, indent)) : typeof indent === 'string' ? Math.min(10, indent.length) : 0;
  ctx.meter.string(size.bytes + (pad > 0 ? size.nodes * (pad * size.depth + 1) : 0));
  return JSON.stringify(v, null, indent);
}

const arrayMethods: Record<string, Builtin> = {
  push: def('push(...items: T[]): number', (x, a, ctx) => {
    ctx.meter.array(arr(x).length + a.length, false);
    ctx.meter.alloc(8 * a.length);
    for (const v of a) arr(x).push(copy(v, ctx.meter));
    return arr(x).length;
  }, { mutates: true, light: true }),
  pop: def('pop(): T | null', (x) => (arr(x).length ? arr(x).pop()! : null), { mutates: true, light: true }),
  shift: def('shift(): T | null', (x) => (arr(x).length ? arr(x).shift()! : null), { mutates: true }),
  unshift: def('unshift(...items: T[]): number', (x, a, ctx) => {
    ctx.meter.array(arr(x).length + a.length, false);
    ctx.meter.alloc(8 * a.length);
    return arr(x).unshift(...a.map((v) => copy(v, ctx.meter)));
  }, { mutates: true }),
  reverse: def('reverse(): T[]', (x) => arr(x).reverse(), { mutates: true }),
  // `sort()` orders numbers numerically and strings by code unit; `sort((a, b) => …)` by a comparator
  // (interpreter/callbacks.ts).
  sort: {
    ...def('sort(): T[]', (x, _, ctx) => {
      ctx.meter.work(arr(x).length * Math.ceil(Math.log2(arr(x).length + 1)));
      return sortValues(arr(x));
    }, { mutates: true }),
    params: [{ name: 'compare', type: 'function', optional: true }],
    maxArgs: 1,
    signature: 'sort(compare?: (a: T, b: T) => number): T[]',
    callback: { params: [{ name: 'a', type: 'T' }, { name: 'b', type: 'T' }], result: 'order' },
  },
  map: withCallback('map', 'value', 'any[]', { cbReturns: 'U' }),
  filter: withCallback('filter', 'test', 'T[]'),
  find: withCallback('find', 'test', 'T | null'),
  findIndex: withCallback('findIndex', 'test', 'number'),
  some: withCallback('some', 'test', 'boolean'),
  every: withCallback('every', 'test', 'boolean'),
  forEach: withCallback('forEach', 'ignored', 'null'),
  flatMap: withCallback('flatMap', 'flatten', 'any[]', { cbReturns: 'U | U[]' }),
  reduce: withCallback('reduce', 'accumulator', 'A', {
    initial: true,
    params: [{ name: 'accumulator', type: 'A' }, ...EACH],
    cbReturns: 'A',
  }),
  slice: def('slice(start?: number, end?: number): T[]', (x, a, ctx) =>
    copy(arr(x).slice(optNum(a, 0, 'slice'), optNum(a, 1, 'slice')), ctx.meter),
  { light: true }),
  concat: def('concat(...items: any[]): T[]', (x, a, ctx) => {
    let n = arr(x).length;
    for (const v of a) n += Array.isArray(v) ? v.length : 1;
    ctx.meter.array(n);
    return copy(arr(x).concat(...a), ctx.meter);
  }, { light: true }),
  includes: def('includes(item: T): boolean', (x, a, ctx) => indexOfValue(arr(x), a[0] ?? null, ctx) >= 0),
  indexOf: def('indexOf(item: T): number', (x, a, ctx) => indexOfValue(arr(x), a[0] ?? null, ctx)),
  // Why null → "": JavaScript's join does so, and `[a, null].join(",")` printing "a,null" would surprise.
  join: def('join(separator?: string): string', (x, a, ctx) => {
    const sep = optStr(a, 0, 'join') ?? ',';
    const parts: string[] = [];
    let length = 0;
    for (const v of arr(x)) {
      const t = v === null ? '' : text(v, ctx);
      length += t.length + (parts.length > 0 ? sep.length : 0);
      ctx.meter.string(length);
      parts.push(t);
    }
    return parts.join(sep);
  }),
  flat: def('flat(depth?: number): any[]', (x, a, ctx) => {
    const d = optNum(a, 0, 'flat') ?? 1;
    if (!Number.isInteger(d) || d < 0) fail('CR008', `flat: depth must be a non-negative integer, got ${d}`);
    return copy(flatten(arr(x), Math.min(d, MAX_DEPTH), [], ctx), ctx.meter);
  }),
};

function mathFn(name: string, f: (...xs: number[]) => number, sig: string): Builtin {
  return def(sig, (_, a) => {
    for (let i = 0; i < a.length; i++) num(a, i, `Math.${name}`);
    return finiteResult(f(...(a as number[])), `Math.${name}`);
  });
}

const math: Record<string, Builtin> = {
  abs: mathFn('abs', Math.abs, 'abs(x: number): number'),
  ceil: mathFn('ceil', Math.ceil, 'ceil(x: number): number'),
  floor: mathFn('floor', Math.floor, 'floor(x: number): number'),
  round: mathFn('round', Math.round, 'round(x: number): number'),
  max: mathFn('max', Math.max, 'max(first: number, ...rest: number[]): number'),
  min: mathFn('min', Math.min, 'min(first: number, ...rest: number[]): number'),
  pow: mathFn('pow', Math.pow, 'pow(base: number, exponent: number): number'),
  sqrt: mathFn('sqrt', Math.sqrt, 'sqrt(x: number): number'),
  trunc: mathFn('trunc', Math.trunc, 'trunc(x: number): number'),
  sign: mathFn('sign', Math.sign, 'sign(x: number): number'),
};

function obj(a: Value[], fn: string): ValueObject {
  const v = a[0] ?? null;
  if (!isObject(v)) fail('CR008', `${fn}: argument must be an object, got ${kindOf(v)}`);
  return v;
}

const objectFns: Record<string, Builtin> = {
  keys: def('keys(o: any): string[]', (_, a) => Object.keys(obj(a, 'Object.keys'))),
  values: def('values(o: any): any[]', (_, a, ctx) => copy(Object.values(obj(a, 'Object.values')), ctx.meter)),
  entries: def('entries(o: any): [string, any][]', (_, a, ctx) => copy(Object.entries(obj(a, 'Object.entries')), ctx.meter)),
};

const jsonFns: Record<string, Builtin> = {
  stringify: def('stringify(value: any, replacer?: null, indent?: number): string', (_, a, ctx) => {
    if (a.length > 1 && a[1] !== null) fail('CR008', 'JSON.stringify: the second argument must be null');
    const indent = a.length > 2 ? a[2] : undefined;
    if (indent !== undefined && typeof indent !== 'number' && typeof indent !== 'string') {
      fail('CR008', `JSON.stringify: indent must be a number or string, got ${kindOf(indent)}`);
    }
    const v = a[0] ?? null;
    if (typeof v !== 'object' || v === null) return JSON.stringify(v);
    return text(v, ctx, indent as number | string | undefined);
  }),
  parse: def('parse(text: string): any', (_, a) => {
    const source = str(a, 0, 'JSON.parse');
    let parsed: unknown;
    try {
      parsed = JSON.parse(source);
    } catch (e) {
      return fail('CR012', `JSON.parse: ${(e as Error).message}`);
    }
    return fromOutside(parsed); // CR013 when nested too deeply
  }),
};

const arrayFns: Record<string, Builtin> = {
  isArray: def('isArray(value: any): boolean', (_, a) => Array.isArray(a[0])),
};

const promiseFns: Record<string, Builtin> = {
  all: def('all(handles: any[], options?: any): any[]', undefined, { handle: true }),
  allSettled: def('allSettled(handles: any[], options?: any): any[]', undefined, { handle: true }),
  race: def('race(handles: any[], options?: any): any', undefined, { handle: true }),
  any: def('any(handles: any[], options?: any): any', undefined, { handle: true }),
};

/** `Number(x)`: a string that is not a number gives null, never NaN; arrays and objects give null. */
function toNumber(v: Value): Value {
  if (v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = Number(v);
    return Number.isFinite(n) ? (n === 0 ? 0 : n) : null;
  }
  return null;
}

const globalFns: Record<string, Builtin> = {
  String: def('String(value: any): string', (_, a, ctx) => text(a[0] ?? null, ctx)),
  Number: def('Number(value: any): number | null', (_, a) => toNumber(a[0] ?? null)),
  Boolean: def('Boolean(value: any): boolean', (_, a) => truthy(a[0] ?? null)),
  now: def('now(): string', (_, __, ctx) => ctx.now().toISOString()),
  uuid: def('uuid(): string', (_, __, ctx) => ctx.uuid()),
  // `new Error(m)` parses to this call: an error is a plain object, so it survives the saved state.
  Error: def('Error(message?: any): any', (_, a, ctx) => ({ name: 'Error', message: a.length === 0 || a[0] === null ? '' : text(a[0]!, ctx) })),
  sleep: def('sleep(duration: string | number): null', undefined, { handle: true }),
  sleepUntil: def('sleepUntil(time: string | number): null', undefined, { handle: true }),
  signal: def('signal(name: string | string[], options?: any): any', undefined, { handle: true }),
  // Time, UTC only (time.ts): timestamps are ISO strings (or ms since 1970), durations "2d" or ms.
  addTime: def('addTime(time: string | number, duration: string | number): string', (_, a) => addTime(a[0] ?? null, a[1] ?? null)),
  startOfDay: def('startOfDay(time: string | number): string', (_, a) => startOfDay(a[0] ?? null)),
  timeBetween: def('timeBetween(from: string | number, to: string | number): number', (_, a) => timeBetween(a[0] ?? null, a[1] ?? null)),
  dayOfWeek: def('dayOfWeek(time: string | number): number', (_, a) => dayOfWeek(a[0] ?? null)),
};

// `console.*` writes a line to the instance's step log (a `log` command, made by the machine:
// calls.ts `log`); it returns null and never suspends.
const consoleFns: Record<string, Builtin> = {
  log: def('log(...values: any[]): null', undefined, { log: 'info' }),
  info: def('info(...values: any[]): null', undefined, { log: 'info' }),
  warn: def('warn(...values: any[]): null', undefined, { log: 'warn' }),
  error: def('error(...values: any[]): null', undefined, { log: 'error' }),
};

export const BUILTINS = {
  string: stringMethods,
  array: arrayMethods,
  Math: math,
  Object: objectFns,
  JSON: jsonFns,
  Array: arrayFns,
  Promise: promiseFns,
  console: consoleFns,
  global: globalFns,
} as const;

/** Namespaces reachable as `Name.fn(...)` (unless a local variable of that name shadows them). */
export const NAMESPACES: Record<string, Record<string, Builtin>> = {
  Math: math,
  Object: objectFns,
  JSON: jsonFns,
  Array: arrayFns,
  Promise: promiseFns,
  console: consoleFns,
};

/** Properties (not methods) of strings and arrays. */
export const PROPERTIES = {
  string: { length: 'number' },
  array: { length: 'number' },
} as const;

/** The method `name` of a string or array receiver, or undefined. */
export function lookupMethod(self: Value, name: string): Builtin | undefined {
  const table = typeof self === 'string' ? stringMethods : Array.isArray(self) ? arrayMethods : undefined;
  return table && Object.hasOwn(table, name) ? table[name] : undefined;
}

/** Arity check shared by checker and interpreter: a message, or undefined when the count fits. */
export function arityProblem(b: Builtin, count: number, name: string): string | undefined {
  if (count >= b.minArgs && count <= b.maxArgs) return undefined;
  const want = b.minArgs === b.maxArgs ? `${b.minArgs}` : b.maxArgs === Infinity ? `at least ${b.minArgs}` : `${b.minArgs} to ${b.maxArgs}`;
  return `${name} takes ${want} argument${want === '1' ? '' : 's'}, got ${count} (${b.signature})`;
}
