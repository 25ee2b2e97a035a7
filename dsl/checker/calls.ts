/**
 * Calls: of tasks (CT006, CT007, policies), of helper functions (CT006, CT007), of built-in
 * functions and methods (CT006, CT007, CT008; array methods taking a callback go to callbacks.ts;
 * a mutating method on a readonly array: CT042), and of names that are none of these (CT005, CT013;
 * a JavaScript global: CT041); `xs.map(task)` outside a fan-out (CT015); a callback changing an
 * outer array with a mutating method (CT052).
 */
import type { Call, Expression, Member, Span } from '../ast.ts';
import { arityProblem } from '../interpreter/builtins.ts';
import { builtinType, methodOf, BUILTINS, type Builtin } from './builtins.ts';
import { callbackCall } from './callbacks.ts';
import { awaitInFunction, outerWrite, paramName, propertySpan, report, shortShow, show, type Ctx, type FnInfo, type TaskInfo } from './context.ts';
import { jsGlobal } from './javascript.ts';
import { policy } from './policies.ts';
import { ANY, arrayOf, didYouMean, isReadonly, promiseOf, union, type Type } from './types.ts';
import { plainValue } from './handles.ts';

/**
 * Array methods whose argument is searched for, not stored: it must be comparable with the
 * elements, not assignable to them (`["a", "b"].includes(s)` with `s: string` is fine, a number is not).
 */
const SEARCHES = new Set(['includes', 'indexOf']);

export function args(ctx: Ctx, args: Expression[]): Type[] {
  // an arrow function here is not in a callback position: expr reports CT050
  return args.map((a) => ctx.expr(a));
}

/** `f(a, b)` of a top-level helper: arity (CT006) and argument types (CT007); gives its return type. */
export function helperCall(ctx: Ctx, c: Call, f: FnInfo): Type {
  const name = f.decl.name;
  const n = f.params.length;
  if (c.args.length < f.minArgs || c.args.length > n) {
    const want = f.minArgs === n ? `${n}` : `${f.minArgs} to ${n}`;
    report(ctx, 'CT006', c.span, `function '${name}' takes ${want} argument${want === '1' ? '' : 's'}, got ${c.args.length}`, {
      hint: `declared as function ${name}(${f.decl.params.map((p, i) => paramName(ctx, p, i) + (p.optional ? '?' : '')).join(', ')})`,
    });
  }
  c.args.forEach((a, i) => {
    const t = ctx.expr(a);
    const pt = f.params[i];
    const pd = f.decl.params[i];
    if (pt && pd && !ctx.env.assignable(t, pt)) {
      const why = ctx.env.whyNot(t, pt);
      report(ctx, 'CT007', a.span, `argument '${paramName(ctx, pd, i)}' of function '${name}' must be ${show(ctx, pt)}, got ${show(ctx, t)}${why ? `: ${why}` : ''}`);
    }
  });
  if (c.policy) policy(ctx, c.policy, false);
  return f.ret;
}

export function unknownCall(ctx: Ctx, c: Call, name: string, span: Span): Type {
  args(ctx, c.args);
  const js = jsGlobal(name);
  if (js) {
    report(ctx, 'CT041', span, `${js.what} is not available in a workflow`, { hint: js.instead });
    return ANY;
  }
  if (name === ctx.program.workflow.name) {
    report(ctx, 'CT013', c.span, `a workflow cannot call a workflow ('${name}' is this workflow)`, {
      hint: 'loop inside the workflow instead, or move the work into a task',
    });
    return ANY;
  }
  const candidates = [...ctx.tasks.keys(), ...Object.keys(BUILTINS.global)];
  const near = didYouMean(name, candidates);
  report(ctx, 'CT005', span, `unknown task '${name}'${near ? ` (did you mean '${near}'?)` : ''}`, {
    hint: near ? undefined : `declare it with task ${name}(…): T (a workflow cannot call another workflow)`,
  });
  return ANY;
}

