/**
 * The signal buffer of an instance (`state.signals`: payloads by name, oldest first, for signals
 * that arrived while nobody awaited that name) and its doors: `admitSignal` says whether a signal
 * may be delivered to a state, before anything is changed; `checkSignal` whether its payload fits
 * the type the workflow gives that name (`signal<Decision>("decision")`).
 *
 *   admitSignal(state, 'approve', { ok: true })
 *   // => { ok: true } | { ok: false, code: 'SIGNAL_BUFFER_FULL', message: '…' }
 *   checkSignal(program, state, 'decision', 42)
 *   // => { ok: false, code: 'SIGNAL_PAYLOAD_INVALID', message: '…', errors: [{ path: '$', message: 'expected Decision, got number' }] }
 *
 * Names come from outside (`constructor`, `__proto__` are fine names), so the buffer is only ever
 * read through own keys: a state saved by an earlier version (a plain object, with
 * Object.prototype) works the same as a fresh one, and the state stays plain JSON.
 */
import type { Await, Node, Program, TypeNode } from '../ast.ts';
import { constantScalar } from '../constant.ts';
import { checkValue, type InputError } from '../checker/input.ts';
import type { Pending } from './frames.ts';
import { indexProgram } from './program.ts';
import type { ExecState, Value } from './types.ts';
import { MAX_DEPTH, measure, setOwn } from './values.ts';

export const DEFAULT_MAX_BUFFERED_SIGNALS = 100;
export const DEFAULT_MAX_BUFFERED_SIGNAL_BYTES = 65_536;

export interface SignalLimits {
  maxBufferedSignals?: number;
  maxBufferedSignalBytes?: number;
}

export type SignalRefusal = 'SIGNAL_BUFFER_FULL' | 'SIGNAL_TOO_LARGE' | 'SIGNAL_INVALID' | 'SIGNAL_PAYLOAD_INVALID';

export type Admission = { ok: true } | { ok: false; code: SignalRefusal; message: string };

/** The buffered payloads of `name` (own keys only), or undefined. */
function bufferOf(state: ExecState, name: string): Value[] | undefined {
  const s = state.signals;
  if (typeof s !== 'object' || s === null || !Object.hasOwn(s, name)) return undefined;
  const list = s[name];
  return Array.isArray(list) ? list : undefined;
}

/** Takes the oldest buffered payload of `name`, or undefined when none is buffered. */
export function takeBuffered(state: ExecState, name: string): { payload: Value } | undefined {
  const list = bufferOf(state, name);
  if (!list || list.length === 0) return undefined;
  const payload = list.shift()!;
  if (list.length === 0) delete state.signals[name];
  return { payload };
}

/** Appends a payload to the buffer of `name` (the caller has admitted it). */
export function buffer(state: ExecState, name: string, payload: Value): void {
  const list = bufferOf(state, name);
  if (list) list.push(payload);
  else {
    if (typeof state.signals !== 'object' || state.signals === null || Array.isArray(state.signals)) state.signals = {};
    setOwn(state.signals as Record<string, Value>, name, [payload]);
  }
}

/** True when the state waits for a signal of this name right now (it would not be buffered). */
export function awaitedNow(state: ExecState, name: string): boolean {
  const p = state.status === 'waiting' ? (state.pending as Pending | null) : null;
  return p !== null && p.t === 'signal' && p.name === name;
}

/**
 * Whether a signal may be delivered: its name must be a non-empty string and its payload nested at
 * most MAX_DEPTH levels; a signal nobody awaits right now must also fit the buffer (at most
 * `maxBufferedSignals` signals and `maxBufferedSignalBytes` bytes of JSON payload in all). A signal
 * that is awaited right now is never refused for the buffer. A finished instance admits anything
 * (the runtime ignores it there).
 */
