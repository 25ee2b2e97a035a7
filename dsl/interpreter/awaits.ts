/**
 * Await points and handles: making a handle of a task call, `sleep`, `sleepUntil`, `signal` or a
 * `Promise.*` combinator (awaited at once, or kept as a value) and blocking on one. Events are
 * matched against the handle table in events.ts.
 *
 *   beginAwait(machine, awaitNode, stmt)   // -> { immediate: false } and machine.commands += scheduleTask…
 *   makeHandle(machine, call, call.id)     // `t(x)` as a value: the handle id (its value is refOf(id))
 *
 * Forms (dsl/README.md, "Await points"): a task call; `Promise.all` / `allSettled` of an array
 * literal of task calls or of `xs.map(task)` with an optional `{ concurrency }` (a fan-out whose
 * children are `<id>.<index>`); `Promise.all/allSettled/race/any` of any list of handles and values
 * (a combinator); `sleep(d)`, `sleepUntil(t)`; `signal(name | names[, { timeout }])` (its timer is
 * `<id>:timeout`); and `await e` of any other expression: a handle value blocks on that handle,
 * anything else is the value itself. Ids are `n<node>.s<seq>`: the Await node for a direct await,
 * the Call node for a handle made as a value.
 */
import type { Await, Call, Expression, Span, SpreadElement } from '../ast.ts';
import { parseDuration } from '../duration.ts';
import { PositionedError } from './errors.ts';
import type { ChildCall, ComboHandle, ComboOp, FanHandle, Handle, Member, Pending, SignalHandle } from './frames.ts';
import { childHandle, isChildStart } from './children.ts';
import { addHandle as add, nextAwaitId as nextId, refId } from './handles.ts';
import type { AwaitHost as Machine, AwaitStatement } from './host.ts';
import { policyOf } from './policy.ts';
import { checkPayload, takeBuffered } from './signals.ts';
import { isoOf, parseTime } from './time.ts';
import type { TaskPolicy, Value, WorkflowError } from './types.ts';
import { copy, isObject, kindOf } from './values.ts';

export { declaredPolicy } from './policy.ts';

/** Longest sleep or signal timeout: ten years (dsl/README.md: 0 < d ≤ 3650 days). */
export const MAX_WAIT_MS = 3650 * 86_400_000;
/** Default `concurrency` of `Promise.all(xs.map(task))`. */
export const DEFAULT_CONCURRENCY = 10;
/** Most names one `signal([...])` may wait for. */
export const MAX_SIGNAL_NAMES = 50;

export type BeginResult =
  | { immediate: true; value: Value }
  /** The awaited handle was already rejected: the await throws `value` (`uncaught` if nobody catches it). */
  | { immediate: 'throw'; value: Value; uncaught: WorkflowError }
  | { immediate: false };

function at(span: Span) {
  return { line: span.line, col: span.col };
}

// ---------------------------------------------------------------------------------------------
// Awaiting
// ---------------------------------------------------------------------------------------------

/**
 * `await e` in statement `stmt`: a handle made right here (anonymous: dropped once delivered), or
 * the handle a value stands for, or — for a value that is no handle — the value itself.
 */
export function beginAwait(m: Machine, node: Await, stmt: AwaitStatement): BeginResult {
  const arg = node.argument;
  if (arg.kind === 'Call' && makesHandle(m, arg, true)) return waitOn(m, node, stmt, makeHandle(m, arg, node.id, true));
  const v = m.ev(arg);
  const id = refId(m.state, v);
  if (id === undefined) return { immediate: true, value: v };
  return waitOn(m, node, stmt, id);
}

/** Blocks on handle `id`, or gives its outcome now when it has settled. */
function waitOn(m: Machine, node: Await, stmt: AwaitStatement, id: string): BeginResult {
  const h = m.handles.get(id)!;
  if (h.r === undefined) {
    m.state.pending = { t: 'wait', id, a: node.id, s: stmt.id } satisfies Pending;
    m.state.status = 'waiting';
    return { immediate: false };
  }
  const out = outcome(m, id, h);
  return out.ok ? { immediate: true, value: out.value } : { immediate: 'throw', value: out.value, uncaught: out.uncaught };
}

/**
 * The outcome of a settled handle for an await: an anonymous handle gives its value away and is
 * dropped; one held as a value stays (it may be awaited again) and gives a copy.
 */
