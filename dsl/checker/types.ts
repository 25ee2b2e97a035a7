/**
 * The checker's type values: what annotations and inferred expressions mean, and how they relate.
 *
 * Takes type annotations (`TypeNode`s from the AST) through `TypeEnv.fromNode`, gives plain `Type`
 * values plus the few operations the checker needs: `resolve` (expand alias references),
 * `assignable` (gradual: anything involving `any` fits), `widen` (literal types → their base, for
 * unannotated variables), `show` (text for messages) and `union`.
 *
 *   const env = new TypeEnv(new Map([['Payment', paymentNode]]), report);
 *   const t = env.fromNode(annotation);           // { kind: 'object', fields: {...} }
 *   env.assignable({ kind: 'number' }, t)         // false
 *
 * Decisions (why):
 * - `null` is assignable to every type, and `T | null` therefore to `T` (TypeScript without
 *   strictNullChecks). Optional fields read as `T | null`; reporting every such use would make the
 *   README's own examples noisy (`return shipment.trackingId` in a `: string` workflow).
 * - Aliases stay as `ref` values and expand lazily, so recursive types through objects/arrays
 *   (`type Tree = { children: Tree[] }`) work; a cycle with no structure in between
 *   (`type A = B; type B = A | string`) is reported once and reads as `any`.
 * - `tuple` exists only as an inferred type (`Promise.all([a(), b()])`, destructuring); there is no
 *   syntax for it.
 */
import type { Span, TypeNode } from '../ast.ts';
import { assertNever } from '../ast.ts';

export interface Field {
  type: Type;
  optional: boolean;
}

export type Type =
  | { kind: 'any' }
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'boolean' }
  | { kind: 'null' }
  | { kind: 'void' }
  /**
   * `fresh`: the type of a literal expression (`"a"`, `1`), which widens where TypeScript widens
   * it (a `let`, an object or array literal in a declaration, a lone literal returned); a literal
   * type written in an annotation never widens.
   */
  | { kind: 'literal'; value: string | number | boolean; fresh?: true }
  | { kind: 'array'; element: Type }
  | { kind: 'tuple'; elements: Type[] }
  | { kind: 'object'; fields: Record<string, Field> }
  | { kind: 'union'; types: Type[] }
  | { kind: 'ref'; name: string }
  /** A handle: what a task call, `sleep`, `signal` or `Promise.*` gives without `await` (`await` gives `value`). */
  | { kind: 'promise'; value: Type };

export const ANY: Type = { kind: 'any' };
export const STRING: Type = { kind: 'string' };
export const NUMBER: Type = { kind: 'number' };
export const BOOLEAN: Type = { kind: 'boolean' };
export const NULL: Type = { kind: 'null' };
export const VOID: Type = { kind: 'void' };
export const arrayOf = (element: Type): Type => ({ kind: 'array', element });
export const promiseOf = (value: Type): Type => ({ kind: 'promise', value });
export const objectOf = (fields: Record<string, Type>, optional: string[] = []): Type => ({
  kind: 'object',
  fields: Object.fromEntries(
    Object.entries(fields).map(([k, t]) => [k, { type: t, optional: optional.includes(k) }]),
  ),
});

/** Reports a problem found while turning annotations into types (unknown name, alias cycle). */
export type TypeProblem = (kind: 'unknownType' | 'aliasCycle', name: string, span: Span) => void;

/** Aliases and the conversions that need them. */
export class TypeEnv {
  /** Resolved alias bodies; `any` for a cyclic alias. */
  private readonly bodies = new Map<string, Type>();

  constructor(
    private readonly aliases: ReadonlyMap<string, { type: TypeNode; span: Span }>,
    private readonly problem: TypeProblem,
  ) {
    for (const [name, a] of aliases) this.bodies.set(name, this.fromNode(a.type));
    // Direct cycles: an alias whose expansion reaches itself without passing an object or array.
    for (const [name, a] of aliases) {
      if (this.reachesDirectly(name, name, new Set())) {
        this.problem('aliasCycle', name, a.span);
        this.bodies.set(name, ANY);
      }
    }
  }

  has(name: string): boolean {
    return this.aliases.has(name);
  }

  /** Alias names, for "did you mean" hints. */
  names(): string[] {
    return [...this.aliases.keys()];
  }

  private reachesDirectly(from: string, target: string, seen: Set<string>): boolean {
    if (seen.has(from)) return false;
    seen.add(from);
    const walk = (t: Type): boolean => {
      if (t.kind === 'ref') return t.name === target || this.reachesDirectly(t.name, target, seen);
      if (t.kind === 'union') return t.types.some(walk);
      return false;
    };
    const body = this.bodies.get(from);
    return body ? walk(body) : false;
  }

