/**
 * Array methods that take a function — `map`, `filter`, `find`, `findIndex`, `some`, `every`,
 * `reduce`, `flatMap`, `forEach`, `sort(compare)` — and the function given: an arrow function
 * (checked in place with the parameter types the method passes, through `ctx.arrow`) or the name of
 * a top-level helper (its parameters must take what the method passes). Anything else there is
 * CT056; a task's name is CT015 for `map` (a fan-out needs `await Promise.all(…)`), CT056 elsewhere.
 *
 *   items.map((it, i) => it.qty * i)         // number[]
 *   items.filter((it) => it.note !== null)   // Item[], the note without null (as TypeScript infers)
 *   items.reduce((sum, it) => sum + it.qty, 0)   // number
 *
 * The method's result type comes from the callback's (map, flatMap, reduce) or from the receiver's
 * element type (filter, find, sort); the callback spec (what it is passed, what its result means)
 * comes from the built-in table (dsl/interpreter/builtins.ts), like every other built-in.
 */
import type { Call, Expression, Member } from '../ast.ts';
import { arityProblem, type Builtin } from '../interpreter/builtins.ts';
import { builtinType } from './builtins.ts';
import { definitelyNot, isNumberLike, report, show, type ArrowResult, type Ctx } from './context.ts';
import { ANY, NULL, arrayOf, union, widen, type Type } from './types.ts';

/** A call `recv.name(fn, …)` of an array method taking a callback; `element` is the receiver's element type. */
export function callbackCall(ctx: Ctx, c: Call, callee: Member, b: Builtin, element: Type): Type {
  const name = callee.property;
  const spec = b.callback!;
  const problem = arityProblem(b, c.args.length, name);
  if (problem) report(ctx, 'CT006', c.span, problem);
  const [fnArg, ...rest] = c.args;
  const restTypes = rest.map((a) => ctx.expr(a));
  const self = arrayOf(element);
  const params = spec.params.map((p) => (p.type === 'A' ? ANY : builtinType(p.type, element)));
  let acc: Type | undefined;
  if (spec.result === 'accumulator') {
    acc = rest.length > 0 ? widen(restTypes[0]!) : element;
    params[0] = acc;
  }
  let fn: ArrowResult | undefined;
  if (name === 'map' && fnArg?.kind === 'Identifier' && ctx.tasks.has(fnArg.name) && ctx.scope.lookup(fnArg.name).state !== 'declared') {
    const text = ctx.program.source.slice(c.span.start, c.span.end);
    report(ctx, 'CT015', c.span, `${text} is only allowed inside await Promise.all(…) or Promise.allSettled(…)`, { hint: `write await Promise.all(${text})` });
    return ANY;
  }
  if (fnArg) fn = functionArg(ctx, fnArg, params, name);
  switch (spec.result) {
    case 'value':
      return arrayOf(fn ? fn.ret : ANY);
    case 'flatten': {
      if (!fn) return arrayOf(ANY);
      const parts = ctx.env.members(fn.ret).map((m) => (m.kind === 'array' ? m.element : m.kind === 'tuple' ? union(m.elements.length ? m.elements : [ANY]) : m));
      return arrayOf(union(parts));
    }
    case 'test':
      if (name === 'filter') return arrayOf(fn?.narrowedFirst ?? element);
      if (name === 'find') return union([fn?.narrowedFirst ?? element, NULL]);
      return builtinType(b.returns, element);
    case 'accumulator':
      if (fn && acc && !ctx.env.isAny(fn.ret) && !ctx.env.isAny(acc) && !ctx.env.assignable(fn.ret, acc)) {
        report(ctx, 'CT007', fnArg!.span, `the reduce callback returns ${show(ctx, fn.ret)}, but the accumulator is ${show(ctx, acc)}`, {
          hint: rest.length > 0 ? 'give the initial value the accumulator\'s type, e.g. const init: T = …' : 'pass an initial value of the accumulator\'s type: xs.reduce(f, init)',
        });
      }
      return acc ?? ANY;
    case 'order':
      if (fn && definitelyNot(ctx, fn.ret, isNumberLike)) {
        report(ctx, 'CT007', fnArg!.span, `a sort comparator must return a number (negative, zero or positive), got ${show(ctx, fn.ret)}`, {
          hint: 'e.g. (a, b) => a.n - b.n, or (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)',
        });
      }
      return self;
    case 'ignored':
      return NULL;
    default:
      return ANY;
  }
}

/**
 * The function argument of a callback method: an arrow function, or a helper's name. Gives what
 * calling it gives, or undefined when it is not a function (reported).
 */
function functionArg(ctx: Ctx, arg: Expression, params: Type[], method: string): ArrowResult | undefined {
  if (arg.kind === 'ArrowFunction') return ctx.arrow(arg, params);
  if (arg.kind === 'Identifier' && ctx.scope.lookup(arg.name).state !== 'declared') {
    const helper = ctx.functions.get(arg.name);
    if (helper) {
      helper.decl.params.forEach((p, i) => {
        const pt = helper.params[i]!;
        if (i >= params.length) {
          if (!p.optional) {
            report(ctx, 'CT006', arg.span, `${method} passes ${params.length} argument${params.length === 1 ? '' : 's'}, but function '${arg.name}' takes ${helper.params.length}`, {
              hint: `mark the extra parameters optional (name?: T) or wrap it: (x) => ${arg.name}(x, …)`,
            });
          }
          return;
        }
        if (!ctx.env.assignable(params[i]!, pt)) {
          report(ctx, 'CT007', arg.span, `${method} passes ${show(ctx, params[i]!)} as argument ${i + 1} of function '${arg.name}', which takes ${show(ctx, pt)}`, {
            hint: i > 0 ? `${method} passes (${params.length === 2 ? 'a, b' : 'value, index, array'}): wrap it to pass what it needs, (x) => ${arg.name}(x)` : undefined,
          });
        }
      });
      return { ret: helper.ret };
    }
    if (ctx.tasks.has(arg.name)) {
      report(ctx, 'CT056', arg.span, `'${arg.name}' is a task; ${method} takes a function`, {
        hint: 'tasks are awaited in the workflow: pass an arrow function (x) => … or the name of a helper function',
      });
      return { ret: ANY };
    }
    if (ctx.scope.lookup(arg.name).state === 'missing') {
      ctx.expr(arg); // CT001 with its suggestions
      return undefined;
    }
  }
  const t = ctx.expr(arg);
  report(ctx, 'CT056', arg.span, `${method} needs a function here, got ${arg.kind === 'Identifier' ? `the variable '${arg.name}'` : show(ctx, t)}`, {
    hint: `pass an arrow function, ${method === 'sort' ? '(a, b) => a - b' : '(x) => …'}, or the name of a top-level function (functions are never stored in variables)`,
  });
  return undefined;
}
