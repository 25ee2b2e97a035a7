/**
 * Awaits and handles: `await e` of a handle-making call or of any value (CT015 for an await of an
 * await, CT032 for a value that is no handle), and the handle-making built-ins — `sleep`,
 * `sleepUntil`, `signal` with their durations, timestamps and names (CT006, CT020, CT033, CT034),
 * and `Promise.all` / `allSettled` / `race` / `any` over task calls, `xs.map(task)` or any list of
 * handles and values, with their options (CT005–CT007, CT015, CT035). Each gives the type its
 * `await` gives; without `await` the caller wraps it in `Promise<…>`. Typed signals
 * `signal<T>(name)` / `signal<T>([a, b])` type the payload as T (one payload type per constant
 * name: CT045); the other handle makers take no type arguments (CT043).
 */
import type { Await, Call, Expression } from '../ast.ts';
import { isDurationError, parseDuration } from '../duration.ts';
import { constantScalar } from '../constant.ts';
import { parseTime } from '../interpreter/time.ts';
import { globalFn } from './builtins.ts';
import { childCall, isChildCall } from './children.ts';
import { elementOfQuiet, mapTask, taskCall } from './calls.ts';
import { awaitInFunction, definitelyNot, isNumberLike, isStringLike, noTypeArgs, report, show, type Ctx } from './context.ts';
import { awaitedValue, handleTypeAtEdge, unwrap } from './handles.ts';
import { badPolicy } from './policies.ts';
import { ANY, BOOLEAN, NULL, NUMBER, STRING, arrayOf, objectOf, union, type Type } from './types.ts';

/** Longest durable sleep (dsl/README.md: 0 < d ≤ 3650 days). */
const MAX_SLEEP_MS = 3650 * 86_400_000;

/** What `Promise.allSettled` gives for each element. */
function settled(value: Type): Type {
  return union([
    objectOf({ status: { kind: 'literal', value: 'fulfilled' }, value }),
    objectOf({
      status: { kind: 'literal', value: 'rejected' },
      reason: objectOf({ message: STRING, type: union([STRING, NULL]), attempts: NUMBER, task: STRING }),
    }),
  ]);
}

/** `await X`: a handle made right there, a handle value, or any other value (which it gives as it is). */
export function awaited(ctx: Ctx, aw: Await): Type {
  const t = aw.argument;
  if (ctx.fn) awaitInFunction(ctx, aw.span, 'await');
  if (t.kind === 'Await') {
    report(ctx, 'CT015', t.span, 'await of an await', { hint: 'one await is enough' });
    return awaited(ctx, t);
  }
  if (t.kind === 'Call') {
    const r = handleCall(ctx, t, true);
    if (r) return r;
  }
  return awaitedValue(ctx, ctx.expr(t), t.span);
}

/**
 * A call that makes a handle — a task, `sleep`, `sleepUntil`, `signal`, `Promise.*` — checked: the
 * type its `await` gives; undefined when the call makes no handle. `awaited`: a task name wins over
 * a built-in of that name (as in the interpreter's await); as a value the built-in wins.
 */
export function handleCall(ctx: Ctx, c: Call, awaited: boolean): Type | undefined {
  const callee = c.callee;
  if (callee.kind === 'Identifier') {
    // A call by a task's name is the task even where a variable has that name (as in the
    // interpreter: calls resolve to tasks, variables are never callable).
    const task = ctx.tasks.get(callee.name);
    if (task && (awaited || !globalFn(callee.name))) {
      noTypeArgs(ctx, c, `task '${task.decl.name}'`);
      return taskCall(ctx, c, task);
    }
    if (ctx.scope.lookup(callee.name).state === 'declared') return undefined;
    const maker = callee.name === 'sleep' ? sleepCall : callee.name === 'sleepUntil' ? sleepUntilCall : callee.name === 'signal' ? signalCall : undefined;
    if (!maker) return undefined;
    if (c.policy) badPolicy(ctx, c);
    if (maker !== signalCall) noTypeArgs(ctx, c, `${callee.name}(…)`);
    return maker(ctx, c);
  }
  if (isChildCall(ctx, c)) return childCall(ctx, c);
  if (
    callee.kind === 'Member' &&
    callee.object.kind === 'Identifier' &&
    callee.object.name === 'Promise' &&
    (callee.property === 'all' || callee.property === 'allSettled' || callee.property === 'race' || callee.property === 'any') &&
    ctx.scope.lookup('Promise').state === 'missing'
  ) {
    if (c.policy) badPolicy(ctx, c);
    noTypeArgs(ctx, c, `Promise.${callee.property}(…)`);
    return promiseCall(ctx, c, callee.property);
  }
  return undefined;
}