export function outcome(m: Machine, id: string, h: Handle): { ok: true; value: Value } | { ok: false; value: Value; uncaught: WorkflowError } {
  const kept = h.o === 1;
  if (!kept) m.handles.delete(id);
  const value = kept ? copy(h.v ?? null, m.meter) : (h.v ?? null);
  if (h.r === 1) return { ok: true, value };
  return { ok: false, value, uncaught: h.u ?? { code: 'CR017', message: 'rejected' } };
}

/**
 * Does this call make a handle? Tasks (`await` looks at task names first, as it always did; a call
 * in a value position at built-ins first, as the machine does), `sleep`, `sleepUntil`, `signal` and
 * `Promise.all/allSettled/race/any` (unless a variable hides `Promise`).
 */
export function makesHandle(m: Machine, call: Call, awaited: boolean): boolean {
  const callee = call.callee;
  if (callee.kind === 'Identifier') {
    const name = callee.name;
    if (awaited && m.ix.tasks.has(name)) return true;
    if (name === 'sleep' || name === 'sleepUntil' || name === 'signal') return true;
    return m.ix.tasks.has(name);
  }
  if (isChildStart(m, call)) return true;
  return (
    callee.kind === 'Member' &&
    callee.object.kind === 'Identifier' &&
    callee.object.name === 'Promise' &&
    (callee.property === 'all' || callee.property === 'allSettled' || callee.property === 'race' || callee.property === 'any') &&
    !m.isLocal('Promise')
  );
}

/**
 * Makes the handle of a handle-making call (`makesHandle`) and gives its id. `node` names it
 * (`n<node>.s<seq>`); `anonymous` for one made by an await (nothing else can name it).
 */
export function makeHandle(m: Machine, call: Call, node: number, anonymous: boolean): string {
  const callee = call.callee;
  if (callee.kind === 'Identifier') {
    const name = callee.name;
    if (anonymous && m.ix.tasks.has(name)) return taskHandle(m, call, node, anonymous);
    if (name === 'sleep') return sleepHandle(m, call, node, anonymous);
    if (name === 'sleepUntil') return sleepUntilHandle(m, call, node, anonymous);
    if (name === 'signal') return signalHandle(m, call, node, anonymous);
    return taskHandle(m, call, node, anonymous);
  }
  if (isChildStart(m, call)) return childHandle(m, call, node, anonymous);
  const op = (callee as { property: ComboOp }).property;
  return promiseHandle(m, call, node, anonymous, op);
}


function spanOf(m: Machine, node: number, fallback: Span): Span {
  return m.ix.nodes[node]?.span ?? fallback;
}

// ---------------------------------------------------------------------------------------------
// Tasks, timers, signals
// ---------------------------------------------------------------------------------------------

function taskHandle(m: Machine, call: Call, node: number, anonymous: boolean): string {
  const task = (call.callee as { name: string }).name;
  const args = call.args.map((a) => copy(m.ev(a), m.meter));
  return startTask(m, task, args, policyOf(m, task, call.policy), node, call.span, anonymous);
}

/** Schedules `task(args)` as a new handle of node `node` (arguments already owned) and gives its id. */
export function startTask(m: Machine, task: string, args: Value[], policy: TaskPolicy, node: number, span: Span, anonymous: boolean): string {
  const id = nextId(m, node);
  add(m, id, { k: 'task', a: node, task }, anonymous);
  m.commands.push({ type: 'scheduleTask', id, task, args, policy, at: at(span) });
  return id;
}

function sleepHandle(m: Machine, call: Call, node: number, anonymous: boolean): string {
  if (call.args.length !== 1) throw new PositionedError('CT006', 'sleep takes one duration, like sleep("5m")', call.span);
  const ms = waitDuration(m.ev(call.args[0]!), 'sleep', call.span);
  const id = nextId(m, node);
  add(m, id, { k: 'sleep', a: node }, anonymous);
  const fire = new Date(m.options.now().getTime() + ms).toISOString();
  m.commands.push({ type: 'startTimer', id, fireAt: fire, durationMs: ms, purpose: 'sleep', at: at(spanOf(m, node, call.span)) });
  return id;
}

