/**
 * Narrowing: what a condition tells about the types of variables and property paths, the way
 * TypeScript reads it — `=== null` / `!== null`, truthiness, `typeof`, `in`, `Array.isArray`,
 * equality with a literal, and discriminated unions (`r.status === "rejected"` narrows `r` itself,
 * so `r.reason` has the rejected member's type) — and what an assignment tells.
 *
 * Takes the checker context and an expression; gives `Facts` (context.ts): a persistent map from a
 * reference's key (a binding's uid, then property names) to its refined type. The pass keeps the
 * facts of the point it is at in `ctx.flow`: statements.ts and expressions.ts `assume` a condition
 * on entering a branch, `join` where branches meet, and `forget` a variable when it is assigned.
 *
 *   if (r.status === "rejected") return r.reason.message   // r: the rejected member here
 *   if (x === null) return 0
 *   return x.length                                          // x without null from here on
 *
 * Sound where it reports, lenient where it cannot know: a refinement only removes the members a
 * condition rules out, and a condition that would leave nothing (a branch the types call
 * impossible) gives no fact, so the unrefined type stays.
 */
import { constantScalar } from '../constant.ts';
import type { Expression } from '../ast.ts';
import { isNumberLike, isStringLike, type Ctx, type Facts } from './context.ts';
import { ANY, NULL, NUMBER, arrayOf, typeKey, union, type Type } from './types.ts';

export const NO_FACTS: Facts = new Map();

const SEP = '\u0000';

/**
 * Per check, each refined reference's type before any refinement: a join that gives back all of it
 * is no refinement (`if (x === null) log() ` leaves `x` as declared, `string | null`, not `null | string`).
 */
const bases = new WeakMap<Ctx, Map<string, Type>>();

/** Refines one member of a type: the member as the condition leaves it, or undefined if ruled out. */
type Pred = (m: Type) => Type | undefined;

/** The key of a reference: a declared variable, or a property path on one (`o.a.b`, `o["a"]`). */
export function refKey(ctx: Ctx, e: Expression): string | undefined {
  switch (e.kind) {
    case 'Identifier': {
      const found = ctx.scope.lookup(e.name);
      return found.state === 'declared' && found.binding.uid !== undefined ? String(found.binding.uid) : undefined;
    }
    case 'Member':
    case 'Index': {
      const prop = propertyOf(e);
      if (prop === undefined) return undefined;
      const k = refKey(ctx, e.object);
      return k === undefined ? undefined : k + SEP + prop;
    }
    default:
      return undefined;
  }
}

/** The narrowed type of a property path here (`o.a`), if a condition refined it. */
export function narrowedPath(ctx: Ctx, e: Expression): Type | undefined {
  if (ctx.flow.size === 0) return undefined;
  const k = refKey(ctx, e);
  return k === undefined ? undefined : ctx.flow.get(k);
}

/** The facts that hold where `cond` is truthy (`sense`) or falsy, on top of `facts` (default: here). */
export function assume(ctx: Ctx, cond: Expression, sense: boolean, facts: Facts = ctx.flow): Facts {
  return both(ctx, cond, facts)[sense ? 0 : 1];
}

/**
 * What holds where `cond` is truthy and where it is falsy, in one walk: each operand of `&&`, `||`
 * and `!` is visited once (asking for one sense at a time would visit the left operand of a chain
 * like `((a || b) && c) || d` twice per level, exponentially often).
 */
function both(ctx: Ctx, cond: Expression, facts: Facts): [Facts, Facts] {
  switch (cond.kind) {
    case 'Unary':
      if (cond.op === '!') {
        const [t, f] = both(ctx, cond.argument, facts);
        return [f, t];
      }
      break;
    case 'Logical':
      if (cond.op === '&&') {
        const [lt, lf] = both(ctx, cond.left, facts);
        const [rt, rf] = both(ctx, cond.right, lt);
        return [rt, join(ctx, lf, rf)];
      }
      if (cond.op === '||') {
        const [lt, lf] = both(ctx, cond.left, facts);
        const [rt, rf] = both(ctx, cond.right, lf);
        return [join(ctx, lt, rt), rf];
      }
      break;
    default:
      break;
  }
  return [atom(ctx, cond, true, facts), atom(ctx, cond, false, facts)];
}

