/**
 * Array methods that take a function: `map`, `filter`, `find`, `findIndex`, `some`, `every`,
 * `reduce`, `flatMap`, `forEach` and `sort(compare)`.
 *
 * Takes the machine (as a `CallbackHost`), the method's table entry, the receiver and the call;
 * gives the method's result. The function is the call's first argument as written — an arrow
 * function or the name of a top-level helper (functions are never values) — and runs through
 * `host.invoke`, to completion, on the JavaScript stack: nothing of it reaches the saved state.
 *
 *   [1, 2, 3].map((x, i) => x * i)             // [0, 2, 6]
 *   items.reduce((sum, it) => sum + it.qty, 0)  // the accumulator is reduce's own, never re-copied
 *
 * Each call of the function is a step (plus the statements of a block body), so a long array and
 * an expensive callback meet the step budget like a loop does; results are charged like other
 * built-ins' arrays. The receiver is read, not copied: a callback cannot change it (CT052), and a
 * parameter the callback changes is bound to a copy (program.ts `writtenNames`).
 */
import type { ArrowFunction, Call, Expression, FunctionDecl } from '../ast.ts';
import { arityProblem, type Builtin } from './builtins.ts';
import { PositionedError } from './errors.ts';
import type { CallbackHost } from './host.ts';
import type { Value } from './types.ts';
import { kindOf, truthy } from './values.ts';

/** `self.name(fn, …)` for a method with a `callback` spec, `self` being an array. */
export function callbackMethod(h: CallbackHost, b: Builtin, name: string, self: Value[], call: Call): Value {
  const problem = arityProblem(b, call.args.length, name);
  if (problem) throw new PositionedError('CT006', problem, call.span);
  const fn = functionOf(h, call.args[0]!, name);
  const n = self.length;
  h.meter.work(1 + n);
  // pass only the parameters the function declares (a helper may take fewer than three)
  const k = fn.params.length;
  const each = (x: Value, i: number): Value => h.invoke(fn, k <= 1 ? [x] : k === 2 ? [x, i] : [x, i, self]);
  switch (name) {
    case 'map': {
      h.meter.array(n);
      const out: Value[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = each(self[i]!, i);
      return out;
    }
    case 'filter': {
      const out: Value[] = [];
      for (let i = 0; i < n; i++) if (truthy(each(self[i]!, i))) out.push(self[i]!);
      h.meter.array(out.length);
      return out;
    }
    case 'find':
      for (let i = 0; i < n; i++) if (truthy(each(self[i]!, i))) return self[i]!;
      return null;
    case 'findIndex':
      for (let i = 0; i < n; i++) if (truthy(each(self[i]!, i))) return i;
      return -1;
    case 'some':
      for (let i = 0; i < n; i++) if (truthy(each(self[i]!, i))) return true;
      return false;
    case 'every':
      for (let i = 0; i < n; i++) if (!truthy(each(self[i]!, i))) return false;
      return true;
    case 'forEach':
      for (let i = 0; i < n; i++) each(self[i]!, i);
      return null;
    case 'flatMap': {
      const out: Value[] = [];
      for (let i = 0; i < n; i++) {
        const r = each(self[i]!, i);
        if (Array.isArray(r)) {
          h.meter.array(out.length + r.length, false);
          for (const v of r) out.push(v);
        } else out.push(r);
      }
      h.meter.array(out.length);
      return out;
    }
    case 'reduce':
      return reduce(h, fn, self, call);
    case 'sort':
      return sortBy(h, fn, self, call);
    default:
      throw new PositionedError('CR002', `${name} does not take a function`, call.span);
  }
}

/** `reduce(fn, initial?)`: the accumulator is reduce's own value, handed from call to call. */
function reduce(h: CallbackHost, fn: FunctionDecl | ArrowFunction, self: Value[], call: Call): Value {
  let acc: Value;
  let owned: boolean;
  let i = 0;
  if (call.args.length > 1) {
    const init = call.args[1]!;
    acc = h.own(init, h.ev(init));
    owned = true;
  } else {
    if (self.length === 0) throw new PositionedError('CR008', 'reduce of an empty array needs an initial value: xs.reduce(f, initial)', call.span);
    acc = self[0]!;
    owned = false;
    i = 1;
  }
  const k = fn.params.length;
  for (; i < self.length; i++) {
    const x = self[i]!;
    acc = h.invoke(fn, k <= 2 ? [acc, x] : k === 3 ? [acc, x, i] : [acc, x, i, self], owned ? 1 : 0);
    owned = h.lastOwned;
  }
  return acc;
}

/** `sort(compare)`: in place, stable, by the comparator's sign. */
function sortBy(h: CallbackHost, fn: FunctionDecl | ArrowFunction, self: Value[], call: Call): Value {
  h.meter.work(self.length * Math.ceil(Math.log2(self.length + 1)));
  return self.sort((a, b) => {
    const r = h.invoke(fn, [a, b]);
    if (typeof r !== 'number') {
      throw new PositionedError('CR008', `a sort comparator must return a number, got ${kindOf(r)} (e.g. (a, b) => a - b)`, call.args[0]!.span);
    }
    return r;
  });
}

/** The function an argument names: an arrow function or a top-level helper (not shadowed by a variable). */
function functionOf(h: CallbackHost, arg: Expression, method: string): FunctionDecl | ArrowFunction {
  if (arg.kind === 'ArrowFunction') return arg;
  if (arg.kind === 'Identifier' && !h.isLocal(arg.name)) {
    const f = h.ix.functions.get(arg.name);
    if (f) return f;
    if (method === 'map' && h.ix.tasks.has(arg.name)) {
      throw new PositionedError('CT015', 'xs.map(task) is only allowed inside await Promise.all(…) or Promise.allSettled(…)', arg.span);
    }
  }
  throw new PositionedError('CT056', `${method} needs a function: an arrow function (x) => … or the name of a top-level function`, arg.span);
}
