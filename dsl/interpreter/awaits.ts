/**
 * Await points: turning `await …` into a pending record plus commands, and matching events against
 * the pending record on resume.
 *
 *   beginAwait(machine, awaitNode, stmt)   // -> { immediate: false } and machine.commands += scheduleTask…
 *   matchEvent(machine, event)             // -> { ignored: 'why' } | { value } | { waiting: true } | { failed: true }
 *
 * Forms (dsl/README.md, "Await points"): a task call; `Promise.all` / `Promise.allSettled` of an
 * array literal of task calls or of `xs.map(task)` with an optional `{ concurrency }`; `sleep(d)`;
 * `signal(name)` and `signal(name, { timeout })`. Ids are `n<await node>.s<seq>`, fan-out children
 * append `.<index>`, a signal's timeout timer is `<id>:timeout`.
 */
import type { Await, Call, Expression, ObjectLiteral, Program, Span, SpreadElement } from '../ast.ts';
import { constantValue } from '../constant.ts';
import { parseDuration } from '../duration.ts';
import type { ChildCall, Pending, PendingAll, PendingSignal } from './frames.ts';
import { PositionedError } from './errors.ts';
import type { AwaitHost as Machine, AwaitStatement } from './host.ts';
import { admitSignal, buffer, checkSignal, takeBuffered } from './signals.ts';
import { DEFAULT_POLICY, POLICY_TYPE_LIMITS, type TaskFailure, type TaskPolicy, type Value, type WorkflowError, type WorkflowEvent } from './types.ts';
import { copy, fromOutside, isObject, kindOf, outsideText, RuntimeError } from './values.ts';

/** Longest sleep or signal timeout: ten years (dsl/README.md: 0 < d ≤ 3650 days). */
export const MAX_WAIT_MS = 3650 * 86_400_000;
/** Default `concurrency` of `Promise.all(xs.map(task))`. */
export const DEFAULT_CONCURRENCY = 10;

export type BeginResult = { immediate: true; value: Value } | { immediate: false };

function at(span: Span) {
  return { line: span.line, col: span.col };
}

/** Starts the await `node` of statement `stmt`: either a value now, or a pending record and commands. */
export function beginAwait(m: Machine, node: Await, stmt: AwaitStatement): BeginResult {
  const arg = node.argument;
  if (arg.kind !== 'Call') throw invalid(node);
  const callee = arg.callee;
  if (callee.kind === 'Identifier') {
    const name = callee.name;
    if (m.ix.tasks.has(name)) return awaitTask(m, node, stmt, arg);
    if (name === 'sleep') return awaitSleep(m, node, stmt, arg);
    if (name === 'signal') return awaitSignal(m, node, stmt, arg);
  } else if (
    callee.kind === 'Member' &&
    callee.object.kind === 'Identifier' &&
    callee.object.name === 'Promise' &&
    (callee.property === 'all' || callee.property === 'allSettled') &&
    !m.isLocal('Promise')
  ) {
    return awaitAll(m, node, stmt, arg, callee.property === 'allSettled');
  }
  throw invalid(node);
}

function invalid(node: Await): PositionedError {
  return new PositionedError(
    'CT015',
    'await needs a task call, Promise.all/allSettled of task calls, sleep(d) or signal(name)',
    node.span,
  );
}

function nextId(m: Machine, node: Await): string {
  m.state.seq += 1;
  return `n${node.id}.s${m.state.seq}`;
}

function awaitTask(m: Machine, node: Await, stmt: AwaitStatement, call: Call): BeginResult {
  const task = (call.callee as { name: string }).name;
  const args = call.args.map((a) => copy(m.ev(a), m.meter));
  const policy = policyOf(m, task, call.policy);
  const id = nextId(m, node);
  m.state.pending = { t: 'task', id, a: node.id, s: stmt.id, task } satisfies Pending;
  m.state.status = 'waiting';
  m.commands.push({ type: 'scheduleTask', id, task, args, policy, at: at(call.span) });
  return { immediate: false };
}