/** A condition that is not `!`, `&&` or `||`: a comparison, a test call, or a value's truthiness. */
function atom(ctx: Ctx, cond: Expression, sense: boolean, facts: Facts): Facts {
  if (cond.kind === 'Binary') return binary(ctx, cond.op, cond.left, cond.right, sense, facts);
  if (cond.kind === 'Call') {
    const c = cond.callee;
    if (
      c.kind === 'Member' && c.object.kind === 'Identifier' && c.object.name === 'Array' && c.property === 'isArray' &&
      cond.args.length === 1 && ctx.scope.lookup('Array').state === 'missing'
    ) {
      return refine(ctx, facts, cond.args[0]!, sense ? isArrayPred : notArrayPred);
    }
  }
  return refine(ctx, facts, cond, sense ? truthyPred : falsyPred);
}

/**
 * Facts that hold after either of two paths: a key both know, with the union of their types (none
 * when that union is the whole unrefined type).
 */
export function join(ctx: Ctx, a: Facts, b: Facts): Facts {
  if (a === b) return a;
  const out = new Map<string, Type>();
  const base = bases.get(ctx);
  for (const [k, t] of a) {
    const u = b.get(k);
    if (u === undefined) continue;
    if (t === u) {
      out.set(k, t);
      continue;
    }
    const joined = union([t, u]);
    const was = base?.get(k);
    if (was && sameMembers(ctx, joined, was)) continue;
    out.set(k, joined);
  }
  return out;
}

/** Do two types have the same members (in any order)? */
function sameMembers(ctx: Ctx, a: Type, b: Type): boolean {
  const am = ctx.env.members(a).map(typeKey);
  const bm = new Set(ctx.env.members(b).map(typeKey));
  return am.length === bm.size && am.every((k) => bm.has(k));
}

/** Drops what is known about variable `name` (as seen from here) and its property paths. */
export function forget(ctx: Ctx, name: string, facts: Facts = ctx.flow): Facts {
  if (facts.size === 0) return facts;
  const found = ctx.scope.lookup(name);
  if (found.state !== 'declared' || found.binding.uid === undefined) return facts;
  const k = String(found.binding.uid);
  let out: Map<string, Type> | undefined;
  for (const key of facts.keys()) {
    if (key === k || key.startsWith(k + SEP)) {
      out ??= new Map(facts);
      out.delete(key);
    }
  }
  return out ?? facts;
}

/**
 * After `name = value`: as in TypeScript, a variable declared with a union holds only the members
 * the assigned value fits (`let v: string | number = 1` is a number until assigned again).
 */
export function assigned(ctx: Ctx, name: string, value: Type): void {
  ctx.flow = forget(ctx, name);
  const found = ctx.scope.lookup(name);
  if (found.state !== 'declared' || found.binding.uid === undefined) return;
  const declared = ctx.env.members(found.binding.type);
  if (declared.length < 2 || ctx.env.isAny(value)) return;
  const vs = ctx.env.members(value).filter((v) => v.kind !== 'null');
  if (vs.length === 0) return;
  const kept = declared.filter((d) => vs.some((v) => ctx.env.assignable(v, d)));
  if (kept.length > 0 && kept.length < declared.length) {
    const out = new Map(ctx.flow);
    out.set(String(found.binding.uid), union(kept));
    ctx.flow = out;
  }
}

// ---- conditions ------------------------------------------------------------------------------