/** `sleep(d)`: one duration, literal ones checked for format and range (CT020). */
export function sleepCall(ctx: Ctx, c: Call): Type {
  if (c.args.length !== 1) report(ctx, 'CT006', c.span, `sleep takes 1 argument, got ${c.args.length}`, { hint: 'sleep("5m") or sleep(250) (milliseconds)' });
  const a = c.args[0];
  if (a) duration(ctx, a, 'sleep');
  c.args.slice(1).forEach((x) => ctx.expr(x));
  return NULL;
}

/** A duration argument (sleep or signal timeout): a string like "5m" or milliseconds. */
function duration(ctx: Ctx, a: Expression, what: string): void {
  const t = ctx.expr(a);
  const v = constantScalar(a);
  if (typeof v === 'string' || typeof v === 'number') {
    const d = parseDuration(v);
    if (isDurationError(d)) report(ctx, 'CT020', a.span, `${what}: ${d.error}`);
    else if (d <= 0) report(ctx, 'CT020', a.span, `${what}: the duration must be more than 0`);
    else if (d > MAX_SLEEP_MS) report(ctx, 'CT020', a.span, `${what}: the duration must be at most 3650 days`);
    return;
  }
  if (definitelyNot(ctx, t, (m) => isStringLike(m) || isNumberLike(m))) {
    report(ctx, 'CT007', a.span, `${what} needs a duration (a string like "5m" or milliseconds), got ${show(ctx, t)}`);
  }
}

/** `sleepUntil(t)`: one timestamp, a literal one checked (CT033). */
export function sleepUntilCall(ctx: Ctx, c: Call): Type {
  if (c.args.length !== 1) report(ctx, 'CT006', c.span, `sleepUntil takes 1 argument, got ${c.args.length}`, { hint: 'sleepUntil("2026-03-01T09:00:00Z"), or a time computed with addTime / startOfDay' });
  const a = c.args[0];
  if (a) timestamp(ctx, a, 'sleepUntil');
  c.args.slice(1).forEach((x) => ctx.expr(x));
  return NULL;
}

/** A timestamp argument (sleepUntil, the date functions): an ISO string (a literal one is checked, CT033) or milliseconds. */
export function timestamp(ctx: Ctx, a: Expression, what: string): void {
  const t = ctx.expr(a);
  const v = constantScalar(a);
  if (typeof v === 'string' && parseTime(v) === undefined) {
    report(ctx, 'CT033', a.span, `${what}: ${JSON.stringify(v)} is not an ISO timestamp`, {
      hint: 'write a date ("2026-03-01") or a date and time with Z or an offset ("2026-03-01T09:00:00Z", "2026-03-01T09:00:00+01:00"); times are UTC',
    });
  } else if (v === undefined && definitelyNot(ctx, t, (m) => isStringLike(m) || isNumberLike(m))) {
    report(ctx, 'CT007', a.span, `${what} needs an ISO timestamp or milliseconds, got ${show(ctx, t)}`);
  }
}

/**
 * `signal(name)` gives the payload, `signal([a, b])` `{ name, payload }`; with `{ timeout }` both add
 * `timedOut` (and the payload may be null). `signal<T>(…)` types the payload as T, and the engine
 * checks each payload sent to that name against T when it arrives (dsl/interpreter/signals.ts
 * `checkSignal`): so one constant name has one payload type in a workflow (CT045).
 */
