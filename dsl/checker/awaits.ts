/**
 * Awaits: the shapes `await` accepts, exactly the interpreter's (dsl/interpreter/awaits.ts) (CT015),
 * and the await-only built-ins — `sleep` and `signal` with their durations (CT006, CT020), and
 * `Promise.all` / `Promise.allSettled` fan-outs with their options (CT005–CT007, CT015).
 */
import type { Await, Call, Expression } from '../ast.ts';
import { isDurationError, parseDuration } from '../duration.ts';
import { constantScalar } from '../constant.ts';
import { globalFn } from './builtins.ts';
import { taskCall, unknownCall } from './calls.ts';
import { awaitInFunction, definitelyNot, isNumberLike, isStringLike, report, show, type Ctx } from './context.ts';
import { badPolicy } from './policies.ts';
import { ANY, BOOLEAN, NULL, NUMBER, STRING, arrayOf, didYouMean, objectOf, union, type Type } from './types.ts';

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

/** `await X`: X must be one of the await shapes of dsl/README.md (CT015). */
export function awaited(ctx: Ctx, aw: Await): Type {
  const t = aw.argument;
  if (ctx.fn) awaitInFunction(ctx, aw.span, 'await');
  const shapes = 'await a task call, Promise.all([...]) / Promise.all(xs.map(task), { concurrency }), Promise.allSettled(…), sleep(d) or signal(name)';
  if (t.kind !== 'Call') {
    if (t.kind === 'Await') {
      report(ctx, 'CT015', t.span, 'await of an await', { hint: 'one await is enough' });
      return awaited(ctx, t);
    }
    ctx.expr(t);
    report(ctx, 'CT015', t.span, 'only a task call, Promise.all/allSettled, sleep or signal can be awaited', { hint: shapes });
    return ANY;
  }
  const callee = t.callee;
  // A call by a task's name is the task even where a variable has that name (as in the
  // interpreter: calls resolve to tasks, variables are never callable).
  const task = callee.kind === 'Identifier' ? ctx.tasks.get(callee.name) : undefined;
  if (task) return taskCall(ctx, t, task);
  if (callee.kind === 'Identifier' && ctx.scope.lookup(callee.name).state !== 'declared') {
    if (t.policy) badPolicy(ctx, t);
    if (callee.name === 'sleep') return sleepCall(ctx, t);
    if (callee.name === 'signal') return signalCall(ctx, t);
    if (!globalFn(callee.name)) return unknownCall(ctx, t, callee.name, callee.span);
  }
  if (
    callee.kind === 'Member' &&
    callee.object.kind === 'Identifier' &&
    callee.object.name === 'Promise' &&
    (callee.property === 'all' || callee.property === 'allSettled') &&
    ctx.scope.lookup('Promise').state === 'missing'
  ) {
    if (t.policy) badPolicy(ctx, t);
    return promiseCall(ctx, t, callee.property === 'allSettled');
  }
  ctx.call(t);
  report(ctx, 'CT015', t.span, `${ctx.program.source.slice(t.callee.span.start, t.callee.span.end)}(…) cannot be awaited: it is not a task`, { hint: shapes });
  return ANY;
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

/** `signal(name)` gives the payload; `signal(name, { timeout })` gives `{ timedOut, payload }`. */
export function signalCall(ctx: Ctx, c: Call): Type {
  if (c.args.length < 1 || c.args.length > 2) {
    report(ctx, 'CT006', c.span, `signal takes 1 or 2 arguments, got ${c.args.length}`, { hint: 'signal("approve") or signal("approve", { timeout: "2d" })' });
  }
  const [name, opts, ...rest] = c.args;
  if (name) {
    const t = ctx.expr(name);
    if (definitelyNot(ctx, t, isStringLike)) report(ctx, 'CT007', name.span, `a signal name must be a string, got ${show(ctx, t)}`);
    else if (constantScalar(name) === '') report(ctx, 'CT007', name.span, 'a signal name must not be empty');
  }
  rest.forEach((x) => ctx.expr(x));
  if (!opts) return ANY;
  if (opts.kind !== 'ObjectLiteral') {
    ctx.expr(opts);
    report(ctx, 'CT015', opts.span, 'the second argument of signal must be written as { timeout: … }');
    return objectOf({ timedOut: BOOLEAN, payload: ANY });
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
  return timeout ? objectOf({ timedOut: BOOLEAN, payload: ANY }) : ANY;
}

/** `Promise.all([t1(x), t2(y)])` or `Promise.all(xs.map(task), { concurrency: n })` (and allSettled). */
export function promiseCall(ctx: Ctx, c: Call, isSettled: boolean): Type {
  const fn = isSettled ? 'Promise.allSettled' : 'Promise.all';
  const wrap = (t: Type) => (isSettled ? settled(t) : t);
  const hint = `${fn}([t1(a), t2(b)]) or ${fn}(items.map(task), { concurrency: 5 })`;
  const [list, opts, ...rest] = c.args;
  if (!list || rest.length > 0) {
    report(ctx, 'CT006', c.span, `${fn} takes 1 or 2 arguments, got ${c.args.length}`, { hint });
    rest.forEach((x) => ctx.expr(x));
    if (!list) return ANY;
  }
  if (list.kind === 'ArrayLiteral') {
    const results: Type[] = [];
    for (const el of list.elements) {
      if (el.kind === 'Call' && el.callee.kind === 'Identifier' && ctx.tasks.has(el.callee.name)) {
        results.push(wrap(taskCall(ctx, el, ctx.tasks.get(el.callee.name)!)));
        continue;
      }
      if (el.kind === 'Call' && el.callee.kind === 'Identifier' && !globalFn(el.callee.name) && ctx.scope.lookup(el.callee.name).state === 'missing') {
        unknownCall(ctx, el, el.callee.name, el.callee.span);
        results.push(ANY);
        continue;
      }
      if (el.kind === 'Spread') ctx.expr(el.argument);
      else ctx.expr(el);
      report(ctx, 'CT015', el.span, `${fn}([...]) takes task calls only`, { hint });
      results.push(ANY);
    }
    if (opts) fanOutOptions(ctx, opts);
    return { kind: 'tuple', elements: results };
  }
  if (list.kind === 'Call' && list.callee.kind === 'Member' && list.callee.property === 'map') {
    const items = ctx.expr(list.callee.object);
    let ret: Type = ANY;
    const arg = list.args[0];
    if (list.args.length === 1 && arg?.kind === 'ArrowFunction') {
      report(ctx, 'CT015', arg.span, `${fn}(items.map(…)) takes the name of a task, not a function`, {
        hint: `declare a task of one parameter and write ${fn}(items.map(task)); to shape its argument first: const args = items.map(x => …), then ${fn}(args.map(task))`,
      });
    } else if (list.args.length !== 1 || !arg || arg.kind !== 'Identifier') {
      // a task name among the arguments is not "a task used as a variable" here
      list.args.forEach((a) => (a.kind === 'Identifier' && ctx.tasks.has(a.name) ? undefined : ctx.expr(a)));
      report(ctx, 'CT015', list.span, `${fn}(items.map(task)) takes the name of a task, nothing else`, { hint });
    } else {
      const task = ctx.tasks.get(arg.name);
      if (!task) {
        if (ctx.scope.lookup(arg.name).state !== 'declared' && ctx.functions.has(arg.name)) {
          report(ctx, 'CT015', arg.span, `'${arg.name}' is a function; ${fn}(items.map(…)) takes the name of a task`, {
            hint: `compute the arguments first: const args = items.map(${arg.name}), then ${fn}(args.map(task))`,
          });
        } else if (ctx.scope.lookup(arg.name).state === 'declared') {
          report(ctx, 'CT015', arg.span, `'${arg.name}' is a variable; items.map takes the name of a task`, { hint });
        } else {
          const near = didYouMean(arg.name, ctx.tasks.keys());
          report(ctx, 'CT005', arg.span, `unknown task '${arg.name}'${near ? ` (did you mean '${near}'?)` : ''}`, { hint: near ? undefined : `declare it with task ${arg.name}(item: T): R` });
        }
      } else {
        ret = task.ret;
        if (task.params.length !== 1) {
          report(ctx, 'CT006', arg.span, `the fan-out calls '${arg.name}' with one item, but it takes ${task.params.length} argument${task.params.length === 1 ? '' : 's'}`, {
            hint: 'declare the task with exactly one parameter (pass an object to carry more)',
          });
        } else {
          const ms = ctx.env.members(ctx.env.nonNull(items));
          if (!ms.some((m) => m.kind === 'any')) {
            const el = elementOfQuiet(ctx, items);
            if (el === undefined) report(ctx, 'CT007', list.callee.object.span, `${fn}(items.map(task)) needs an array, got ${show(ctx, items)}`);
            else if (!ctx.env.assignable(el, task.params[0]!)) {
              report(ctx, 'CT007', list.callee.object.span, `task '${arg.name}' takes ${show(ctx, task.params[0]!)}, but the items are ${show(ctx, el)}`);
            }
          }
        }
      }
    }
    if (opts) fanOutOptions(ctx, opts);
    return arrayOf(wrap(ret));
  }
  ctx.expr(list);
  report(ctx, 'CT015', c.span, `${fn} takes a list of task calls or items.map(task)`, { hint });
  if (opts) ctx.expr(opts);
  return ANY;
}

function elementOfQuiet(ctx: Ctx, t: Type): Type | undefined {
  const ms = ctx.env.members(ctx.env.nonNull(t));
  const parts: Type[] = [];
  for (const m of ms) {
    if (m.kind === 'array') parts.push(m.element);
    else if (m.kind === 'tuple') parts.push(...m.elements);
    else if (m.kind !== 'null') return undefined;
  }
  return parts.length ? union(parts) : ANY;
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