export function taskCall(ctx: Ctx, c: Call, task: TaskInfo): Type {
  const name = task.decl.name;
  if (task.decl.recovered) {
    // a declaration that did not parse (its syntax error is reported): nothing to check against
    args(ctx, c.args);
    return ANY;
  }
  const n = task.params.length;
  const required = task.decl.params.filter((p) => !p.optional).length;
  if (c.args.length < required || c.args.length > n) {
    const want = required === n ? `${n}` : `${required} to ${n}`;
    report(ctx, 'CT006', c.span, `task '${name}' takes ${want} argument${want === '1' ? '' : 's'}, got ${c.args.length}`, {
      hint: `declared as task ${name}(${task.decl.params.map((p) => p.name + (p.optional ? '?' : '')).join(', ')})`,
    });
  }
  c.args.forEach((a, i) => {
    const t = ctx.expr(a);
    const pt = task.params[i];
    const pd = task.decl.params[i];
    if (!plainValue(ctx, t, a.span, `passed to task '${name}'`)) return;
    if (pt && pd && !ctx.env.assignable(t, pt)) {
      const why = ctx.env.whyNot(t, pt);
      report(ctx, 'CT007', a.span, `argument '${pd.name}' of task '${name}' must be ${show(ctx, pt)}, got ${show(ctx, t)}${why ? `: ${why}` : ''}`);
    }
  });
  if (c.policy) policy(ctx, c.policy, false);
  return task.ret;
}

export function builtinCall(ctx: Ctx, c: Call, b: Builtin, name: string, element: Type): Type {
  const types = args(ctx, c.args);
  const problem = arityProblem(b, c.args.length, name);
  if (problem) {
    report(ctx, 'CT006', c.span, problem, {
      hint: name.endsWith('sort') && c.args.length > 0 ? 'comparator functions do not exist: sort() orders numbers numerically and strings by code unit' : undefined,
    });
  }
  c.args.forEach((a, i) => {
    const p = b.params[i] ?? (b.params.length && b.params[b.params.length - 1]!.rest ? b.params[b.params.length - 1] : undefined);
    if (!p) return;
    const pt = builtinType(p.type, element);
    const t = types[i]!;
    if (SEARCHES.has(name) && p.type === 'T') {
      if (!comparable(ctx, t, pt)) report(ctx, 'CT007', a.span, `argument '${p.name}' of ${name} can never equal an element: the elements are ${show(ctx, pt)}, got ${show(ctx, t)}`);
    } else if (!ctx.env.assignable(t, pt)) report(ctx, 'CT007', a.span, `argument '${p.name}' of ${name} must be ${show(ctx, pt)}, got ${show(ctx, t)}`);
  });
  return builtinType(b.returns, element);
}

/** Can a value of type `a` equal one of type `b`? (`any` can; a string literal and string can.) */
function comparable(ctx: Ctx, a: Type, b: Type): boolean {
  if (ctx.env.isAny(a) || ctx.env.isAny(b)) return true;
  const bm = ctx.env.members(b);
  return ctx.env.members(a).some((x) => x.kind === 'null' || bm.some((y) => ctx.env.assignable(x, y) || ctx.env.assignable(y, x)));
}

export function methodCall(ctx: Ctx, c: Call, callee: Member, recv: Type): Type {
  const ms = ctx.env.members(recv).filter((m) => m.kind !== 'null' && m.kind !== 'void');
  const name = callee.property;
  // an argument that did not parse: its error is reported already
  if (c.args.some((a) => a.kind === 'Invalid')) {
    args(ctx, c.args);
    return ANY;
  }
  const [a0] = c.args;
  if (
    name === 'map' &&
    c.args.length === 1 &&
    a0?.kind === 'Identifier' &&
    ctx.tasks.has(a0.name) &&
    !ctx.functions.has(a0.name) &&
    ctx.scope.lookup(a0.name).state !== 'declared' &&
    (ms.length === 0 || ms.some((m) => m.kind === 'any' || m.kind === 'array' || m.kind === 'tuple'))
  ) {
    // `items.map(task)` as a value: every task starts now; the value is the list of their handles
    if (ctx.fn) awaitInFunction(ctx, c.span, `starting task '${a0.name}'`);
    return arrayOf(promiseOf(mapTask(ctx, c, a0.name, 'items.map(task)')));
  }
  if (ms.length === 0 || ms.some((m) => m.kind === 'any')) {
    // unknown receiver: a method taking a callback still checks the callback's body
    const b = methodOf('array', name);
    if (b?.callback && c.args.length > 0) return callbackCall(ctx, c, callee, b, ANY);
    args(ctx, c.args);
    return ANY;
  }
  const mutator = methodOf('array', name)?.mutates === true;
  if (mutator && ms.some((m) => (m.kind === 'array' || m.kind === 'tuple') && isReadonly(m))) {
    report(ctx, 'CT042', propertySpan(ctx, callee), `'${name}' changes the array, but ${shortShow(ctx, recv)} is readonly`, {
      hint: `make a changed copy instead, e.g. [...xs, item] or xs.slice(), or drop readonly from the type`,
    });
  }
  for (const m of ms) {
    if (m.kind === 'string' || (m.kind === 'literal' && typeof m.value === 'string')) {
      const b = methodOf('string', name);
      if (b) return builtinCall(ctx, c, b, name, ANY);
    } else if (m.kind === 'array' || m.kind === 'tuple') {
      const b = methodOf('array', name);
      const element = m.kind === 'array' ? m.element : m.elements.length ? union(m.elements) : ANY;
      if (b?.mutates) outerWrite(ctx, callee.object, c.span, `${name}() changes`);
      if (b?.callback && (c.args.length > 0 || !b.call)) return callbackCall(ctx, c, callee, b, element);
      if (b) return builtinCall(ctx, c, b, name, element);
    }
  }
  const span = propertySpan(ctx, callee);
  // an unknown method: arrow arguments are still checked, without calling them misplaced (CT050)
  c.args.forEach((a) => (a.kind === 'ArrowFunction' ? ctx.arrow(a, a.params.map(() => ANY)) : ctx.expr(a)));
  const kinds = new Set(ms.map((m) => (m.kind === 'tuple' ? 'array' : m.kind === 'literal' ? typeof m.value : m.kind)));
  const candidates = [...(kinds.has('string') ? Object.keys(BUILTINS.string) : []), ...(kinds.has('array') ? Object.keys(BUILTINS.array) : [])];
  const near = didYouMean(name, candidates);
  let hint: string | undefined;
  if (!near && (kinds.has('object') || kinds.has('number') || kinds.has('boolean'))) {
    hint = 'values are plain data: only strings and arrays have methods';
  }
  report(ctx, 'CT008', span, `unknown method '${name}' of ${shortShow(ctx, recv)}${near ? ` (did you mean '${near}'?)` : ''}`, { hint });
  return ANY;
}

