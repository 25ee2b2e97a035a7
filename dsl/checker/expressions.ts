/**
 * Expressions: literals, names (CT001, CT002), operators and their gradual types (CT007), handles
 * computed with (CT031), `await` inside a larger expression (CT009), type assertions (`as`: CT040,
 * `satisfies`, `!`), JavaScript globals a workflow does not have (CT041), and where a call goes
 * when it is not directly awaited (to calls.ts, or to awaits.ts for a handle-making call:
 * `Promise<T>`). Narrowing applies to names and property paths (narrowing.ts), and inside `&&`,
 * `||` and `c ? a : b`. Functions used as values (CT050), and tasks, handles or awaits inside a
 * helper or callback (CT051), are reported here.
 */
import { assertNever, type Call, type Expression, type Span } from '../ast.ts';
import { constantScalar } from '../constant.ts';
import { globalFn, isNamespace, namespaceFn, NAMESPACES } from './builtins.ts';
import { childMethodCall, isChildMethodCall, WORKFLOWS } from './children.ts';
import { args, builtinCall, helperCall, methodCall, unknownCall } from './calls.ts';
import { awaited, handleCall } from './awaits.ts';
import { parseTime } from '../interpreter/time.ts';
import { isDurationError, parseDuration } from '../duration.ts';
import { awaitInFunction, definitelyNot, isNumberLike, isStringLike, isStringLikeType, noTypeArgs, propertySpan, report, show, type Ctx, type Facts } from './context.ts';
import { badPolicy } from './policies.ts';
import { jsGlobal } from './javascript.ts';
import { plainValue, reservedKey } from './handles.ts';
import { index, member } from './properties.ts';
import { assume, narrowedPath } from './narrowing.ts';
import { ANY, BOOLEAN, NULL, NUMBER, STRING, arrayOf, didYouMean, objectOf, promiseOf, readonlyOf, union, type Type } from './types.ts';

/** An expression in a position where `await` is allowed. */
export function valueOf(ctx: Ctx, e: Expression): Type {
  if (e.kind !== 'Await') return expr(ctx, e);
  const t = awaited(ctx, e);
  ctx.types?.set(e.id, t);
  return t;
}

/** The type of `e` (reporting what is wrong in it); recorded by node id when a tool asked for types. */
export function expr(ctx: Ctx, e: Expression): Type {
  const t = typeOf(ctx, e);
  ctx.types?.set(e.id, t);
  return t;
}

