/**
 * Calls: of tasks (CT006, CT007, policies), of built-in functions and methods (CT006, CT007, CT008;
 * a mutating method on a readonly array: CT042), and of names that are neither (CT005, CT013; a
 * JavaScript global: CT041); `xs.map(task)` outside a fan-out (CT015).
 */
import type { Call, Expression, Member, Span } from '../ast.ts';
import { arityProblem } from '../interpreter/builtins.ts';
import { builtinType, methodOf, BUILTINS, type Builtin } from './builtins.ts';
import { propertySpan, report, shortShow, show, type Ctx, type TaskInfo } from './context.ts';
import { jsGlobal } from './javascript.ts';
import { policy } from './policies.ts';
import { ANY, didYouMean, isReadonly, union, type Type } from './types.ts';

/** Array methods people reach for that take functions; none exist here. */
const FUNCTION_METHODS = new Set(['map', 'filter', 'forEach', 'reduce', 'find', 'findIndex', 'some', 'every', 'flatMap']);

export function args(ctx: Ctx, args: Expression[]): Type[] {
  return args.map((a) => ctx.expr(a));
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
    if (!ctx.env.assignable(t, pt)) report(ctx, 'CT007', a.span, `argument '${p.name}' of ${name} must be ${show(ctx, pt)}, got ${show(ctx, t)}`);
  });
  return builtinType(b.returns, element);
}

export function methodCall(ctx: Ctx, c: Call, callee: Member, recv: Type): Type {
  const ms = ctx.env.members(recv).filter((m) => m.kind !== 'null' && m.kind !== 'void');
  // an argument that did not parse (a rejected callback, say): its error is reported already
  if (ms.length === 0 || ms.some((m) => m.kind === 'any') || c.args.some((a) => a.kind === 'Invalid')) {
    args(ctx, c.args);
    return ANY;
  }
  const name = callee.property;
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
      if (b) return builtinCall(ctx, c, b, name, element);
    }
  }
  const span = propertySpan(ctx, callee);
  const arrayish = ms.some((m) => m.kind === 'array' || m.kind === 'tuple');
  const [a0] = c.args;
  if (arrayish && name === 'map' && c.args.length === 1 && a0?.kind === 'Identifier' && ctx.tasks.has(a0.name)) {
    report(ctx, 'CT015', c.span, `${ctx.program.source.slice(c.span.start, c.span.end)} is only allowed inside await Promise.all(…) or Promise.allSettled(…)`, {
      hint: `write await Promise.all(${ctx.program.source.slice(c.span.start, c.span.end)})`,
    });
    return ANY;
  }
  args(ctx, c.args);
  const kinds = new Set(ms.map((m) => (m.kind === 'tuple' ? 'array' : m.kind === 'literal' ? typeof m.value : m.kind)));
  const candidates = [...(kinds.has('string') ? Object.keys(BUILTINS.string) : []), ...(kinds.has('array') ? Object.keys(BUILTINS.array) : [])];
  const near = didYouMean(name, candidates);
  let hint: string | undefined;
  if (kinds.has('array') && FUNCTION_METHODS.has(name)) {
    hint = name === 'map' ? 'to run a task for each item write await Promise.all(xs.map(task)); otherwise use a for…of loop' : `there are no callbacks: use a for…of loop instead of ${name}`;
  } else if (!near && (kinds.has('object') || kinds.has('number') || kinds.has('boolean'))) {
    hint = 'values are plain data: only strings and arrays have methods';
  }
  report(ctx, 'CT008', span, `unknown method '${name}' of ${shortShow(ctx, recv)}${near ? ` (did you mean '${near}'?)` : ''}`, { hint });
  return ANY;
}