function awaitAll(m: Machine, node: Await, stmt: AwaitStatement, call: Call, settled: boolean): BeginResult {
  const what = settled ? 'Promise.allSettled' : 'Promise.all';
  if (call.args.length < 1 || call.args.length > 2) {
    throw new PositionedError('CT006', `${what} takes a list and an optional { concurrency }`, call.span);
  }
  const list = call.args[0]!;
  let kids: ChildCall[];
  let lim: number;
  const isTaskCall = (e: Expression | SpreadElement): e is Call =>
    e.kind === 'Call' && e.callee.kind === 'Identifier' && m.ix.tasks.has(e.callee.name);
  if (list.kind === 'ArrayLiteral') {
    kids = list.elements.map((el) => {
      if (!isTaskCall(el)) {
        throw new PositionedError('CT015', `${what}([...]) takes task calls only, like ${what}([a(x), b(y)])`, el.span);
      }
      const task = (el.callee as { name: string }).name;
      return { task, args: el.args.map((a) => copy(m.ev(a), m.meter)), policy: policyOf(m, task, el.policy) };
    });
    lim = kids.length;
  } else if (
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
      throw new PositionedError('CR002', `${what}(xs.map(${task})) needs an array, got ${kindOf(items)}`, call.span);
    }
    const policy = policyOf(m, task, undefined);
    kids = items.map((item) => ({ task, args: [copy(item, m.meter)], policy }));
    lim = DEFAULT_CONCURRENCY;
  } else {
    throw new PositionedError('CT015', `${what} takes [task calls…] or xs.map(task)`, list.span);
  }
  if (call.args.length === 2) lim = concurrencyOf(m, call.args[1]!, what, call.span);
  const id = nextId(m, node);
  if (kids.length === 0) return { immediate: true, value: [] };
  const p: PendingAll = {
    t: 'all',
    id,
    a: node.id,
    s: stmt.id,
    settled,
    kids,
    st: kids.map(() => 0),
    res: kids.map(() => null),
    lim,
    next: 0,
  };
  m.state.pending = p;
  m.state.status = 'waiting';
  const spans = list.kind === 'ArrayLiteral' ? list.elements.map((e) => e.span) : undefined;
  fillWave(m, p, spans?.map(at) ?? undefined, at(node.span));
  return { immediate: false };
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
function fillWave(m: Machine, p: PendingAll, childAt: ({ line: number; col: number } | undefined)[] | undefined, awaitAt: { line: number; col: number }): void {
  let inFlight = 0;
  for (const s of p.st) if (s === 1) inFlight++;
  while (inFlight < p.lim && p.next < p.kids.length) {
    const i = p.next++;
    const kid = p.kids[i]!;
    p.kids[i] = null;
    p.st[i] = 1;
    inFlight++;
    m.commands.push({
      type: 'scheduleTask',
      id: `${p.id}.${i}`,
      task: kid.task,
      args: kid.args,
      policy: kid.policy,
      at: childAt?.[i] ?? awaitAt,
    });
  }
}