function typeOf(ctx: Ctx, e: Expression): Type {
  switch (e.kind) {
    case 'NumberLiteral':
    case 'StringLiteral':
    case 'BooleanLiteral':
      return { kind: 'literal', value: e.value, fresh: true };
    case 'NullLiteral':
      return NULL;
    case 'TemplateLiteral':
      e.expressions.forEach((x) => expr(ctx, x));
      return STRING;
    case 'ArrayLiteral': {
      const parts: Type[] = [];
      let anyPart = false;
      for (const el of e.elements) {
        if (el.kind === 'Spread') {
          const t = expr(ctx, el.argument);
          const ms = ctx.env.members(ctx.env.nonNull(t));
          if (ms.some((m) => m.kind === 'any')) anyPart = true;
          else if (ms.every((m) => m.kind === 'array' || m.kind === 'tuple')) {
            for (const m of ms) parts.push(...(m.kind === 'array' ? [m.element] : m.kind === 'tuple' ? m.elements : []));
          } else {
            report(ctx, 'CT007', el.argument.span, `cannot spread ${show(ctx, t)} into an array`, { hint: 'only arrays can be spread into arrays' });
            anyPart = true;
          }
        } else parts.push(expr(ctx, el));
      }
      return arrayOf(anyPart || parts.length === 0 ? ANY : union(parts));
    }
    case 'ObjectLiteral': {
      const fields: Record<string, { type: Type; optional: boolean }> = {};
      let open = false;
      for (const p of e.properties) {
        if (p.kind === 'Spread') {
          const t = expr(ctx, p.argument);
          const ms = ctx.env.members(ctx.env.nonNull(t));
          if (ms.length === 1 && ms[0]!.kind === 'object') Object.assign(fields, ms[0]!.fields);
          else if (ms.some((m) => m.kind === 'any' || m.kind === 'object' || m.kind === 'null')) open = true;
          else {
            report(ctx, 'CT007', p.argument.span, `cannot spread ${show(ctx, t)} into an object`, { hint: 'only objects can be spread into objects' });
            open = true;
          }
        } else {
          reservedKey(ctx, p.key, p.span);
          fields[p.key] = { type: expr(ctx, p.value), optional: false };
        }
      }
      return open ? ANY : { kind: 'object', fields };
    }
    case 'Identifier':
      return identifier(ctx, e.name, e.span);
    case 'Member': {
      const t = member(ctx, e);
      return narrowedPath(ctx, e) ?? t;
    }
    case 'Index': {
      const t = index(ctx, e);
      return narrowedPath(ctx, e) ?? t;
    }
    case 'Call':
      return call(ctx, e);
    case 'Unary': {
      const t = expr(ctx, e.argument);
      switch (e.op) {
        case '!':
          return BOOLEAN;
        case '-':
          if (definitelyNot(ctx, t, isNumberLike)) report(ctx, 'CT007', e.argument.span, `unary - needs a number, got ${show(ctx, t)}`);
          return NUMBER;
        case '+':
          return NUMBER;
        case 'typeof':
          return union(['string', 'number', 'boolean', 'object'].map((value) => ({ kind: 'literal', value }) as Type));
        default:
          return assertNever(e, 'unary expression');
      }
    }
    case 'Binary': {
      const l = expr(ctx, e.left);
      const r = expr(ctx, e.right);
      if (e.op !== '===' && e.op !== '!==' && e.op !== '==' && e.op !== '!=') {
        // handles compare by identity; computing with one is a slip (await it first)
        if (!plainValue(ctx, l, e.left.span, `used with '${e.op}'`) || !plainValue(ctx, r, e.right.span, `used with '${e.op}'`)) return ANY;
      }
      switch (e.op) {
        case 'in':
          inOperator(ctx, l, r, e.left, e.right);
          return BOOLEAN;
        case '+':
        case '-':
        case '*':
        case '/':
        case '%':
        case '**':
          return arithmetic(ctx, e.op, l, r, e.left, e.right);
        case '<':
        case '<=':
        case '>':
        case '>=':
          comparison(ctx, e.op, l, r, e.left, e.right);
          return BOOLEAN;
        case '===':
        case '!==':
        case '==':
        case '!=':
          // two literals (`1 === 2`) are a deliberate constant, not a slip
          if (!(constantScalar(e.left) !== undefined && constantScalar(e.right) !== undefined) && !overlaps(ctx, l, r)) {
            report(ctx, 'CT007', e.right.span, `this comparison is always ${e.op.startsWith('!') ? 'true' : 'false'}: ${show(ctx, l)} and ${show(ctx, r)} have no value in common`, {
              hint: isStringLikeType(ctx.env, l) && isStringLikeType(ctx.env, r) ? 'check the spelling of the string' : '== compares strictly, without conversion',
            });
          }
          return BOOLEAN;
        default:
          return assertNever(e, 'binary expression');
      }
    }
    case 'Logical': {
      const l = expr(ctx, e.left);
      // the right side runs only when the left is truthy (&&), falsy (||) or null (??)
      const r = e.op === '??' ? expr(ctx, e.right) : under(ctx, assume(ctx, e.left, e.op === '&&'), () => expr(ctx, e.right));
      if (e.op === '&&') return union([...ctx.env.members(l).filter(canBeFalsy), r]);
      return union([ctx.env.nonNull(l), r]);
    }
    case 'Conditional': {
      expr(ctx, e.test);
      const a = under(ctx, assume(ctx, e.test, true), () => expr(ctx, e.consequent));
      const b = under(ctx, assume(ctx, e.test, false), () => expr(ctx, e.alternate));
      return union([a, b]);
    }
    case 'Await':
      if (!ctx.fn) {
        report(ctx, 'CT009', e.span, 'await cannot be part of a larger expression', {
          hint: 'await only as a statement, a declaration (const r = await …), an assignment or a return; use the variable afterwards',
        });
      }
      return awaited(ctx, e);
    case 'As':
      return asExpression(ctx, e.expression, e.type, e.span, expr(ctx, e.expression));
    case 'Satisfies': {
      const t = expr(ctx, e.expression);
      const want = ctx.env.fromNode(e.type);
      if (!ctx.env.assignable(t, want)) {
        const why = ctx.env.whyNot(t, want);
        report(ctx, 'CT007', e.expression.span, `${show(ctx, t)} does not satisfy ${show(ctx, want)}${why ? `: ${why}` : ''}`);
      }
      return t;
    }
    case 'NonNull':
      return ctx.env.nonNull(expr(ctx, e.expression));
    case 'Invalid':
      return ANY;
    case 'ArrowFunction':
      report(ctx, 'CT050', e.span, 'an arrow function can only be passed straight to an array method (map, filter, find, findIndex, some, every, reduce, flatMap, forEach, sort)', {
        hint: 'to reuse it, declare a top-level function name(x) { … } and call it or pass its name; no function is ever stored in a variable, returned or passed to a task',
      });
      ctx.arrow(e, e.params.map(() => ANY));
      return ANY;
    default:
      return assertNever(e, 'expression');
  }
}