export function admitSignal(state: ExecState, name: unknown, payload: unknown, limits: SignalLimits = {}): Admission {
  if (typeof name !== 'string' || name === '') {
    return { ok: false, code: 'SIGNAL_INVALID', message: 'a signal name must be a non-empty string' };
  }
  const size = payload === undefined ? { bytes: 4, depth: 0 } : measure(payload);
  if (size.depth > MAX_DEPTH) {
    return { ok: false, code: 'SIGNAL_TOO_LARGE', message: `the payload of signal "${name}" is nested deeper than ${MAX_DEPTH} levels` };
  }
  if (state.status !== 'waiting' && state.status !== 'running') return { ok: true };
  if (awaitedNow(state, name)) return { ok: true };
  const maxCount = limits.maxBufferedSignals ?? DEFAULT_MAX_BUFFERED_SIGNALS;
  const maxBytes = limits.maxBufferedSignalBytes ?? DEFAULT_MAX_BUFFERED_SIGNAL_BYTES;
  if (size.bytes > maxBytes) {
    return {
      ok: false,
      code: 'SIGNAL_TOO_LARGE',
      message: `signal "${name}" is not awaited now and its payload of ${size.bytes} bytes is over the buffer limit of ${maxBytes} bytes`,
    };
  }
  let count = 0;
  let bytes = 0;
  const s = state.signals;
  if (typeof s === 'object' && s !== null) {
    for (const k of Object.keys(s)) {
      const list = s[k];
      if (!Array.isArray(list)) continue;
      count += list.length;
      for (const v of list) bytes += measure(v).bytes;
    }
  }
  if (count + 1 > maxCount) {
    return { ok: false, code: 'SIGNAL_BUFFER_FULL', message: `the instance already holds ${count} signals nobody awaits (limit ${maxCount}); signal "${name}" refused` };
  }
  if (bytes + size.bytes > maxBytes) {
    return {
      ok: false,
      code: 'SIGNAL_BUFFER_FULL',
      message: `buffered signals would take ${bytes + size.bytes} bytes, over the limit of ${maxBytes}; signal "${name}" refused`,
    };
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------
// Typed signals: `signal<T>(name)`
// ---------------------------------------------------------------------------------------------

export type PayloadCheck = { ok: true } | { ok: false; code: 'SIGNAL_PAYLOAD_INVALID'; message: string; errors: InputError[] };

const staticTypes = new WeakMap<Program, Map<string, TypeNode>>();

/** `signal<T>("name")` anywhere in the program: the type of each constant name (the checker makes them agree, CT045). */
function typesByName(program: Program): Map<string, TypeNode> {
  let m = staticTypes.get(program);
  if (m) return m;
  m = new Map();
  for (const n of indexProgram(program).nodes as (Node | undefined)[]) {
    const t = n ? typedSignal(n) : undefined;
    if (t?.name !== undefined && !m.has(t.name)) m.set(t.name, t.type);
  }
  staticTypes.set(program, m);
  return m;
}

/** The name (when constant) and payload type of a typed `await signal<T>(name…)`, or undefined. */
function typedSignal(n: Node): { name?: string; type: TypeNode } | undefined {
  if (n.kind !== 'Await') return undefined;
  const c = (n as Await).argument;
  if (c.kind !== 'Call' || c.callee.kind !== 'Identifier' || c.callee.name !== 'signal' || !c.typeArgs?.length) return undefined;
  const name = c.args[0] ? constantScalar(c.args[0]) : undefined;
  return typeof name === 'string' ? { name, type: c.typeArgs[0]! } : { type: c.typeArgs[0]! };
}

/**
 * The payload type of signal `name` for this state: the type argument of the `signal<T>(…)` the
 * state awaits right now, when it awaits that name (a computed name too); else the type the
 * program gives that constant name anywhere; else none (any payload).
 */
export function signalType(program: Program, state: ExecState, name: string): TypeNode | undefined {
  const p = state.status === 'waiting' ? (state.pending as Pending | null) : null;
  if (p && p.t === 'signal' && p.name === name) {
    const node = indexProgram(program).nodes[p.a];
    const own = node ? typedSignal(node) : undefined;
    if (own) return own.type;
  }
  const m = typesByName(program);
  return m.has(name) ? m.get(name) : undefined;
}

/**
 * Whether a signal's payload fits the type the workflow gives its name (`signalType`), with the
 * path of every mismatch, as for a workflow's input: a caller at the door answers 4xx and changes
 * nothing; inside the engine the signal is ignored (it never fails the instance). An untyped name
 * takes any payload.
 */
export function checkSignal(program: Program, state: ExecState, name: string, payload: unknown): PayloadCheck {
  const type = typeof name === 'string' ? signalType(program, state, name) : undefined;
  if (!type) return { ok: true };
  const r = checkValue(program, type, payload);
  if (r.ok) return r;
  const what = program.source.slice(type.span.start, type.span.end);
  return {
    ok: false,
    code: 'SIGNAL_PAYLOAD_INVALID',
    message: `the payload of signal "${name}" does not match ${what}: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    errors: r.errors,
  };
}
