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
import type { Await, Call, Node, Program, TypeNode } from '../ast.ts';
import { constantScalar } from '../constant.ts';
import { checkValue, type InputError } from '../checker/input.ts';
import type { Handle, PendingV1 } from './frames.ts';
import { HandleTable } from './handles.ts';
import { indexProgram } from './program.ts';
import { upgradeState } from './state.ts';
import type { ExecState, Value } from './types.ts';
import { HANDLE_KEY, holdsHandleKey, MAX_DEPTH, measure, setOwn } from './values.ts';

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

/**
 * True when a signal of this name would be taken by a handle right now (not buffered): an
 * outstanding `signal(name)` or `signal([..., name])`, awaited now or kept in a variable.
 */
export function awaitedNow(state: ExecState, name: string): boolean {
  if (state.status !== 'waiting' && state.status !== 'running') return false;
  if (state.v < 2) {
    // a state saved before handles (it is upgraded when resumed; the door may look at it first)
    const p = state.pending as PendingV1 | null;
    return p !== null && typeof p === 'object' && p.t === 'signal' && p.name === name;
  }
  const h = state.h as Record<string, Handle> | undefined;
  if (!h) return false;
  for (const id of Object.keys(h)) {
    const x = h[id]!;
    if (x.k === 'signal' && x.r === undefined && (x.names ? x.names.includes(name) : x.name === name)) return true;
  }
  return false;
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
  if (holdsHandleKey(payload)) {
    return { ok: false, code: 'SIGNAL_INVALID', message: `the payload of signal "${name}" holds the key "${HANDLE_KEY}", which is reserved for handles` };
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

/** `signal<T>(name)` / `signal<T>([a, b])` anywhere in the program: the type of each constant name (the checker makes them agree, CT045). */
function typesByName(program: Program): Map<string, TypeNode> {
  let m = staticTypes.get(program);
  if (m) return m;
  m = new Map();
  for (const n of indexProgram(program).nodes as (Node | undefined)[]) {
    const t = n?.kind === 'Call' ? typedSignal(n) : undefined;
    if (t) for (const name of t.names) if (!m.has(name)) m.set(name, t.type);
  }
  staticTypes.set(program, m);
  return m;
}

/**
 * The constant names and the payload type of a typed `signal<T>(name…)` call, or of the `await` of
 * one (a signal handle's node is the Await when it was awaited at once, else the Call), or undefined.
 */
function typedSignal(n: Node): { names: string[]; type: TypeNode } | undefined {
  const c = n.kind === 'Await' ? (n as Await).argument : n;
  if (c.kind !== 'Call') return undefined;
  const call = c as Call;
  if (call.callee.kind !== 'Identifier' || call.callee.name !== 'signal' || !call.typeArgs?.length) return undefined;
  const arg = call.args[0];
  const parts = arg?.kind === 'ArrayLiteral' ? arg.elements : arg ? [arg] : [];
  const names: string[] = [];
  for (const p of parts) {
    const v = p.kind === 'Spread' ? undefined : constantScalar(p);
    if (typeof v === 'string') names.push(v);
  }
  return { names, type: call.typeArgs[0]! };
}

/**
 * The payload type of signal `name` for this state: the type argument of the `signal<T>(…)` whose
 * handle takes that name now (the oldest outstanding wait for it, awaited now or kept in a
 * variable; a computed name too); else the type the program gives that constant name anywhere;
 * else none (any payload). A state saved before handles (v1) is read as its upgrade.
 */
export function signalType(program: Program, saved: ExecState, name: string): TypeNode | undefined {
  if (saved.status === 'waiting' || saved.status === 'running') {
    const state = saved.v < 2 ? upgradeState(saved) : saved;
    const waiter = new HandleTable(state).signalWaiter(name);
    const node = waiter ? indexProgram(program).nodes[waiter[1].a] : undefined;
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
  return checkPayload(program, typeof name === 'string' ? signalType(program, state, name) : undefined, name, payload);
}

/** Whether `payload` fits `type` (none: any payload fits), as `checkSignal` says it. */
export function checkPayload(program: Program, type: TypeNode | undefined, name: string, payload: unknown): PayloadCheck {
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