export function signalCall(ctx: Ctx, c: Call): Type {
  if (c.args.length < 1 || c.args.length > 2) {
    report(ctx, 'CT006', c.span, `signal takes 1 or 2 arguments, got ${c.args.length}`, { hint: 'signal("approve"), signal(["approve", "reject"]) or signal("approve", { timeout: "2d" })' });
  }
  let payload: Type = ANY;
  if (c.typeArgs) {
    if (c.typeArgs.length !== 1) {
      report(ctx, 'CT043', c.typeArgs[0]!.span, `signal takes one type argument (the payload type), got ${c.typeArgs.length}`, { hint: 'signal<Decision>("decision")' });
    }
    payload = ctx.env.fromNode(c.typeArgs[0]!);
    handleTypeAtEdge(ctx, payload, c.typeArgs[0]!.span, 'a signal payload');
    c.typeArgs.slice(1).forEach((t) => ctx.env.fromNode(t));
  }
  const [name, opts, ...rest] = c.args;
  let many: boolean | undefined = false;
  if (name) {
    many = signalNames(ctx, name);
    if (c.typeArgs) oneTypePerName(ctx, c, name, payload);
  }
  rest.forEach((x) => ctx.expr(x));
  // an untyped payload of a timed wait stays any; a typed one is T or null (after a timeout)
  const timedPayload = c.typeArgs ? union([payload, NULL]) : ANY;
  // a name of unknown type may be one name or a list: the result's shape is unknown
  const named = (t: Type): Type => (many === undefined ? ANY : t);
  const plain = named(many ? objectOf({ name: STRING, payload }) : payload);
  if (!opts) return plain;
  const timed = many ? objectOf({ timedOut: BOOLEAN, name: union([STRING, NULL]), payload: timedPayload }) : objectOf({ timedOut: BOOLEAN, payload: timedPayload });
  if (opts.kind !== 'ObjectLiteral') {
    ctx.expr(opts);
    report(ctx, 'CT015', opts.span, 'the second argument of signal must be written as { timeout: … }');
    return named(timed);
  }
  let timeout = false;
  if (!opts.properties.some((p) => p.kind === 'Property' && p.key === 'timeout')) {
    report(ctx, 'CT015', opts.span, 'signal options must be { timeout: … }', { hint: 'signal("name", { timeout: "2d" }), or leave the options out' });
  }
  for (const p of opts.properties) {
    if (p.kind === 'Property' && p.key === 'timeout') {
      timeout = true;
      duration(ctx, p.value, 'signal timeout');
    } else {
      if (p.kind === 'Spread') ctx.expr(p.argument);
      else ctx.expr(p.value);
      report(ctx, 'CT015', p.span, `signal options take only timeout`, { hint: 'signal("name", { timeout: "2d" })' });
    }
  }
  if (!timeout) return plain;
  return named(timed);
}

/**
 * CT045: every constant name of a `signal<T>(…)` keeps the payload type it was first given (the
 * engine checks an arriving payload against its name's type, so two types for one name would make
 * one of the awaits unreachable for some payloads).
 */
function oneTypePerName(ctx: Ctx, c: Call, name: Expression, payload: Type): void {
  const names = name.kind === 'ArrayLiteral' ? name.elements.map((e) => (e.kind === 'Spread' ? undefined : constantScalar(e))) : [constantScalar(name)];
  const span = c.typeArgs![0]!.span;
  for (const constant of names) {
    if (typeof constant !== 'string' || constant === '') continue;
    const seen = ctx.signals.get(constant);
    if (!seen) ctx.signals.set(constant, { type: payload, span });
    else if (!(ctx.env.assignable(seen.type, payload) && ctx.env.assignable(payload, seen.type))) {
      report(ctx, 'CT045', span, `signal "${constant}" is awaited with payload ${show(ctx, payload)} here and ${show(ctx, seen.type)} at line ${seen.span.line}`, {
        hint: "a payload is checked against its name's type when it arrives: give one name one type (or use two names)",
      });
    }
  }
}

/**
 * The names of a signal: a non-empty string, or a list of them (CT034 for an empty list or a
 * literal that is not a non-empty string). Gives whether it is a list (undefined: unknown).
 */
function signalNames(ctx: Ctx, name: Expression): boolean | undefined {
  const t = ctx.expr(name);
  if (name.kind === 'ArrayLiteral') {
    if (name.elements.length === 0) report(ctx, 'CT034', name.span, 'signal needs at least one name', { hint: 'signal(["approve", "reject"])' });
    for (const el of name.elements) {
      const v = el.kind === 'Spread' ? undefined : constantScalar(el);
      if (v !== undefined && (typeof v !== 'string' || v === '')) report(ctx, 'CT034', el.span, `a signal name must be a non-empty string, got ${JSON.stringify(v)}`);
    }
    return true;
  }
  const ms = ctx.env.members(t);
  if (ms.some((m) => m.kind === 'any')) return undefined;
  if (ms.some((m) => m.kind === 'array' || m.kind === 'tuple')) return true;
  if (definitelyNot(ctx, t, isStringLike)) report(ctx, 'CT007', name.span, `a signal name must be a string or a list of strings, got ${show(ctx, t)}`);
  else if (constantScalar(name) === '') report(ctx, 'CT034', name.span, 'a signal name must not be empty');
  return false;
}