function awaitSleep(m: Machine, node: Await, stmt: AwaitStatement, call: Call): BeginResult {
  if (call.args.length !== 1) throw new PositionedError('CT006', 'sleep takes one duration, like sleep("5m")', call.span);
  const ms = waitDuration(m.ev(call.args[0]!), 'sleep', call.span);
  const id = nextId(m, node);
  m.state.pending = { t: 'sleep', id, a: node.id, s: stmt.id } satisfies Pending;
  m.state.status = 'waiting';
  m.commands.push({ type: 'startTimer', id, fireAt: fireAt(m, ms), durationMs: ms, purpose: 'sleep', at: at(node.span) });
  return { immediate: false };
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

function fireAt(m: Machine, ms: number): string {
  return new Date(m.options.now().getTime() + ms).toISOString();
}

function awaitSignal(m: Machine, node: Await, stmt: AwaitStatement, call: Call): BeginResult {
  if (call.args.length < 1 || call.args.length > 2) {
    throw new PositionedError('CT006', 'signal takes a name and an optional { timeout }', call.span);
  }
  const name = m.ev(call.args[0]!);
  if (typeof name !== 'string' || name === '') {
    throw new PositionedError('CR010', `signal needs a non-empty name, got ${kindOf(name)}`, call.span);
  }
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
  const p: PendingSignal = { t: 'signal', id, a: node.id, s: stmt.id, name };
  for (let buffered = takeBuffered(m.state, name); buffered; buffered = takeBuffered(m.state, name)) {
    const payload = buffered.payload;
    // A payload buffered under a computed name before its `signal<T>` awaited it could not be
    // checked when it came (signals.ts `signalType`): one that does not fit is dropped and logged.
    const fits = call.typeArgs ? checkSignal(m.ix.program, { ...m.state, status: 'waiting', pending: p }, name, payload) : ({ ok: true } as const);
    if (!fits.ok) {
      m.commands.push({ type: 'log', level: 'warn', message: `signal "${name}" dropped: ${fits.message}`, at: at(call.span) });
      continue;
    }
    return { immediate: true, value: timeoutMs === undefined ? payload : { timedOut: false, payload } };
  }
  if (timeoutMs !== undefined) p.timeoutMs = timeoutMs;
  m.state.pending = p;
  m.state.status = 'waiting';
  const wait: Extract<typeof m.commands[number], { type: 'waitForSignal' }> = { type: 'waitForSignal', id, name, at: at(node.span) };
  if (timeoutMs !== undefined) wait.timeoutMs = timeoutMs;
  m.commands.push(wait);
  if (timeoutMs !== undefined) {
    m.commands.push({
      type: 'startTimer',
      id: `${id}:timeout`,
      fireAt: fireAt(m, timeoutMs),
      durationMs: timeoutMs,
      purpose: 'signalTimeout',
      at: at(node.span),
    });
  }
  return { immediate: false };
}

// ---------------------------------------------------------------------------------------------
// Task policies
// ---------------------------------------------------------------------------------------------

/**
 * The policy a task's declaration gives (DEFAULT_POLICY ⊕ its `with {…}`), for tooling such as the
 * CDK construct; a call's `with {…}` may still override it. Throws on an invalid policy (CT014).
 *
 *   declaredPolicy(program, 'chargeCard') // => { retries: 3, backoffMs: 1000, …, timeoutMs: 30000 }
 */
export function declaredPolicy(program: Program, task: string): TaskPolicy {
  const decl = program.tasks.find((t) => t.name === task);
  if (!decl) throw new Error(`no task '${task}' is declared in ${program.file}`);
  return decl.policy ? applyPolicy(DEFAULT_POLICY, constant(decl.policy), task, decl.policy.span) : clonePolicy(DEFAULT_POLICY);
}

/** DEFAULT_POLICY ⊕ the declaration's `with {…}` ⊕ the call's `with {…}`. */
function policyOf(m: Machine, task: string, callPolicy: ObjectLiteral | undefined): TaskPolicy {
  let base = m.ix.policies.get(task);
  if (base === undefined) {
    const decl = m.ix.tasks.get(task)!;
    try {
      base = decl.policy ? applyPolicy(DEFAULT_POLICY, constant(decl.policy), task, decl.policy.span) : DEFAULT_POLICY;
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      base = e;
    }
    m.ix.policies.set(task, base);
  }
  if (base instanceof RuntimeError) throw base;
  if (!callPolicy) return clonePolicy(base);
  return applyPolicy(base, m.ev(callPolicy), task, callPolicy.span);
}

/** A copy that shares no list with the cached declaration policy (commands and states own theirs). */
function clonePolicy(p: TaskPolicy): TaskPolicy {
  const c = { ...p };
  if (p.nonRetryable) c.nonRetryable = [...p.nonRetryable];
  if (p.retryOn) c.retryOn = [...p.retryOn];
  return c;
}

function applyPolicy(base: TaskPolicy, v: Value, task: string, span: Span): TaskPolicy {
  if (!isObject(v)) throw new PositionedError('CT014', `policy of ${task} must be an object`, span);
  const p = clonePolicy(base);
  const duration = (k: string, x: Value, min: number): number => {
    const ms = typeof x === 'string' || typeof x === 'number' ? parseDuration(x) : { error: `expected a duration, got ${kindOf(x)}` };
    if (typeof ms !== 'number') throw new PositionedError('CT014', `policy ${k} of ${task}: ${ms.error}`, span);
    if (ms < min) throw new PositionedError('CT014', `policy ${k} of ${task} must be at least ${min}ms`, span);
    return ms;
  };
  for (const [k, x] of Object.entries(v)) {
    switch (k) {
      case 'retries':
        if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) {
          throw new PositionedError('CT014', `policy retries of ${task} must be an integer ≥ 0`, span);
        }
        p.retries = x;
        break;
      case 'backoff':
        p.backoffMs = duration(k, x, 0);
        break;
      case 'backoffRate':
        if (typeof x !== 'number' || !(x >= 1)) throw new PositionedError('CT014', `policy backoffRate of ${task} must be a number ≥ 1`, span);
        p.backoffRate = x;
        break;
      case 'maxBackoff':
        p.maxBackoffMs = duration(k, x, 0);
        break;
      case 'timeout':
        p.timeoutMs = duration(k, x, 1);
        break;
      case 'nonRetryable':
      case 'retryOn':
        if (Object.hasOwn(v, k === 'retryOn' ? 'nonRetryable' : 'retryOn')) {
          throw new PositionedError('CT014', `policy of ${task}: use one of nonRetryable or retryOn, not both`, span);
        }
        // A list replaces the base's rule by error type, whichever form that was.
        delete p.nonRetryable;
        delete p.retryOn;
        p[k] = errorTypes(k, x, task, span);
        break;
      default:
        throw new PositionedError('CT014', `unknown policy key '${k}' (${POLICY_KEYS.join(', ')})`, span);
    }
  }
  return p;
}