/** `sleepUntil(t)`: a timer at `t` (an ISO timestamp or ms since 1970); a time already past settles at once. */
function sleepUntilHandle(m: Machine, call: Call, node: number, anonymous: boolean): string {
  if (call.args.length !== 1) throw new PositionedError('CT006', 'sleepUntil takes one timestamp, like sleepUntil("2026-03-01T09:00:00Z")', call.span);
  const t = m.ev(call.args[0]!);
  const target = typeof t === 'string' ? parseTime(t) : typeof t === 'number' && Number.isFinite(t) ? t : undefined;
  if (target === undefined) {
    throw new PositionedError(
      'CR010',
      `sleepUntil needs an ISO timestamp like "2026-03-01T09:00:00Z" (a date, or a date and time with Z or an offset) or milliseconds since 1970, got ${typeof t === 'string' ? JSON.stringify(t.slice(0, 40)) : kindOf(t)}`,
      call.span,
    );
  }
  const ms = target - m.options.now().getTime();
  if (ms > MAX_WAIT_MS) throw new PositionedError('CR010', `sleepUntil: ${isoOf(target, 'sleepUntil')} is more than 3650 days ahead`, call.span);
  const id = nextId(m, node);
  const h: Handle = { k: 'sleep', a: node };
  if (ms <= 0) {
    h.r = 1;
    h.v = null;
    return add(m, id, h, anonymous);
  }
  add(m, id, h, anonymous);
  m.commands.push({ type: 'startTimer', id, fireAt: isoOf(target, 'sleepUntil'), durationMs: ms, purpose: 'sleep', at: at(spanOf(m, node, call.span)) });
  return id;
}

function waitDuration(v: Value, what: string, span: Span): number {
  if (typeof v !== 'string' && typeof v !== 'number') {
    throw new PositionedError('CR010', `${what} needs a duration like "30s" or a number of milliseconds, got ${kindOf(v)}`, span);
  }
  const ms = parseDuration(v);
  if (typeof ms !== 'number') throw new PositionedError('CR010', `${what}: ${ms.error}`, span);
  if (ms <= 0 || ms > MAX_WAIT_MS) {
    throw new PositionedError('CR010', `${what}: duration must be more than 0 and at most 3650 days, got ${ms}ms`, span);
  }
  return ms;
}

/** The names of `signal(name)` / `signal([a, b])` (CR010 unless non-empty strings, at most MAX_SIGNAL_NAMES). */
function signalNames(v: Value, span: Span): { name: string; names?: string[] } {
  if (typeof v === 'string' && v !== '') return { name: v };
  if (Array.isArray(v) && v.length > 0 && v.length <= MAX_SIGNAL_NAMES && v.every((x) => typeof x === 'string' && x !== '')) {
    const names = [...new Set(v as string[])];
    return { name: names[0]!, names };
  }
  if (Array.isArray(v)) {
    throw new PositionedError('CR010', `signal needs a list of 1 to ${MAX_SIGNAL_NAMES} non-empty names, got ${v.length === 0 ? 'an empty list' : v.length > MAX_SIGNAL_NAMES ? `${v.length} names` : 'a list with a non-string or empty name'}`, span);
  }
  throw new PositionedError('CR010', `signal needs a non-empty name or a list of names, got ${kindOf(v)}`, span);
}

/** The result a signal handle gives for `payload` (arrived as `name`). */
export function signalValue(h: Pick<SignalHandle, 'names' | 'timeoutMs'>, name: string, payload: Value): Value {
  if (h.names) return h.timeoutMs === undefined ? { name, payload } : { timedOut: false, name, payload };
  return h.timeoutMs === undefined ? payload : { timedOut: false, payload };
}