function binary(ctx: Ctx, op: string, left: Expression, right: Expression, sense: boolean, facts: Facts): Facts {
  if (op === 'in') {
    const key = constantScalar(left);
    if (typeof key !== 'string' && typeof key !== 'number') return facts;
    return refine(ctx, facts, right, inPred(ctx, String(key), sense));
  }
  if (op !== '===' && op !== '==' && op !== '!==' && op !== '!=') return facts;
  const eq = op === '===' || op === '==' ? sense : !sense;
  // `typeof x === "string"` (either way round)
  for (const [a, b] of [[left, right], [right, left]] as const) {
    if (a.kind === 'Unary' && a.op === 'typeof') {
      const name = constantScalar(b);
      if (typeof name === 'string') return refine(ctx, facts, a.argument, typeofPred(name, eq));
    }
  }
  // `x === null`, `x === "a"`, `r.status === "rejected"` (either way round)
  for (const [a, b] of [[left, right], [right, left]] as const) {
    if (refKey(ctx, a) === undefined) continue;
    const lit = literalOf(ctx, b, facts);
    if (lit === undefined) continue;
    return refine(ctx, facts, a, lit.kind === 'null' ? nullPred(eq) : equalPred(lit, eq), eq && lit.kind === 'null' ? NULL : undefined);
  }
  return facts;
}

/** The type of a comparand that is one value: `null`, a literal, or a reference of a single literal type. */
function literalOf(ctx: Ctx, e: Expression, facts: Facts): (Type & { kind: 'literal' | 'null' }) | undefined {
  const v = constantScalar(e);
  if (v === null) return { kind: 'null' };
  if (v !== undefined) return { kind: 'literal', value: v };
  const t = refType(ctx, e, facts);
  if (!t) return undefined;
  const r = ctx.env.resolve(t);
  return r.kind === 'literal' ? { kind: 'literal', value: r.value } : undefined;
}

/**
 * Applies `pred` to the members of reference `ref`'s type, and, when `ref` is a property
 * (`r.status`), keeps only the members of `r` whose property can satisfy it (a discriminated union).
 * `empty` is the fact to record when nothing is left (otherwise none is).
 */
function refine(ctx: Ctx, facts: Facts, ref: Expression, pred: Pred, empty?: Type): Facts {
  const key = refKey(ctx, ref);
  if (key === undefined) return facts;
  const t = refType(ctx, ref, facts);
  if (t === undefined) return facts;
  let out: Map<string, Type> | undefined;
  const ms = ctx.env.members(t);
  const kept: Type[] = [];
  let changed = false;
  for (const m of ms) {
    const r = pred(m);
    if (r !== m) changed = true;
    if (r !== undefined) kept.push(r);
  }
  if (changed && (kept.length > 0 || empty)) {
    out = new Map(facts);
    out.set(key, kept.length > 0 ? union(kept) : empty!);
    remember(ctx, key, t, facts);
  }
  const prop = ref.kind === 'Member' || ref.kind === 'Index' ? propertyOf(ref) : undefined;
  if (prop !== undefined && (ref.kind === 'Member' || ref.kind === 'Index')) {
    const parentKey = refKey(ctx, ref.object);
    const pt = refType(ctx, ref.object, facts);
    if (parentKey !== undefined && pt !== undefined) {
      const pms = ctx.env.members(pt);
      const keptParent = pms.filter((pm) => pm.kind !== 'object' || ctx.env.members(fieldType(ctx, pm, prop)).some((fm) => pred(fm) !== undefined));
      if (keptParent.length > 0 && keptParent.length < pms.length) {
        out ??= new Map(facts);
        out.set(parentKey, union(keptParent));
        remember(ctx, parentKey, pt, facts);
      }
    }
  }
  return out ?? facts;
}

/** Records the unrefined type of `key` (`t`, when no fact refined it yet) for `join`. */
function remember(ctx: Ctx, key: string, t: Type, facts: Facts): void {
  if (facts.has(key)) return;
  let m = bases.get(ctx);
  if (!m) bases.set(ctx, (m = new Map()));
  if (!m.has(key)) m.set(key, t);
}

/** The property a Member or an Index with a constant key names. */
function propertyOf(e: Expression & { kind: 'Member' | 'Index' }): string | undefined {
  if (e.kind === 'Member') return e.property;
  const k = constantScalar(e.index);
  return typeof k === 'string' ? k : undefined;
}