/**
 * `e as T` (TypeScript's meaning: the value is unchanged, the checker takes it as T), and
 * `e as const` (literal types kept, arrays become readonly tuples). A conversion between two types
 * that do not overlap either way is reported (CT040), as TypeScript does; through `any` or
 * `unknown` anything goes.
 */
export function asExpression(ctx: Ctx, e: Expression, type: import('../ast.ts').TypeNode | undefined, span: Span, t: Type): Type {
  if (!type) return constType(ctx, e, t);
  const target = ctx.env.fromNode(type);
  if (!ctx.env.assignable(t, target) && !ctx.env.assignable(target, t)) {
    report(ctx, 'CT040', span, `${show(ctx, t)} cannot be asserted to be ${show(ctx, target)}: neither type fits the other`, {
      hint: 'check the value (if, typeof) instead; if it is really meant, go through any: (x as any) as T',
    });
  }
  return target;
}

/** The type of `e as const`: literals stay literal, array literals become readonly tuples, object fields readonly. */
function constType(ctx: Ctx, e: Expression, t: Type): Type {
  switch (e.kind) {
    case 'ArrayLiteral':
      if (e.elements.some((el) => el.kind === 'Spread')) return readonlyOf(t);
      return { kind: 'tuple', elements: e.elements.map((el) => constType(ctx, el as Expression, ctx.expr(el as Expression))), readonly: true };
    case 'ObjectLiteral': {
      const r = ctx.env.resolve(t);
      if (r.kind !== 'object') return t;
      const fields: Record<string, { type: Type; optional: boolean; readonly: boolean }> = {};
      for (const p of e.properties) {
        if (p.kind !== 'Property') return readonlyOf(t);
        fields[p.key] = { type: constType(ctx, p.value, r.fields[p.key]?.type ?? ANY), optional: false, readonly: true };
      }
      return { kind: 'object', fields };
    }
    default:
      return t;
  }
}

/** Runs `f` with `facts` as what is known, then restores what was known before. */
export function under<T>(ctx: Ctx, facts: Facts, f: () => T): T {
  const saved = ctx.flow;
  ctx.flow = facts;
  try {
    return f();
  } finally {
    ctx.flow = saved;
  }
}