  /** An annotation as a type value. Unknown names are reported and read as `any`. */
  fromNode(n: TypeNode): Type {
    switch (n.kind) {
      case 'PrimitiveType':
        return { kind: n.name };
      case 'ArrayType':
        return arrayOf(this.fromNode(n.element));
      case 'ObjectType': {
        const fields: Record<string, Field> = {};
        for (const m of n.members) fields[m.name] = { type: this.fromNode(m.type), optional: m.optional };
        return { kind: 'object', fields };
      }
      case 'UnionType':
        return union(n.types.map((t) => this.fromNode(t)));
      case 'TypeRef':
        if (!this.aliases.has(n.name)) {
          this.problem('unknownType', n.name, n.span);
          return ANY;
        }
        return { kind: 'ref', name: n.name };
      case 'LiteralType':
        return { kind: 'literal', value: n.value };
      default:
        return assertNever(n, 'type node');
    }
  }

  /** Expands alias references at the top (and inside top-level unions). */
  resolve(t: Type): Type {
    for (let i = 0; t.kind === 'ref' && i < 64; i++) t = this.bodies.get(t.name) ?? ANY;
    if (t.kind === 'ref') return ANY;
    if (t.kind === 'union' && t.types.some((m) => m.kind === 'ref')) return union(t.types.map((m) => this.resolve(m)));
    return t;
  }

  /** The members of a (resolved) type seen as a union: `A | B` → [A, B], `A` → [A]. */
  members(t: Type): Type[] {
    const r = this.resolve(t);
    return r.kind === 'union' ? r.types.map((m) => this.resolve(m)) : [r];
  }

  isAny(t: Type): boolean {
    return this.members(t).some((m) => m.kind === 'any');
  }

  /** The type without `null` (and `void`) members; `null` alone stays `null`. */
  nonNull(t: Type): Type {
    const ms = this.members(t);
    const rest = ms.filter((m) => m.kind !== 'null' && m.kind !== 'void');
    return rest.length === 0 ? this.resolve(t) : union(rest);
  }

  /**
   * Can a value of type `src` be stored where `dst` is expected? Gradual: `any` on either side
   * fits; `null` fits everywhere (see the module comment). Structural on objects; extra fields are
   * allowed.
   */
  assignable(src: Type, dst: Type, depth = 0): boolean {
    if (depth > 32) return true; // recursive aliases: assume the rest fits
    const s = this.resolve(src);
    const d = this.resolve(dst);
    if (s.kind === 'any' || d.kind === 'any') return true;
    if (s.kind === 'null') return true;
    if (s.kind === 'union') return s.types.every((m) => this.assignable(m, d, depth + 1));
    if (d.kind === 'union') return d.types.some((m) => this.assignable(s, m, depth + 1));
    switch (d.kind) {
      case 'string':
      case 'number':
      case 'boolean':
        return s.kind === d.kind || (s.kind === 'literal' && typeof s.value === d.kind);
      case 'null':
        return false;
      case 'void':
        return s.kind === 'void';
      case 'literal':
        return s.kind === 'literal' && s.value === d.value;
      case 'array':
        if (s.kind === 'array') return this.assignable(s.element, d.element, depth + 1);
        if (s.kind === 'tuple') return s.elements.every((e) => this.assignable(e, d.element, depth + 1));
        return false;
      case 'promise':
        return s.kind === 'promise' && this.assignable(s.value, d.value, depth + 1);
      case 'tuple':
        if (s.kind === 'array') return d.elements.every((e) => this.assignable(s.element, e, depth + 1));
        return (
          s.kind === 'tuple' &&
          s.elements.length === d.elements.length &&
          s.elements.every((e, i) => this.assignable(e, d.elements[i]!, depth + 1))
        );
      case 'object': {
        if (s.kind !== 'object') return false;
        for (const [k, f] of Object.entries(d.fields)) {
          const sf = s.fields[k];
          if (!sf) {
            if (!f.optional) return false;
            continue;
          }
          if (!this.assignable(sf.type, f.type, depth + 1)) return false;
        }
        return true;
      }
      default:
        // any / union / ref were handled above
        return true;
    }
  }

  /** Names the first field that makes `src` not fit `dst`, for messages ("missing field 'x'"). */
  whyNot(src: Type, dst: Type): string | undefined {
    const s = this.resolve(src);
    const d = this.resolve(dst);
    if (s.kind !== 'object' || d.kind !== 'object') return undefined;
    for (const [k, f] of Object.entries(d.fields)) {
      const sf = s.fields[k];
      if (!sf && !f.optional) return `field '${k}' is missing`;
      if (sf && !this.assignable(sf.type, f.type)) return `field '${k}' is ${this.show(sf.type)}, expected ${this.show(f.type)}`;
    }
    return undefined;
  }

