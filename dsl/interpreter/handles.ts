/**
 * The handle table (`state.h`, frames.ts `Handle`): adding handles, settling them, combinators
 * settling from their members, routing events and signals to the handle they are for, rejecting
 * everything at a cancel, and the sweep that drops what nothing can await any more.
 *
 *   const t = new HandleTable(state);
 *   t.add(m, 'n14.s1', { k: 'task', a: 14, task: 'charge', o: 1 });   // CR021 past MAX_HANDLES
 *   t.fulfil('n14.s1', 42);  t.propagate('n14.s1');                   // combos over it may settle
 *   refOf('n14.s1')          // => { $handle: 'n14.s1' }, the workflow value standing for it
 *   sweep(m)                 // end of an activation: unreachable handles dropped, their timers cancelled
 *
 * Why a sweep: a handle lives in variables, arrays, objects, loop snapshots and combinators, and is
 * plain JSON there (no references). After an activation the live ones are exactly those a saved
 * value still names; the rest can never be awaited, so their settled values go (the state stays
 * small), their timers are cancelled, and a signal arriving later for their name is buffered for
 * the next `signal(name)` instead of being swallowed. An outstanding task of a dropped handle keeps
 * running (the runtime cannot recall it); its result is ignored.
 */
import { scopeOf, type ComboHandle, type FanHandle, type Frame, type Handle, type Pending, type SignalHandle } from './frames.ts';
import type { Meter } from './budget.ts';
import { PositionedError } from './errors.ts';
import type { ProgramIndex } from './program.ts';
import type { Command, ExecState, Value, WorkflowError } from './types.ts';

/** What the handle table needs of the machine (host.ts's AwaitHost has it; host.ts imports this file, not the reverse). */
export interface HandleHost {
  readonly ix: ProgramIndex;
  readonly state: ExecState;
  readonly commands: Command[];
  readonly meter: Meter;
}
type Machine = HandleHost;
import { copy, HANDLE_KEY, isObject, RuntimeError } from './values.ts';

/** Most handles one instance may hold at once (outstanding or settled but still reachable). */
export const MAX_HANDLES = 1000;

/** The workflow value that stands for handle `id`. */
export function refOf(id: string): Value {
  return { [HANDLE_KEY]: id };
}

/** The handle id a value stands for, when it is a handle value and the table has that id. */
export function refId(state: ExecState, v: Value): string | undefined {
  if (!isObject(v) || !Object.hasOwn(v, HANDLE_KEY)) return undefined;
  const id = v[HANDLE_KEY];
  const h = state.h;
  return typeof id === 'string' && h && Object.hasOwn(h, id) ? id : undefined;
}

/** The CancelledError a cancel throws at the blocked await and into every outstanding handle. */
export function cancelledError(reason: string): Value {
  return { name: 'CancelledError', code: 'CANCELLED', message: reason };
}

/** A view of `state.h` that counts entries (for MAX_HANDLES) without re-counting on each add. */
export class HandleTable {
  private count: number | undefined;

  constructor(private readonly state: ExecState) {}

  get map(): Record<string, Handle> {
    return (this.state.h ??= {}) as Record<string, Handle>;
  }

  get(id: string): Handle | undefined {
    const h = this.state.h;
    return h && Object.hasOwn(h, id) ? (h[id] as Handle) : undefined;
  }

  get size(): number {
    return (this.count ??= this.state.h ? Object.keys(this.state.h).length : 0);
  }

  add(id: string, h: Handle): void {
    if (this.size >= MAX_HANDLES) {
      throw new RuntimeError('CR021', `more than ${MAX_HANDLES} handles at once (tasks, timers and signal waits started and not yet dropped); await some before starting more`);
    }
    this.map[id] = h;
    this.count = this.size + 1;
  }

  delete(id: string): void {
    const h = this.state.h;
    if (!h || !Object.hasOwn(h, id)) return;
    delete h[id];
    if (this.count !== undefined) this.count--;
    if (this.count === 0) delete this.state.h;
  }

  /** Drops the whole table (the workflow ended). */
  clear(): void {
    delete this.state.h;
    this.count = 0;
  }

  fulfil(id: string, value: Value): void {
    const h = this.get(id);
    if (!h || h.r !== undefined) return;
    h.r = 1;
    h.v = value;
  }

  reject(id: string, value: Value, uncaught: WorkflowError): void {
    const h = this.get(id);
    if (!h || h.r !== undefined) return;
    h.r = 2;
    h.v = value;
    h.u = uncaught;
  }