export function identifier(ctx: Ctx, name: string, span: Span): Type {
  const found = ctx.scope.lookup(name);
  if (found.state === 'declared') {
    const b = found.binding;
    return (ctx.flow.size > 0 && b.uid !== undefined ? ctx.flow.get(String(b.uid)) : undefined) ?? b.type;
  }
  if (found.state === 'later') {
    report(ctx, 'CT002', span, `'${name}' is used before its declaration`, { hint: `move the declaration of '${name}' above this line` });
    return ANY;
  }
  if (ctx.tasks.has(name)) {
    report(ctx, 'CT001', span, `'${name}' is a task, not a variable`, { hint: `call it: await ${name}(…)` });
    return ANY;
  }
  if (name === 'instance') return objectOf({ id: STRING, workflow: STRING, startedAt: STRING });
  if (name === WORKFLOWS) {
    report(ctx, 'CT073', span, `'${WORKFLOWS}' only starts child workflows`, { hint: `await ${WORKFLOWS}.<name>(input) runs one as a child; ${WORKFLOWS}.<name>.startDetached(input) starts one and goes on` });
    return ANY;
  }
  if (isNamespace(name) || globalFn(name)) {
    report(ctx, 'CT001', span, `'${name}' is a built-in and can only be called`, { hint: isNamespace(name) ? `use ${name}.fn(…)` : `call it: ${name}(…)` });
    return ANY;
  }
  if (ctx.functions.has(name)) {
    report(ctx, 'CT050', span, `'${name}' is a function: call it, ${name}(…), or pass it to an array method, xs.map(${name})`, {
      hint: 'functions are not values: they are never stored in a variable, returned or passed to a task',
    });
    return ANY;
  }
  if (ctx.fn?.kind === 'helper' && ctx.workflowNames.has(name)) {
    report(ctx, 'CT054', span, `${ctx.fn.name} cannot use the workflow's variable '${name}'`, {
      hint: `pass it as an argument: a helper computes its result from its parameters only`,
    });
    return ANY;
  }
  const js = jsGlobal(name);
  if (js) {
    report(ctx, 'CT041', span, `${js.what} is not available in a workflow`, { hint: js.instead });
    return ANY;
  }
  const near = didYouMean(name, ctx.scope.visible());
  report(ctx, 'CT001', span, `undeclared variable '${name}'${near ? ` (did you mean '${near}'?)` : ''}`, {
    hint: near ? undefined : `declare it with const ${name} = … or let ${name} = …`,
  });
  return ANY;
}

export function arithmetic(ctx: Ctx, op: '+' | '-' | '*' | '/' | '%' | '**', l: Type, r: Type, le: Expression, re: Expression): Type {
  const all = (t: Type, ok: (m: Type) => boolean) => {
    const ms = ctx.env.members(ctx.env.nonNull(t));
    return ms.length > 0 && ms.every(ok);
  };
  if (op === '+') {
    if (all(l, isStringLike) || all(r, isStringLike)) return STRING;
    if (ctx.env.isAny(l) || ctx.env.isAny(r)) return ANY;
    if (all(l, isNumberLike) && all(r, isNumberLike)) return NUMBER;
    const some = (t: Type) => ctx.env.members(t).some(isStringLike);
    if (some(l) || some(r)) return union([STRING, NUMBER]);
    const bad = definitelyNot(ctx, l, isNumberLike) ? le : re;
    const bt = bad === le ? l : r;
    if (definitelyNot(ctx, l, isNumberLike) || definitelyNot(ctx, r, isNumberLike)) {
      report(ctx, 'CT007', bad.span, `'+' needs two numbers or a string, got ${show(ctx, l)} + ${show(ctx, r)}`, {
        hint: bt === l || bt === r ? 'convert with String(x) to concatenate, or Number(x) to add' : undefined,
      });
      return ANY;
    }
    return union([STRING, NUMBER]);
  }
  for (const [t, x] of [[l, le], [r, re]] as const) {
    if (definitelyNot(ctx, t, isNumberLike)) {
      report(ctx, 'CT007', x.span, `'${op}' needs numbers, got ${show(ctx, t)}`, { hint: isStringLikeType(ctx.env, t) ? 'convert with Number(x) first' : undefined });
      return ANY;
    }
  }
  return NUMBER;
}