function signalHandle(m: Machine, call: Call, node: number, anonymous: boolean): string {
  if (call.args.length < 1 || call.args.length > 2) {
    throw new PositionedError('CT006', 'signal takes a name (or a list of names) and an optional { timeout }', call.span);
  }
  const { name, names } = signalNames(m.ev(call.args[0]!), call.span);
  let timeoutMs: number | undefined;
  if (call.args.length === 2) {
    const o = m.ev(call.args[1]!);
    const span = call.span;
    if (!isObject(o) || !Object.hasOwn(o, 'timeout')) throw new PositionedError('CR010', 'signal options must be { timeout: "2d" }', span);
    for (const k of Object.keys(o)) {
      if (k !== 'timeout') throw new PositionedError('CR010', `signal: unknown option '${k}' (only timeout)`, span);
    }
    timeoutMs = waitDuration(o.timeout!, 'signal timeout', span);
  }
  const id = nextId(m, node);
  const h: SignalHandle = { k: 'signal', a: node, name };
  if (names) h.names = names;
  if (timeoutMs !== undefined) h.timeoutMs = timeoutMs;
  // A signal that came before anybody waited: taken now (the first name in the list that has one).
  // One buffered under a name whose type came only with this `signal<T>(…)` (a computed name, or
  // an untyped wait before) could not be checked when it came: one that does not fit is dropped
  // and logged, and the next is looked at.
  const type = call.typeArgs?.[0];
  for (const n of names ?? [name]) {
    for (let buffered = takeBuffered(m.state, n); buffered; buffered = takeBuffered(m.state, n)) {
      const fits = checkPayload(m.ix.program, type, n, buffered.payload);
      if (!fits.ok) {
        m.commands.push({ type: 'log', level: 'warn', message: `signal "${n}" dropped: ${fits.message}`, at: at(call.span) });
        continue;
      }
      h.r = 1;
      h.v = signalValue(h, n, buffered.payload);
      return add(m, id, h, anonymous);
    }
  }
  add(m, id, h, anonymous);
  const where = at(spanOf(m, node, call.span));
  const wait: Extract<typeof m.commands[number], { type: 'waitForSignal' }> = { type: 'waitForSignal', id, name, at: where };
  if (names) wait.names = names;
  if (timeoutMs !== undefined) wait.timeoutMs = timeoutMs;
  m.commands.push(wait);
  if (timeoutMs !== undefined) {
    m.commands.push({
      type: 'startTimer',
      id: `${id}:timeout`,
      fireAt: new Date(m.options.now().getTime() + timeoutMs).toISOString(),
      durationMs: timeoutMs,
      purpose: 'signalTimeout',
      at: where,
    });
  }
  return id;
}

// ---------------------------------------------------------------------------------------------
// Promise.all / allSettled / race / any
// ---------------------------------------------------------------------------------------------

/** `xs.map(task)` and `[t1(a), t2(b)]` (only task calls) are fan-outs; any other list is a combinator. */
function promiseHandle(m: Machine, call: Call, node: number, anonymous: boolean, op: ComboOp): string {
  const what = `Promise.${op}`;
  if (call.args.length < 1 || call.args.length > 2) {
    throw new PositionedError('CT006', `${what} takes a list${op === 'race' || op === 'any' ? ' and an optional { index: true }' : ' and an optional { concurrency }'}`, call.span);
  }
  const list = call.args[0]!;
  if (op === 'all' || op === 'allSettled') {
    const fan = fanOut(m, list, what, call.span);
    if (fan) return fanHandle(m, call, node, anonymous, op === 'allSettled', fan);
  }
  const items = m.ev(list);
  if (!Array.isArray(items)) throw new PositionedError('CR002', `${what} needs a list (an array) of handles or values, got ${kindOf(items)}`, list.span);
  const c: ComboHandle = { k: 'combo', a: node, op, m: [] };
  if (call.args.length === 2) comboOptions(m, c, call.args[1]!, what, call.span);
  if (op === 'race' && items.length === 0) {
    throw new PositionedError('CR022', 'Promise.race of an empty list never settles (it would wait forever)', call.span);
  }
  c.m = items.map((x): Member => {
    const hid = refId(m.state, x);
    return hid !== undefined ? { h: hid } : { v: copy(x, m.meter) };
  });
  const id = nextId(m, node);
  add(m, id, c, anonymous);
  m.handles.evaluate(m, id, c);
  return id;
}

function comboOptions(m: Machine, c: ComboHandle, e: Expression, what: string, span: Span): void {
  const o = m.ev(e);
  const allowed = c.op === 'race' || c.op === 'any' ? 'index' : undefined;
  if (!isObject(o)) throw new PositionedError('CR008', `${what}: options must be an object${allowed ? ' like { index: true }' : ''}`, span);
  for (const k of Object.keys(o)) {
    if (k === 'concurrency') {
      throw new PositionedError('CR008', `${what}: concurrency applies to task calls started by it (Promise.all(xs.map(task), { concurrency }) or a list of task calls); these handles are already running`, span);
    }
    if (k !== allowed) throw new PositionedError('CR008', `${what}: unknown option '${k}'${allowed ? ' (only index)' : ''}`, span);
  }
  if (allowed && Object.hasOwn(o, 'index')) {
    if (typeof o.index !== 'boolean') throw new PositionedError('CR008', `${what}: index must be true or false`, span);
    if (o.index) c.ix = 1;
  }
}