  /** The outstanding signal handle, oldest first, that waits for `name`. */
  signalWaiter(name: string): [string, SignalHandle] | undefined {
    const map = this.state.h;
    if (!map) return undefined;
    for (const id of Object.keys(map)) {
      const h = map[id] as Handle;
      if (h.k === 'signal' && h.r === undefined && (h.names ? h.names.includes(name) : h.name === name)) return [id, h];
    }
    return undefined;
  }

  /**
   * After handle `id` settled: every outstanding combinator over it is evaluated again, and those
   * that settle in turn pass it on (a race over an `all` over …).
   */
  propagate(m: Machine, id: string): void {
    const map = this.state.h;
    if (!map) return;
    const work = [id];
    while (work.length > 0) {
      const done = work.pop()!;
      for (const cid of Object.keys(map)) {
        const c = map[cid] as Handle;
        if (c.k !== 'combo' || c.r !== undefined || !c.m.some((x) => 'h' in x && x.h === done)) continue;
        this.evaluate(m, cid, c);
        if (c.r !== undefined) work.push(cid);
      }
    }
  }

  /**
   * Settles combinator `c` if its members allow it now (TypeScript's rules; members already settled
   * count in list order, plain values as fulfilled):
   * all — the first rejection, or every value; allSettled — every outcome; race — the first
   * settled; any — the first fulfilled, or an AggregateError once all are rejected.
   */
  evaluate(m: Machine, cid: string, c: ComboHandle): void {
    const outcomes = c.m.map((x) => ('h' in x ? this.get(x.h) : { r: 1 as const, v: x.v }));
    const own = (v: Value | undefined): Value => copy(v ?? null, m.meter);
    const result = (i: number, v: Value): Value => (c.ix ? { index: i, value: v } : v);
    switch (c.op) {
      case 'all': {
        for (const o of outcomes) {
          if (o?.r === 2) return this.reject(cid, own(o.v), o.u ?? uncaughtOf(o.v));
        }
        if (outcomes.every((o) => o?.r === 1)) this.fulfil(cid, outcomes.map((o) => own(o!.v)));
        return;
      }
      case 'allSettled':
        if (outcomes.every((o) => o?.r !== undefined)) {
          this.fulfil(
            cid,
            outcomes.map((o): Value => (o!.r === 1 ? { status: 'fulfilled', value: own(o!.v) } : { status: 'rejected', reason: own(o!.v) })),
          );
        }
        return;
      case 'race':
        for (let i = 0; i < outcomes.length; i++) {
          const o = outcomes[i];
          if (o?.r === 1) return this.fulfil(cid, result(i, own(o.v)));
          if (o?.r === 2) return this.reject(cid, own(o.v), o.u ?? uncaughtOf(o.v));
        }
        return;
      case 'any': {
        for (let i = 0; i < outcomes.length; i++) {
          const o = outcomes[i];
          if (o?.r === 1) return this.fulfil(cid, result(i, own(o.v)));
        }
        if (outcomes.every((o) => o?.r === 2)) {
          const node = m.ix.nodes[c.a];
          const message = `all ${outcomes.length} handle${outcomes.length === 1 ? ' was' : 's were'} rejected`;
          const value: Value = { name: 'AggregateError', code: 'CR023', message, errors: outcomes.map((o) => own(o!.v)) };
          const u: WorkflowError = { code: 'CR023', message: `Promise.any: ${message}` };
          if (node) {
            u.line = node.span.line;
            u.col = node.span.col;
          }
          this.reject(cid, value, u);
        }
        return;
      }
      default: {
        const never: never = c.op;
        throw new Error(`unknown combinator ${JSON.stringify(never)}`);
      }
    }
  }
}

/** The failure a rejection value means uncaught, when none was recorded with it. */
function uncaughtOf(v: Value | undefined): WorkflowError {
  const o = isObject(v ?? null) ? (v as Record<string, Value>) : undefined;
  const code = typeof o?.code === 'string' && (/^CR\d{3}$/.test(o.code) || o.code === 'CANCELLED') ? o.code : 'CR017';
  return { code, message: typeof o?.message === 'string' ? o.message : JSON.stringify(v ?? null) };
}