function comparison(ctx: Ctx, op: string, l: Type, r: Type, le: Expression, re: Expression): void {
  const ordered = (m: Type) => isNumberLike(m) || isStringLike(m);
  for (const [t, x] of [[l, le], [r, re]] as const) {
    if (definitelyNot(ctx, t, ordered)) {
      report(ctx, 'CT007', x.span, `'${op}' compares two numbers or two strings, got ${show(ctx, t)}`);
      return;
    }
  }
  const nums = (t: Type) => !ctx.env.isAny(t) && ctx.env.members(ctx.env.nonNull(t)).every(isNumberLike);
  const strs = (t: Type) => !ctx.env.isAny(t) && ctx.env.members(ctx.env.nonNull(t)).every(isStringLike);
  if ((nums(l) && strs(r)) || (strs(l) && nums(r))) {
    report(ctx, 'CT007', re.span, `'${op}' compares two numbers or two strings, got ${show(ctx, l)} and ${show(ctx, r)}`, {
      hint: 'convert one side with Number(x) or String(x)',
    });
  }
}

/**
 * Can two values of these types ever be equal? Only primitives and literal types are judged
 * (`mode === "fsat"` where mode is "fast" | "slow"; a number against a string); anything with
 * `any`, `null`, objects or arrays is assumed to overlap.
 */
export function overlaps(ctx: Ctx, l: Type, r: Type): boolean {
  const lm = ctx.env.members(l);
  const rm = ctx.env.members(r);
  const simple = (m: Type) => m.kind === 'string' || m.kind === 'number' || m.kind === 'boolean' || m.kind === 'literal';
  if (!lm.every(simple) || !rm.every(simple)) return true;
  return lm.some((a) => rm.some((b) => ctx.env.assignable(a, b) || ctx.env.assignable(b, a)));
}

/** A call that is not directly awaited (a handle-making call gives its handle: `Promise<T>`). */
export function call(ctx: Ctx, c: Call): Type {
  const made = handleCall(ctx, c, false);
  if (made) {
    // a helper or callback runs to completion at once: it cannot start work either (CT051)
    if (ctx.fn) {
      const name = c.callee.kind === 'Identifier' ? c.callee.name : undefined;
      if (name !== undefined && ctx.tasks.has(name)) taskInFunction(ctx, c, name);
      else awaitInFunction(ctx, c.span, `${ctx.program.source.slice(c.callee.span.start, c.callee.span.end)}(…) makes a handle`);
      // the call cannot run here; typing it as its result keeps one slip one diagnostic
      return made;
    }
    return promiseOf(made);
  }
  const callee = c.callee;
  // only signal<T>(…) takes a type argument, and handleCall has checked it
  if (c.typeArgs) noTypeArgs(ctx, c, `${ctx.program.source.slice(callee.span.start, callee.span.end)}(…)`);
  if (callee.kind === 'Identifier') {
    const name = callee.name;
    if (c.policy) badPolicy(ctx, c);
    const local = ctx.scope.lookup(name);
    if (local.state === 'declared') {
      report(ctx, 'CT005', callee.span, `'${name}' is a variable, not a task or function`, { hint: 'only declared tasks, functions and built-ins can be called' });
      args(ctx, c.args);
      return ANY;
    }
    const helper = ctx.functions.get(name);
    if (helper) return helperCall(ctx, c, helper);
    const g = globalFn(name);
    if (g) {
      const t = builtinCall(ctx, c, g, name, ANY);
      if (TIME_FUNCTIONS.has(name)) timeLiterals(ctx, c, name);
      return t;
    }
    return unknownCall(ctx, c, name, callee.span);
  }
  if (isChildMethodCall(ctx, c)) return childMethodCall(ctx, c);
  if (c.policy) badPolicy(ctx, c);
  if (callee.kind === 'Member') {
    const obj = callee.object;
    if (obj.kind === 'Identifier' && ctx.scope.lookup(obj.name).state === 'missing' && !ctx.tasks.has(obj.name)) {
      // `Date.now()`, `Math.random()`, `crypto.randomUUID()`, `process.exit()`: what to write instead
      const ns = isNamespace(obj.name);
      const js = ns ? (namespaceFn(obj.name, callee.property) ? undefined : jsGlobal(obj.name, callee.property, true)) : jsGlobal(obj.name, callee.property);
      if (js) {
        report(ctx, 'CT041', callee.span, `${js.what} is not available in a workflow`, { hint: js.instead });
        args(ctx, c.args);
        return ANY;
      }
    }
    if (obj.kind === 'Identifier' && isNamespace(obj.name) && ctx.scope.lookup(obj.name).state === 'missing') {
      const fn = namespaceFn(obj.name, callee.property);
      const full = `${obj.name}.${callee.property}`;
      if (!fn) {
        const near = didYouMean(callee.property, Object.keys(NAMESPACES[obj.name]!));
        report(ctx, 'CT008', propertySpan(ctx, callee), `${obj.name} has no function '${callee.property}'${near ? ` (did you mean '${near}'?)` : ''}`, {
          hint: near ? undefined : `${obj.name} has: ${Object.keys(NAMESPACES[obj.name]!).join(', ')}`,
        });
        args(ctx, c.args);
        return ANY;
      }
      return builtinCall(ctx, c, fn, full, ANY);
    }
    const recv = expr(ctx, obj);
    const t = methodCall(ctx, c, callee, recv);
    return callee.optional || c.optional ? union([t, NULL]) : t;
  }
  expr(ctx, callee);
  report(ctx, 'CT005', c.span, 'only declared tasks and built-in functions can be called');
  args(ctx, c.args);
  return ANY;
}