/**
 * `items.map(task)`: the task's result type, after checking that `task` is a task of one parameter
 * that fits the items (CT005, CT006, CT007, CT015).
 */
export function mapTask(ctx: Ctx, list: Call, name: string, fn: string): Type {
  const items = ctx.expr((list.callee as { object: Expression }).object);
  const arg = list.args[0]!;
  const hint = `${fn}(items.map(task))`;
  const task = ctx.tasks.get(name);
  if (!task) {
    if (ctx.scope.lookup(name).state !== 'declared' && ctx.functions.has(name)) {
      report(ctx, 'CT015', arg.span, `'${name}' is a function; ${fn} takes the name of a task`, {
        hint: `compute the arguments first: const args = items.map(${name}), then ${fn.replace('items.map(task)', 'args.map(task)')}`,
      });
    } else if (ctx.scope.lookup(name).state === 'declared') {
      report(ctx, 'CT015', arg.span, `'${name}' is a variable; items.map takes the name of a task`, { hint });
    } else {
      const near = didYouMean(name, ctx.tasks.keys());
      report(ctx, 'CT005', arg.span, `unknown task '${name}'${near ? ` (did you mean '${near}'?)` : ''}`, { hint: near ? undefined : `declare it with task ${name}(item: T): R` });
    }
    return ANY;
  }
  if (task.decl.recovered) {
    // a declaration that did not parse (its syntax error is reported): nothing to check against
    return ANY;
  }
  if (task.params.length !== 1) {
    report(ctx, 'CT006', arg.span, `the fan-out calls '${name}' with one item, but it takes ${task.params.length} argument${task.params.length === 1 ? '' : 's'}`, {
      hint: 'declare the task with exactly one parameter (pass an object to carry more)',
    });
    return task.ret;
  }
  const ms = ctx.env.members(ctx.env.nonNull(items));
  if (!ms.some((m) => m.kind === 'any')) {
    const el = elementOfQuiet(ctx, items);
    const object = (list.callee as { object: Expression }).object;
    if (el === undefined) report(ctx, 'CT007', object.span, `${fn}(items.map(task)) needs an array, got ${show(ctx, items)}`);
    else if (!ctx.env.assignable(el, task.params[0]!)) {
      report(ctx, 'CT007', object.span, `task '${name}' takes ${show(ctx, task.params[0]!)}, but the items are ${show(ctx, el)}`);
    }
  }
  return task.ret;
}

/** The element type of an array or tuple type (null members ignored), or undefined for anything else. */
export function elementOfQuiet(ctx: Ctx, t: Type): Type | undefined {
  const ms = ctx.env.members(ctx.env.nonNull(t));
  const parts: Type[] = [];
  for (const m of ms) {
    if (m.kind === 'array') parts.push(m.element);
    else if (m.kind === 'tuple') parts.push(...m.elements);
    else if (m.kind !== 'null') return undefined;
  }
  return parts.length ? union(parts) : ANY;
}