/** Which handle an event id names: `id` itself, `id:timeout` (a signal's timer) or `id.<i>` (a fan-out child). */
export function route(t: HandleTable, eventId: string): { id: string; h: Handle; timeout?: true; child?: number } | undefined {
  const h = t.get(eventId);
  if (h) return { id: eventId, h };
  if (eventId.endsWith(':timeout')) {
    const id = eventId.slice(0, -':timeout'.length);
    const s = t.get(id);
    return s && s.k === 'signal' && s.timeoutMs !== undefined ? { id, h: s, timeout: true } : undefined;
  }
  const dot = eventId.lastIndexOf('.');
  if (dot < 0) return undefined;
  const rest = eventId.slice(dot + 1);
  const f = t.get(eventId.slice(0, dot));
  if (!f || f.k !== 'all' || !/^(0|[1-9]\d*)$/.test(rest)) return undefined;
  return { id: eventId.slice(0, dot), h: f, child: Number(rest) };
}

/**
 * Cancelling while the workflow can compensate: every outstanding handle is rejected with the
 * CancelledError (their timers cancelled; tasks in flight are abandoned by the runtime), so an
 * await of one in the compensation code throws it too.
 */
export function rejectAll(m: Machine, t: HandleTable, value: Value, uncaught: WorkflowError): void {
  const map = m.state.h;
  if (!map) return;
  for (const id of Object.keys(map)) {
    const h = map[id] as Handle;
    if (h.r !== undefined) continue;
    dropTimers(m, id, h);
    t.reject(id, copy(value, m.meter), uncaught);
  }
}

/** The timer commands an outstanding handle holds: cancelled when it is dropped or cancelled. */
function dropTimers(m: Machine, id: string, h: Handle): void {
  if (h.r !== undefined) return;
  if (h.k === 'sleep') m.commands.push({ type: 'cancelTimer', id });
  else if (h.k === 'signal' && h.timeoutMs !== undefined) m.commands.push({ type: 'cancelTimer', id: `${id}:timeout` });
}

/**
 * End of an activation: drops every handle no saved value can reach (roots: the frames' variables,
 * loop snapshots, a return or throw held by a `finally`, and what the workflow is blocked on;
 * through combinators' members and settled values). Runs only when some handle was made as a value.
 */
export function sweep(m: Machine, t: HandleTable): void {
  const map = m.state.h as Record<string, Handle> | undefined;
  if (!map) return;
  const ids = Object.keys(map);
  if (!ids.some((id) => map[id]!.o === 1)) return;
  const live = new Set<string>();
  const stack: Value[] = [];
  const mark = (id: string) => {
    if (live.has(id) || !Object.hasOwn(map, id)) return;
    live.add(id);
    const h = map[id]!;
    if (h.k === 'combo') for (const x of h.m) 'h' in x ? mark(x.h) : stack.push(x.v);
    if (h.r === 1 && h.v !== undefined) stack.push(h.v);
  };
  for (const f of m.state.frames as Frame[]) {
    const scope = scopeOf(f);
    if (scope) stack.push(scope);
    if (f.k === 'O') stack.push(f.xs);
    if (f.k === 'T' && f.c && (f.c.t === 'return' || f.c.t === 'throw')) stack.push(f.c.v);
  }
  const p = m.state.pending as Pending | null;
  if (p) mark(p.id);
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (const x of v) if (typeof x === 'object' && x !== null) stack.push(x);
      continue;
    }
    if (Object.hasOwn(v, HANDLE_KEY)) {
      const id = v[HANDLE_KEY];
      if (typeof id === 'string') mark(id);
    }
    for (const k of Object.keys(v)) {
      const x = v[k]!;
      if (typeof x === 'object' && x !== null) stack.push(x);
    }
  }
  for (const id of ids) {
    if (live.has(id)) continue;
    dropTimers(m, id, map[id]!);
    t.delete(id);
  }
}

/** Counts of a fan-out for status views. */
export function fanCounts(f: FanHandle): { total: number; done: number; inFlight: number } {
  let done = 0;
  let inFlight = 0;
  for (const s of f.st) {
    if (s === 2) done++;
    else if (s === 1) inFlight++;
  }
  return { total: f.st.length, done, inFlight };
}

/** The next await id of node `node`: `n<node>.s<seq>`, `seq` counting every await of the instance. */
export function nextAwaitId(m: { readonly state: ExecState }, node: number): string {
  m.state.seq += 1;
  return `n${node}.s${m.state.seq}`;
}

/** Puts `h` in the table as `id` (held by a variable unless `anonymous`); CR021 points at the call that made one handle too many. */
export function addHandle(m: { readonly handles: HandleTable; readonly ix: ProgramIndex }, id: string, h: Handle, anonymous: boolean): string {
  if (!anonymous) h.o = 1;
  try {
    m.handles.add(id, h);
  } catch (e) {
    const span = m.ix.nodes[h.a]?.span;
    if (e instanceof RuntimeError && span) throw new PositionedError(e.code, e.message, span);
    throw e;
  }
  return id;
}