/**
 * `Promise.all([t1(x), t2(y)])` or `Promise.all(xs.map(task), { concurrency: n })` (and allSettled):
 * a fan-out that starts the tasks; `Promise.all/allSettled/race/any(list)` of any other list: a
 * combinator over the handles (and values) in it. Gives the type of its await.
 */
export function promiseCall(ctx: Ctx, c: Call, op: 'all' | 'allSettled' | 'race' | 'any'): Type {
  const fn = `Promise.${op}`;
  const combinator = op === 'race' || op === 'any';
  const hint = combinator ? `${fn}([h1, h2]) or ${fn}([task(x), sleep("1m")], { index: true })` : `${fn}([t1(a), t2(b)]), ${fn}(items.map(task), { concurrency: 5 }) or ${fn}(handles)`;
  const [list, opts, ...rest] = c.args;
  if (!list || rest.length > 0) {
    report(ctx, 'CT006', c.span, `${fn} takes 1 or 2 arguments, got ${c.args.length}`, { hint });
    rest.forEach((x) => ctx.expr(x));
    if (!list) return ANY;
  }
  if (!combinator) {
    const fan = fanOut(ctx, list, op === 'allSettled');
    if (fan) {
      if (opts) fanOutOptions(ctx, opts);
      return fan;
    }
  }
  // any other list: a combinator over the handles (and plain values) in it
  const elements = listElements(ctx, list);
  if (op === 'race' && list.kind === 'ArrayLiteral' && list.elements.length === 0) {
    report(ctx, 'CT035', list.span, 'Promise.race of an empty list never settles: the await would wait forever', { hint: 'race at least one handle, e.g. a deadline: Promise.race([h, sleep("1h")])' });
  }
  const index = opts ? comboOptions(ctx, opts, combinator, fn) : false;
  const each = elements.kind === 'tuple' ? elements.elements : [elements.element];
  const values = each.map((t) => unwrap(ctx, t));
  switch (op) {
    case 'all':
      return elements.kind === 'tuple' ? { kind: 'tuple', elements: values } : arrayOf(values[0]!);
    case 'allSettled':
      return elements.kind === 'tuple' ? { kind: 'tuple', elements: values.map(settled) } : arrayOf(settled(values[0]!));
    default: {
      const v = values.length ? union(values) : ANY;
      return index ? objectOf({ index: NUMBER, value: v }) : v;
    }
  }
}

/** The element types of a combinator's list: a tuple for an array literal without spread, else an array. */
function listElements(ctx: Ctx, list: Expression): { kind: 'tuple'; elements: Type[] } | { kind: 'array'; element: Type } {
  if (list.kind === 'ArrayLiteral' && list.elements.every((e) => e.kind !== 'Spread')) {
    return { kind: 'tuple', elements: list.elements.map((e) => ctx.expr(e as Expression)) };
  }
  const t = ctx.expr(list);
  const ms = ctx.env.members(ctx.env.nonNull(t));
  if (ms.some((m) => m.kind === 'any')) return { kind: 'array', element: ANY };
  const el = elementOfQuiet(ctx, t);
  if (el === undefined) {
    report(ctx, 'CT007', list.span, `Promise needs a list (an array) of handles or values, got ${show(ctx, t)}`);
    return { kind: 'array', element: ANY };
  }
  return { kind: 'array', element: el };
}