/** The type of a reference as narrowing sees it, without reporting anything. */
function refType(ctx: Ctx, e: Expression, facts: Facts): Type | undefined {
  const key = refKey(ctx, e);
  if (key === undefined) return undefined;
  const known = facts.get(key);
  if (known) return known;
  if (e.kind === 'Identifier') {
    const found = ctx.scope.lookup(e.name);
    return found.state === 'declared' ? found.binding.type : undefined;
  }
  if (e.kind === 'Member' || e.kind === 'Index') {
    const o = refType(ctx, e.object, facts);
    const prop = propertyOf(e);
    if (o === undefined || prop === undefined) return undefined;
    const t = union(ctx.env.members(o).filter((m) => m.kind !== 'null' && m.kind !== 'void').map((m) => fieldType(ctx, m, prop)));
    return e.optional ? union([t, NULL]) : t;
  }
  return undefined;
}

/** A member's property type, quietly: null where it is absent, any where unknown. */
function fieldType(ctx: Ctx, m: Type, prop: string): Type {
  const r = ctx.env.resolve(m);
  if (r.kind === 'object') {
    const f = Object.hasOwn(r.fields, prop) ? r.fields[prop] : undefined;
    if (!f) return NULL;
    return f.optional ? union([f.type, NULL]) : f.type;
  }
  if (r.kind === 'any') return ANY;
  if (prop === 'length' && (r.kind === 'array' || r.kind === 'tuple' || isStringLike(r))) return NUMBER;
  return NULL;
}

// ---- predicates ------------------------------------------------------------------------------

const truthyPred: Pred = (m) => (m.kind === 'null' || m.kind === 'void' || (m.kind === 'literal' && !m.value) ? undefined : m);

const falsyPred: Pred = (m) => {
  if (m.kind === 'array' || m.kind === 'tuple' || m.kind === 'object') return undefined;
  if (m.kind === 'literal') return m.value ? undefined : m;
  return m; // null, string (""), number (0), boolean (false), any
};

function nullPred(isNull: boolean): Pred {
  if (!isNull) return (m) => (m.kind === 'null' || m.kind === 'void' ? undefined : m);
  return (m) => (m.kind === 'null' || m.kind === 'void' ? m : m.kind === 'any' ? NULL : undefined);
}

function equalPred(lit: Type & { kind: 'literal' }, eq: boolean): Pred {
  const base = typeof lit.value;
  const exact: Type = { kind: 'literal', value: lit.value };
  if (eq) {
    return (m) => {
      if (m.kind === 'any') return m;
      if (m.kind === 'literal') return m.value === lit.value ? m : undefined;
      if (m.kind === base) return exact;
      return undefined;
    };
  }
  return (m) => {
    if (m.kind === 'literal') return m.value === lit.value ? undefined : m;
    if (m.kind === 'boolean' && typeof lit.value === 'boolean') return { kind: 'literal', value: !lit.value };
    return m;
  };
}

function typeofPred(name: string, eq: boolean): Pred {
  const is = (m: Type): boolean => {
    switch (name) {
      case 'string':
        return isStringLike(m);
      case 'number':
        return isNumberLike(m);
      case 'boolean':
        return m.kind === 'boolean' || (m.kind === 'literal' && typeof m.value === 'boolean');
      case 'object':
        return m.kind === 'null' || m.kind === 'void' || m.kind === 'array' || m.kind === 'tuple' || m.kind === 'object';
      default:
        return false;
    }
  };
  if (eq) {
    return (m) => {
      if (m.kind === 'any') return name === 'string' || name === 'number' || name === 'boolean' ? { kind: name } : m;
      return is(m) ? m : undefined;
    };
  }
  return (m) => (m.kind !== 'any' && is(m) ? undefined : m);
}

function inPred(ctx: Ctx, key: string, has: boolean): Pred {
  return (m) => {
    const r = ctx.env.resolve(m);
    if (r.kind !== 'object') return m;
    const f = Object.hasOwn(r.fields, key) ? r.fields[key] : undefined;
    if (has) return f ? m : undefined;
    return f && !f.optional ? undefined : m;
  };
}

const isArrayPred: Pred = (m) => (m.kind === 'array' || m.kind === 'tuple' ? m : m.kind === 'any' ? arrayOf(ANY) : undefined);
const notArrayPred: Pred = (m) => (m.kind === 'array' || m.kind === 'tuple' ? undefined : m);