const POLICY_KEYS = ['retries', 'backoff', 'backoffRate', 'maxBackoff', 'timeout', 'nonRetryable', 'retryOn'];

/** A `nonRetryable` / `retryOn` list: at most 50 non-empty strings of at most 100 characters, copied. */
function errorTypes(k: string, x: Value, task: string, span: Span): string[] {
  const { entries, chars } = POLICY_TYPE_LIMITS;
  if (!Array.isArray(x)) throw new PositionedError('CT014', `policy ${k} of ${task} must be a list of error types (strings), got ${kindOf(x)}`, span);
  if (x.length > entries) throw new PositionedError('CT014', `policy ${k} of ${task} lists ${x.length} error types; at most ${entries}`, span);
  for (const t of x) {
    if (typeof t !== 'string' || t === '' || t.length > chars) {
      throw new PositionedError('CT014', `policy ${k} of ${task}: each error type must be a non-empty string of at most ${chars} characters, got ${typeof t === 'string' ? JSON.stringify(t.slice(0, 40)) : kindOf(t)}`, span);
    }
  }
  return [...new Set(x as string[])];
}

/** A declaration policy is constant: literals only (the checker enforces it; this is the runtime's view). */
function constant(e: Expression): Value {
  const v = constantValue(e);
  if (v === undefined) throw new PositionedError('CT014', 'a task declaration policy takes constant values only', e.span);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

export type Match =
  | { kind: 'ignored'; why: string }
  /** The await is resolved with this value. */
  | { kind: 'value'; value: Value }
  /** The event applied but the await still waits (a fan-out child, a buffered signal). */
  | { kind: 'waiting' }
  /** The workflow failed (the machine has emitted `fail`). */
  | { kind: 'failed' }
  /** The await throws `value` (a task failed permanently): a `catch` may take it, else the instance fails with `uncaught`. */
  | { kind: 'throw'; value: Value; uncaught: WorkflowError };

/** Applies `event` to the waiting state; resolves, advances or fails the pending await. */
export function matchEvent(m: Machine, event: WorkflowEvent): Match {
  const p = m.state.pending as Pending | null;
  if (event.type === 'signal') {
    // Why ignore rather than fail: anyone allowed to signal must not be able to fail the instance.
    const door = admitSignal(m.state, event.name, event.payload, m.options);
    if (!door.ok) return { kind: 'ignored', why: `${door.code}: ${door.message}` };
    const typed = checkSignal(m.ix.program, m.state, event.name, event.payload);
    if (!typed.ok) return { kind: 'ignored', why: `${typed.code}: ${typed.message}` };
    if (p && p.t === 'signal' && p.name === event.name) {
      const payload = fromOutside(event.payload);
      if (p.timeoutMs === undefined) return { kind: 'value', value: payload };
      m.commands.push({ type: 'cancelTimer', id: `${p.id}:timeout` });
      return { kind: 'value', value: { timedOut: false, payload } };
    }
    // Nobody waits for it yet: keep it, oldest first, for a later `await signal(name)`.
    buffer(m.state, event.name, fromOutside(event.payload));
    return { kind: 'waiting' };
  }
  if (!p) return { kind: 'ignored', why: `no await is pending (event for ${event.id})` };
  if (event.type === 'taskFailed' && (typeof event.failure !== 'object' || event.failure === null)) {
    // a failure that is not an object (a hand-made message): its text is the message
    event = { ...event, failure: { message: outsideText(event.failure), attempts: 1 } };
  }
  switch (event.type) {
    case 'timerFired':
      if (p.t === 'sleep' && event.id === p.id) return { kind: 'value', value: null };
      if (p.t === 'signal' && p.timeoutMs !== undefined && event.id === `${p.id}:timeout`) {
        return { kind: 'value', value: { timedOut: true, payload: null } };
      }
      return { kind: 'ignored', why: `timer ${event.id} is not awaited (pending: ${p.id})` };
    case 'taskCompleted':
    case 'taskFailed': {
      if (p.t === 'task') {
        if (event.id !== p.id) return { kind: 'ignored', why: `task ${event.id} is not awaited (pending: ${p.id})` };
        if (event.type === 'taskCompleted') return { kind: 'value', value: fromOutside(event.result) };
        return taskFailed(m, p.task, event.failure, p.a);
      }
      if (p.t === 'all') return childEvent(m, p, event);
      return { kind: 'ignored', why: `task ${event.id} is not awaited (pending: ${p.id})` };
    }
    default: {
      const never: never = event;
      return { kind: 'ignored', why: `unknown event ${JSON.stringify(never)}` };
    }
  }
}

function childEvent(
  m: Machine,
  p: PendingAll,
  event: Extract<WorkflowEvent, { type: 'taskCompleted' | 'taskFailed' }>,
): Match {
  const prefix = `${p.id}.`;
  const rest = event.id.startsWith(prefix) ? event.id.slice(prefix.length) : '';
  const i = /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : -1;
  if (i < 0 || i >= p.st.length || p.st[i] !== 1) {
    return { kind: 'ignored', why: `task ${event.id} is not in flight (pending: ${p.id})` };
  }
  p.st[i] = 2;
  const node = m.ix.nodes[p.a] as Await;
  const task = taskNameOf(m, p, i);
  if (event.type === 'taskCompleted') {
    const value = fromOutside(event.result);
    p.res[i] = p.settled ? { status: 'fulfilled', value } : value;
  } else if (p.settled) {
    p.res[i] = { status: 'rejected', reason: reason(task, event.failure) };
  } else {
    // the first failure of Promise.all throws; the other children's results will be ignored
    return taskFailed(m, task, event.failure, p.a);
  }
  if (p.st.every((s) => s === 2)) return { kind: 'value', value: p.res };
  fillWave(m, p, undefined, at(node.span));
  return { kind: 'waiting' };
}

/** The task of child `i` (kept for failures after `kids[i]` was cleared). */
function taskNameOf(m: Machine, p: PendingAll, i: number): string {
  const node = m.ix.nodes[p.a] as Await;
  const call = node.argument as Call;
  const list = call.args[0]!;
  if (list.kind === 'ArrayLiteral') {
    const el = list.elements[i];
    if (el && el.kind === 'Call' && el.callee.kind === 'Identifier') return el.callee.name;
  }
  if (list.kind === 'Call' && list.args[0]?.kind === 'Identifier') return list.args[0].name;
  return 'task';
}

function reason(task: string, f: TaskFailure): Value {
  return {
    message: outsideText(f.message),
    type: typeof f.type === 'string' ? f.type : f.timedOut === true ? 'Timeout' : 'Error',
    attempts: typeof f.attempts === 'number' ? f.attempts : 1,
    task,
  };
}

/**
 * A task's permanent failure as a throw at its await: the caught value is
 * `{ name, type, message, code: 'CR007', task, attempts, timedOut, line, col }` (`name` = `type` =
 * the task's error type, or `Timeout` / `Error`, as in an allSettled reason); uncaught, the
 * instance fails with CR007 and the long message below.
 */
function taskFailed(m: Machine, task: string, f: TaskFailure, awaitNode: number): Match {
  const span = (m.ix.nodes[awaitNode] as Await).span;
  m.cur = m.ix.nodes[(m.state.pending as Pending).s] as typeof m.cur;
  const attempts = typeof f.attempts === 'number' ? f.attempts : 1;
  const how = f.timedOut === true ? 'timed out' : 'failed';
  const r = reason(task, f) as { message: string; type: string };
  const value: Value = {
    name: r.type,
    type: r.type,
    message: r.message,
    code: 'CR007',
    task,
    attempts,
    timedOut: f.timedOut === true,
    line: span.line,
    col: span.col,
  };
  const uncaught: WorkflowError = {
    code: 'CR007',
    message:
      `task ${task} ${how} permanently after ${attempts} attempt${attempts === 1 ? '' : 's'} ` +
      `(line ${span.line}, col ${span.col}): ${outsideText(f.message)}` +
      (typeof f.type === 'string' && f.type !== '' ? ` [${f.type}]` : ''),
    line: span.line,
    col: span.col,
    task,
    attempts,
  };
  return { kind: 'throw', value, uncaught };
}