/** Options of a combinator: `{ index: true }` for race and any; all and allSettled of handles take none. */
function comboOptions(ctx: Ctx, opts: Expression, combinator: boolean, fn: string): boolean {
  if (opts.kind !== 'ObjectLiteral') {
    ctx.expr(opts);
    report(ctx, 'CT015', opts.span, combinator ? `${fn} options must be written as { index: true }` : `${fn} of handles takes no options`);
    return false;
  }
  let index = false;
  for (const p of opts.properties) {
    if (combinator && p.kind === 'Property' && p.key === 'index') {
      ctx.expr(p.value);
      const v = constantScalar(p.value);
      if (v !== undefined && typeof v !== 'boolean') report(ctx, 'CT015', p.value.span, `index must be true or false, got ${JSON.stringify(v)}`);
      index = v === true;
      continue;
    }
    if (p.kind === 'Spread') ctx.expr(p.argument);
    else ctx.expr(p.value);
    const conc = p.kind === 'Property' && p.key === 'concurrency';
    report(ctx, 'CT015', p.span, conc ? `concurrency limits the tasks ${fn} itself starts: Promise.all(items.map(task), { concurrency }) or a list of task calls; these handles are already running` : combinator ? `${fn} options take only index` : `${fn} of handles takes no options`, {
      hint: combinator ? '{ index: true } gives { index, value } of the winner' : undefined,
    });
  }
  return index;
}

/** A fan-out form (a non-empty list of task calls only, or `items.map(task)`): the type of its await, else undefined. */
function fanOut(ctx: Ctx, list: Expression, isSettled: boolean): Type | undefined {
  const wrap = (t: Type) => (isSettled ? settled(t) : t);
  const fn = isSettled ? 'Promise.allSettled' : 'Promise.all';
  const hint = `${fn}([t1(a), t2(b)]) or ${fn}(items.map(task), { concurrency: 5 })`;
  const isTaskCall = (el: Expression | { kind: 'Spread' }) => el.kind === 'Call' && el.callee.kind === 'Identifier' && ctx.tasks.has(el.callee.name);
  if (list.kind === 'ArrayLiteral' && list.elements.length > 0 && list.elements.every(isTaskCall)) {
    const results = list.elements.map((el) => wrap(taskCall(ctx, el as Call, ctx.tasks.get(((el as Call).callee as { name: string }).name)!)));
    return { kind: 'tuple', elements: results };
  }
  if (list.kind === 'Call' && list.callee.kind === 'Member' && list.callee.property === 'map') {
    const arg = list.args[0];
    if (list.args.length === 1 && arg?.kind === 'ArrowFunction') {
      ctx.expr(list.callee.object);
      report(ctx, 'CT015', arg.span, `${fn}(items.map(…)) takes the name of a task, not a function`, {
        hint: `declare a task of one parameter and write ${fn}(items.map(task)); to shape its argument first: const args = items.map(x => …), then ${fn}(args.map(task))`,
      });
      return arrayOf(ANY);
    }
    if (list.args.length !== 1 || !arg || arg.kind !== 'Identifier') {
      ctx.expr(list.callee.object);
      // a task name among the arguments is not "a task used as a variable" here
      list.args.forEach((a) => (a.kind === 'Identifier' && ctx.tasks.has(a.name) ? undefined : ctx.expr(a)));
      report(ctx, 'CT015', list.span, `${fn}(items.map(task)) takes the name of a task, nothing else`, { hint });
      return arrayOf(ANY);
    }
    return arrayOf(wrap(mapTask(ctx, list, arg.name, fn)));
  }
  return undefined;
}

/** `{ concurrency: n }` with n a positive whole number (a literal is checked here). */
function fanOutOptions(ctx: Ctx, opts: Expression): void {
  if (opts.kind !== 'ObjectLiteral') {
    ctx.expr(opts);
    report(ctx, 'CT015', opts.span, 'fan-out options must be written as { concurrency: n }');
    return;
  }
  for (const p of opts.properties) {
    if (p.kind === 'Property' && p.key === 'concurrency') {
      const t = ctx.expr(p.value);
      const v = constantScalar(p.value);
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
        report(ctx, 'CT015', p.value.span, `concurrency must be a whole number ≥ 1, got ${JSON.stringify(v)}`);
      } else if (definitelyNot(ctx, t, isNumberLike)) {
        report(ctx, 'CT007', p.value.span, `concurrency must be a number, got ${show(ctx, t)}`);
      }
    } else {
      if (p.kind === 'Spread') ctx.expr(p.argument);
      else ctx.expr(p.value);
      report(ctx, 'CT015', p.span, 'fan-out options take only concurrency', { hint: '{ concurrency: 5 }' });
    }
  }
}
