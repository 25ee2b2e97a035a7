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
 * - `tuple` is written `[A, B]`, and inferred (`Promise.all([a(), b()])`, destructuring).
 * - An object type may have an `index` (`Record<string, V>`, `{ [key: string]: V }`): the type of
 *   every key that is not a field. `Record<"a" | "b", V>` is an object with the fields a and b.
 * - `readonly` (arrays, tuples, fields) is checked where something writes (statements.ts, calls.ts);
 *   assignability ignores it (a `readonly string[]` may be passed where `string[]` is expected),
 *   lenient where TypeScript is strict, because values are copied anyway (value semantics).
 * - `A & B`, `Readonly<T>` and `Record<K, V>` stay as written (`intersection`, `readonly`, `record`)
 *   and expand in `resolve`, like aliases, so they may name aliases declared further down.
 */
import type { Span, TypeNode } from '../ast.ts';
import { assertNever } from '../ast.ts';

export interface Field {
  type: Type;
  optional: boolean;
  readonly?: boolean;
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
  | { kind: 'array'; element: Type; readonly?: boolean }
  | { kind: 'tuple'; elements: Type[]; readonly?: boolean }
  | { kind: 'object'; fields: Record<string, Field>; index?: Type }
  | { kind: 'union'; types: Type[] }
  | { kind: 'ref'; name: string }
  | { kind: 'intersection'; types: Type[] }
  | { kind: 'readonly'; type: Type }
  | { kind: 'record'; key: Type; value: Type }
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
      if (t.kind === 'union' || t.kind === 'intersection') return t.types.some(walk);
      if (t.kind === 'readonly') return walk(t.type);
      if (t.kind === 'record') return walk(t.key);
      return false;
    };
    const body = this.bodies.get(from);
    return body ? walk(body) : false;
  }

  /** An annotation as a type value. Unknown names are reported and read as `any`. */
  fromNode(n: TypeNode): Type {
    switch (n.kind) {
      case 'PrimitiveType':
        if (n.name === 'unknown') return ANY;
        if (n.name === 'undefined') return NULL;
        if (n.name === 'object') return { kind: 'object', fields: {}, index: ANY };
        return { kind: n.name };
      case 'ArrayType':
        return arrayOf(this.fromNode(n.element));
      case 'ObjectType': {
        const fields: Record<string, Field> = {};
        for (const m of n.members) {
          const f: Field = { type: this.fromNode(m.type), optional: m.optional };
          if (m.readonly) f.readonly = true;
          fields[m.name] = f;
        }
        const o: Type = { kind: 'object', fields };
        if (n.index) o.index = this.fromNode(n.index);
        return o;
      }
      case 'TupleType':
        return { kind: 'tuple', elements: n.elements.map((e) => this.fromNode(e)) };
      case 'RecordType':
        return { kind: 'record', key: this.fromNode(n.key), value: this.fromNode(n.value) };
      case 'IntersectionType':
        return { kind: 'intersection', types: n.types.map((t) => this.fromNode(t)) };
      case 'ReadonlyType':
        return { kind: 'readonly', type: this.fromNode(n.type) };
      case 'PromiseType':
        return promiseOf(this.fromNode(n.value));
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

  /**
   * Expands alias references at the top (and inside top-level unions), and the written forms that
   * stand for a structure: `A & B`, `Readonly<T>`, `Record<K, V>`.
   */
  resolve(t: Type, depth = 0): Type {
    for (let i = 0; i < 64; i++) {
      if (t.kind === 'ref') t = this.bodies.get(t.name) ?? ANY;
      else if ((t.kind === 'intersection' || t.kind === 'readonly' || t.kind === 'record') && depth < 16) t = this.expand(t, depth + 1);
      else break;
    }
    if (t.kind === 'ref' || t.kind === 'intersection' || t.kind === 'readonly' || t.kind === 'record') return ANY;
    if (t.kind === 'union' && t.types.some((m) => m.kind === 'ref' || m.kind === 'intersection' || m.kind === 'readonly' || m.kind === 'record')) {
      return union(t.types.map((m) => this.resolve(m, depth + 1)));
    }
    return t;
  }

  private readonly expanded = new WeakMap<Type, Type>();

  /** One written form as the structure it stands for (cached: types are immutable values). */
  private expand(t: Type & { kind: 'intersection' | 'readonly' | 'record' }, depth: number): Type {
    const hit = this.expanded.get(t);
    if (hit) return hit;
    let out: Type;
    if (t.kind === 'readonly') out = readonlyOf(this.resolve(t.type, depth));
    else if (t.kind === 'record') out = this.record(t.key, t.value, depth);
    else out = this.intersect(t.types.map((m) => this.resolve(m, depth)));
    this.expanded.set(t, out);
    return out;
  }

  /** `Record<K, V>`: string or number keys give an index; literal keys give required fields. */
  private record(key: Type, value: Type, depth: number): Type {
    const ks = this.members(this.resolve(key, depth));
    if (ks.some((k) => k.kind === 'any' || k.kind === 'string' || k.kind === 'number')) return { kind: 'object', fields: {}, index: value };
    const fields: Record<string, Field> = {};
    for (const k of ks) if (k.kind === 'literal' && (typeof k.value === 'string' || typeof k.value === 'number')) fields[String(k.value)] = { type: value, optional: false };
    return { kind: 'object', fields };
  }

  /** `A & B`: objects merge their fields (a field in both must fit both: its types intersect); anything else is lenient. */
  private intersect(parts: Type[]): Type {
    if (parts.some((p) => p.kind === 'any')) return ANY;
    const objects = parts.filter((p) => p.kind === 'object');
    const others = parts.filter((p) => p.kind !== 'object');
    if (others.length > 0) {
      // `string & { brand: X }` reads as string; `string & number` (never) as any: lenient
      const first = others[0]!;
      return others.every((o) => sameType(o, first)) ? first : ANY;
    }
    const fields: Record<string, Field> = {};
    let index: Type | undefined;
    for (const o of objects as { kind: 'object'; fields: Record<string, Field>; index?: Type }[]) {
      for (const [k, f] of Object.entries(o.fields)) {
        const prev = fields[k];
        fields[k] = prev ? { type: prev.type.kind === 'any' ? f.type : f.type.kind === 'any' ? prev.type : { kind: 'intersection', types: [prev.type, f.type] }, optional: prev.optional && f.optional } : f;
      }
      if (o.index) index = index ? { kind: 'intersection', types: [index, o.index] } : o.index;
    }
    const out: Type = { kind: 'object', fields };
    if (index) out.index = index;
    return out;
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
      case 'intersection':
      case 'readonly':
      case 'record':
        return true; // resolve() expanded these
      case 'promise':
        return s.kind === 'promise' && this.assignable(s.value, d.value, depth + 1);
      case 'tuple':
        // An array where a tuple is expected: an array literal's type is the union of its elements
        // (`["a", 1]` is `(string | number)[]`; there is no contextual typing), so each position
        // needs only some element type that fits it. Lenient where it cannot know the order.
        if (s.kind === 'array') return d.elements.every((e) => this.members(s.element).some((m) => this.assignable(m, e, depth + 1)));
        return (
          s.kind === 'tuple' &&
          s.elements.length === d.elements.length &&
          s.elements.every((e, i) => this.assignable(e, d.elements[i]!, depth + 1))
        );
      case 'object': {
        if (s.kind !== 'object') return false;
        for (const [k, f] of Object.entries(d.fields)) {
          const sf = Object.hasOwn(s.fields, k) ? s.fields[k] : undefined;
          if (!sf) {
            if (!f.optional) return false;
            continue;
          }
          if (!this.assignable(sf.type, f.type, depth + 1)) return false;
        }
        if (d.index) {
          // every other field of the source, and its own index, must fit the index
          for (const [k, sf] of Object.entries(s.fields)) {
            if (!Object.hasOwn(d.fields, k) && !this.assignable(sf.type, d.index, depth + 1)) return false;
          }
          if (s.index && !this.assignable(s.index, d.index, depth + 1)) return false;
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
      const sf = Object.hasOwn(s.fields, k) ? s.fields[k] : undefined;
      if (!sf && !f.optional) return `field '${k}' is missing`;
      if (sf && !this.assignable(sf.type, f.type)) return `field '${k}' is ${this.show(sf.type)}, expected ${this.show(f.type)}`;
    }
    if (d.index) {
      for (const [k, sf] of Object.entries(s.fields)) {
        if (!Object.hasOwn(d.fields, k) && !this.assignable(sf.type, d.index)) return `field '${k}' is ${this.show(sf.type)}, expected ${this.show(d.index)}`;
      }
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
        return `${t.readonly ? 'readonly ' : ''}${t.element.kind === 'union' ? `(${e})[]` : `${e}[]`}`;
      }
      case 'tuple':
        return `${t.readonly ? 'readonly ' : ''}[${t.elements.map((e) => this.show(e, depth + 1)).join(', ')}]`;
      case 'object': {
        const fs = Object.entries(t.fields).map(([k, f]) => `${f.readonly ? 'readonly ' : ''}${k}${f.optional ? '?' : ''}: ${this.show(f.type, depth + 1)}`);
        if (t.index) {
          if (fs.length === 0) return `Record<string, ${this.show(t.index, depth + 1)}>`;
          fs.push(`[key: string]: ${this.show(t.index, depth + 1)}`);
        }
        return fs.length === 0 ? '{}' : `{ ${fs.join(', ')} }`;
      }
      case 'union':
        return t.types.map((m) => this.show(m, depth + 1)).join(' | ');
      case 'ref':
        return t.name;
      case 'intersection':
        return t.types.map((m) => (m.kind === 'union' ? `(${this.show(m, depth + 1)})` : this.show(m, depth + 1))).join(' & ');
      case 'readonly':
        return t.type.kind === 'array' || t.type.kind === 'tuple' ? this.show(readonlyOf(t.type), depth) : `Readonly<${this.show(t.type, depth + 1)}>`;
      case 'record':
        return `Record<${this.show(t.key, depth + 1)}, ${this.show(t.value, depth + 1)}>`;
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

/** The type with its array, tuple and fields made readonly (one level, as `Readonly<T>` does). */
export function readonlyOf(t: Type): Type {
  switch (t.kind) {
    case 'array':
    case 'tuple':
      return { ...t, readonly: true };
    case 'object': {
      const fields: Record<string, Field> = {};
      for (const [k, f] of Object.entries(t.fields)) fields[k] = { ...f, readonly: true };
      return { ...t, fields };
    }
    default:
      return t;
  }
}

/** Is this (resolved) type read-only where `write` happens: a readonly array/tuple, or a readonly field? */
export function isReadonly(t: Type): boolean {
  return (t.kind === 'array' || t.kind === 'tuple') && t.readonly === true;
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
      return t.readonly ? { kind: 'array', element: widen(t.element), readonly: true } : arrayOf(widen(t.element));
    case 'tuple':
      // kept: `const [a, b] = await Promise.all([t1(), t2()])` gives each its own type
      return t.readonly ? { kind: 'tuple', elements: t.elements.map(widenField), readonly: true } : { kind: 'tuple', elements: t.elements.map(widenField) };
    case 'object': {
      // `const acc = {}` is filled in later (acc.total = 1): an empty literal says nothing yet
      if (Object.keys(t.fields).length === 0 && !t.index) return ANY;
      const o: Type = {
        kind: 'object',
        fields: Object.fromEntries(Object.entries(t.fields).map(([k, f]) => [k, f.readonly ? { type: widenField(f.type), optional: f.optional, readonly: true } : { type: widenField(f.type), optional: f.optional }])),
      };
      if (t.index) o.index = t.index;
      return o;
    }
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

/** A workflow as a parent sees it: its parameters and result with every alias expanded (the types stand alone). */
export interface WorkflowSignature {
  params: { name: string; type: Type }[];
  ret: Type;
}

/** The workflows a parent may start, by name. */
export type Deployment = ReadonlyMap<string, WorkflowSignature>;