/** Built-ins that take timestamps: literal ones are checked like sleepUntil's (CT033). */
const TIME_FUNCTIONS = new Set(['addTime', 'startOfDay', 'timeBetween', 'dayOfWeek']);

function timeLiterals(ctx: Ctx, c: Call, name: string): void {
  const stamps = name === 'timeBetween' ? c.args.slice(0, 2) : c.args.slice(0, 1);
  for (const a of stamps) {
    const v = constantScalar(a);
    if (typeof v === 'string' && parseTime(v) === undefined) {
      report(ctx, 'CT033', a.span, `${name}: ${JSON.stringify(v)} is not an ISO timestamp`, { hint: 'write "2026-03-01" or "2026-03-01T09:00:00Z" (times are UTC)' });
    }
  }
  if (name === 'addTime' && c.args[1]) {
    const d = constantScalar(c.args[1]);
    if (typeof d === 'string' && isDurationError(parseDuration(d.replace(/^\s*-/, '')))) {
      report(ctx, 'CT020', c.args[1].span, `addTime: ${JSON.stringify(d)} is not a duration`, { hint: 'a number and a unit, e.g. "2d", "90m" or "-1h", or milliseconds' });
    }
  }
}

/** CT051: a task called inside a helper or callback (it needs an await, which only the workflow has). */
function taskInFunction(ctx: Ctx, c: Call, name: string): void {
  report(ctx, 'CT051', c.span, `${ctx.fn!.name} cannot call task '${name}': tasks are awaited in the workflow itself`, {
    hint: `compute the arguments here and await the task in the workflow; for one task per item: await Promise.all(items.map(${name}))`,
  });
}

/** `key in obj`: a string or number key, an object on the right (CT007 when surely not). */
function inOperator(ctx: Ctx, l: Type, r: Type, le: Expression, re: Expression): void {
  if (definitelyNot(ctx, l, (m) => isStringLike(m) || isNumberLike(m))) {
    report(ctx, 'CT007', le.span, `the key of 'in' must be a string or number, got ${show(ctx, l)}`);
  }
  if (definitelyNot(ctx, r, (m) => m.kind === 'object')) {
    const arrayish = ctx.env.members(r).some((m) => m.kind === 'array' || m.kind === 'tuple');
    report(ctx, 'CT007', re.span, `'in' needs an object on its right, got ${show(ctx, r)}`, {
      hint: arrayish ? 'for an array use xs.includes(value) or compare an index with xs.length' : undefined,
    });
  }
}

function canBeFalsy(m: Type): boolean {
  return m.kind !== 'array' && m.kind !== 'tuple' && m.kind !== 'object' && !(m.kind === 'literal' && Boolean(m.value));
}