  /** Text of a type for messages; aliases keep their names. */
  show(t: Type, depth = 0): string {
    if (depth > 4) return '…';
    switch (t.kind) {
      case 'any':
      case 'string':
      case 'number':
      case 'boolean':
      case 'null':
      case 'void':
        return t.kind;
      case 'literal':
        return JSON.stringify(t.value);
      case 'array': {
        const e = this.show(t.element, depth + 1);
        return t.element.kind === 'union' ? `(${e})[]` : `${e}[]`;
      }
      case 'tuple':
        return `[${t.elements.map((e) => this.show(e, depth + 1)).join(', ')}]`;
      case 'object': {
        const fs = Object.entries(t.fields).map(([k, f]) => `${k}${f.optional ? '?' : ''}: ${this.show(f.type, depth + 1)}`);
        return fs.length === 0 ? '{}' : `{ ${fs.join(', ')} }`;
      }
      case 'union':
        return t.types.map((m) => this.show(m, depth + 1)).join(' | ');
      case 'ref':
        return t.name;
      case 'promise':
        return `Promise<${this.show(t.value, depth + 1)}>`;
      default:
        return assertNever(t, 'type');
    }
  }
}

/** Equal types, freshness aside (`"a"` from a literal and `"a"` from an annotation are one type). */
function sameType(a: Type, b: Type): boolean {
  return typeKey(a) === typeKey(b);
}

/** A text that is equal for equal types (freshness aside). */
export function typeKey(t: Type): string {
  return JSON.stringify(t, (k, v: unknown) => (k === 'fresh' ? undefined : v));
}

/** A union of types, flattened and without duplicates; `any` swallows everything. */
export function union(types: Type[]): Type {
  const out: Type[] = [];
  const add = (t: Type) => {
    if (t.kind === 'union') {
      t.types.forEach(add);
      return;
    }
    if (!out.some((o) => sameType(o, t))) out.push(t);
  };
  types.forEach(add);
  if (out.some((t) => t.kind === 'any')) return ANY;
  if (out.length === 0) return ANY;
  return out.length === 1 ? out[0]! : { kind: 'union', types: out };
}

/**
 * The type an unannotated `let` gets from its initializer (and what fields of object and array
 * literals get in any declaration): fresh literal types widen to their base (`"a"` → string), as in
 * TypeScript, while literal types from annotations stay (`const r = await t()` keeps the
 * discriminant `status: "ok"` of t's declared result); `null` widens to `any` (a `let x = null` is
 * filled in later). Deep.
 */
export function widen(t: Type): Type {
  switch (t.kind) {
    case 'literal':
      return t.fresh ? { kind: typeof t.value as 'string' | 'number' | 'boolean' } : t;
    case 'null':
    case 'void':
      return ANY;
    case 'array':
      return arrayOf(widen(t.element));
    case 'tuple':
      // kept: `const [a, b] = await Promise.all([t1(), t2()])` gives each its own type
      return { kind: 'tuple', elements: t.elements.map(widenField) };
    case 'object':
      // `const acc = {}` is filled in later (acc.total = 1): an empty literal says nothing yet
      if (Object.keys(t.fields).length === 0) return ANY;
      return {
        kind: 'object',
        fields: Object.fromEntries(Object.entries(t.fields).map(([k, f]) => [k, { type: widenField(f.type), optional: f.optional }])),
      };
    case 'union':
      return union(t.types.map(widenField));
    default:
      return t;
  }
}

/**
 * The type an unannotated `const` gets: like TypeScript, a literal or a union of literals (with
 * null) stays as it is (`const b = ok ? "approved" : "rejected"` is `"approved" | "rejected"`, and
 * a `let` assigned from it widens); anything else widens as for `let`.
 */
export function widenConst(t: Type): Type {
  const ms = t.kind === 'union' ? t.types : [t];
  if (ms.some((m) => m.kind === 'literal') && ms.every((m) => m.kind === 'literal' || m.kind === 'null')) return t;
  return widen(t);
}

/**
 * The type a function's returns give when its return type is not written: one fresh literal widens
 * (`return "a"` gives string), a union of literals stays (`return ok ? "a" : "b"`), as in TypeScript.
 */
export function widenReturn(t: Type): Type {
  return t.kind === 'literal' && t.fresh ? widen(t) : t;
}

/** Like `widen`, but `null` inside a structure stays `null` (a field that is null is still a field). */
function widenField(t: Type): Type {
  return t.kind === 'null' ? NULL : widen(t);
}

/** The closest candidate by edit distance, when it is close enough to be a likely typo. */
export function didYouMean(name: string, iterable: Iterable<string>): string | undefined {
  const candidates = [...iterable];
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (c === name) continue;
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.max(1, Math.floor(name.length / 3));
  // `bestD < name.length`: replacing every letter is no typo ('b' is not a misspelt 'a')
  if (best !== undefined && bestD <= limit && bestD < name.length) return best;
  // A shortened or differently-ended name (`toUpper` → toUpperCase, `retry` → retries): a long
  // shared prefix is as telling as a small edit distance.
  let bestPrefix = 0;
  let byPrefix: string | undefined;
  for (const c of candidates) {
    if (c === name) continue;
    const p = commonPrefix(name.toLowerCase(), c.toLowerCase());
    if (p >= 4 && p >= 0.6 * Math.min(name.length, c.length) && p > bestPrefix) {
      bestPrefix = p;
      byPrefix = c;
    }
  }
  return byPrefix;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Damerau–Levenshtein (optimal string alignment): a swapped pair of letters counts as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