/** The children of a fan-out form, or undefined for a list that is not one. */
function fanOut(m: Machine, list: Expression, what: string, span: Span): { kids: ChildCall[]; lim: number; spans?: Span[] } | undefined {
  const isTaskCall = (e: Expression | SpreadElement): e is Call =>
    e.kind === 'Call' && e.callee.kind === 'Identifier' && m.ix.tasks.has(e.callee.name);
  if (list.kind === 'ArrayLiteral' && list.elements.length > 0 && list.elements.every(isTaskCall)) {
    const kids = list.elements.map((el) => {
      const c = el as Call;
      const task = (c.callee as { name: string }).name;
      return { task, args: c.args.map((a) => copy(m.ev(a), m.meter)), policy: policyOf(m, task, c.policy) };
    });
    return { kids, lim: kids.length, spans: list.elements.map((e) => e.span) };
  }
  if (
    list.kind === 'Call' &&
    list.callee.kind === 'Member' &&
    list.callee.property === 'map' &&
    list.args.length === 1 &&
    list.args[0]!.kind === 'Identifier' &&
    m.ix.tasks.has(list.args[0]!.name)
  ) {
    const task = list.args[0]!.name;
    const items = m.ev(list.callee.object);
    if (!Array.isArray(items)) {
      throw new PositionedError('CR002', `${what}(xs.map(${task})) needs an array, got ${kindOf(items)}`, span);
    }
    const policy = policyOf(m, task, undefined);
    return { kids: items.map((item) => ({ task, args: [copy(item, m.meter)], policy })), lim: DEFAULT_CONCURRENCY };
  }
  return undefined;
}

function fanHandle(m: Machine, call: Call, node: number, anonymous: boolean, settled: boolean, fan: { kids: ChildCall[]; lim: number; spans?: Span[] }): string {
  const what = settled ? 'Promise.allSettled' : 'Promise.all';
  const lim = call.args.length === 2 ? concurrencyOf(m, call.args[1]!, what, call.span) : fan.lim;
  const id = nextId(m, node);
  const f: FanHandle = { k: 'all', a: node, settled, kids: fan.kids, st: fan.kids.map(() => 0), res: fan.kids.map(() => null), lim, next: 0 };
  if (fan.kids.length === 0) {
    f.r = 1;
    f.v = [];
    return add(m, id, f, anonymous);
  }
  add(m, id, f, anonymous);
  fillWave(m, id, f, fan.spans?.map(at), at(spanOf(m, node, call.span)));
  return id;
}

function concurrencyOf(m: Machine, e: Expression, what: string, span: Span): number {
  const o = m.ev(e);
  if (!isObject(o)) throw new PositionedError('CR008', `${what}: options must be an object like { concurrency: 5 }`, span);
  for (const k of Object.keys(o)) {
    if (k !== 'concurrency') throw new PositionedError('CR008', `${what}: unknown option '${k}' (only concurrency)`, span);
  }
  const c = Object.hasOwn(o, 'concurrency') ? o.concurrency! : DEFAULT_CONCURRENCY;
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 1) {
    throw new PositionedError('CR008', `${what}: concurrency must be a positive integer, got ${JSON.stringify(c)}`, span);
  }
  return c;
}

/** Schedules queued children while fewer than `lim` are in flight. */
export function fillWave(m: Machine, id: string, p: FanHandle, childAt: ({ line: number; col: number } | undefined)[] | undefined, awaitAt: { line: number; col: number }): void {
  let inFlight = 0;
  for (const s of p.st) if (s === 1) inFlight++;
  while (inFlight < p.lim && p.next < p.kids.length) {
    const i = p.next++;
    const kid = p.kids[i]!;
    p.kids[i] = null;
    p.st[i] = 1;
    inFlight++;
    m.commands.push({ type: 'scheduleTask', id: `${id}.${i}`, task: kid.task, args: kid.args, policy: kid.policy, at: childAt?.[i] ?? awaitAt });
  }
}
