/**
 * What declared names get: binding a pattern (plain or destructuring) in the current scope (CT004,
 * CT007), the element type a `for…of` binds, and the names a statement list declares.
 */
import { assertNever, type Pattern, type Span, type Statement } from '../ast.ts';
import { isStringLike, report, show, type Ctx } from './context.ts';
import { ANY, NULL, STRING, arrayOf, union, widen, type Type } from './types.ts';

export function bind(ctx: Ctx, p: Pattern, t: Type, kind: 'const' | 'let'): void {
  switch (p.kind) {
    case 'IdentifierPattern': {
      const prev = ctx.scope.own(p.name);
      if (prev) {
        report(ctx, 'CT004', p.span, `'${p.name}' is already declared in this scope (line ${prev.span.line})`, {
          hint: `rename it, or assign to the existing variable with ${p.name} = …`,
        });
        return;
      }
      ctx.scope.declare({ name: p.name, kind, type: t, span: p.span });
      ctx.types?.set(p.id, t);
      return;
    }
    case 'ArrayPattern': {
      const { arrays, isAny } = arrayMembers(ctx, t, p.span);
      p.elements.forEach((el, i) => {
        if (el) bind(ctx, el, elementAt(arrays, isAny, i), kind);
      });
      if (p.rest) bind(ctx, p.rest, restAfter(arrays, isAny, p.elements.length), kind);
      return;
    }
    case 'ObjectPattern': {
      const r = ctx.env.nonNull(t);
      const ms = ctx.env.members(r);
      const isAny = ms.some((m) => m.kind === 'any');
      // Lenient on purpose: a key the value lacks reads as null (the corpus pins
      // `const { c } = { d: 1 }` as valid), so destructuring never reports CT008.
      for (const prop of p.properties) {
        const ft = isAny ? ANY : fieldOrNull(ctx, t, prop.key);
        bind(ctx, prop.value, widenIfLiteral(ft), kind);
      }
      if (p.rest) bind(ctx, p.rest, objectRest(ctx, t, p.properties.map((x) => x.key)), kind);
      return;
    }
    default:
      return assertNever(p, 'pattern');
  }
}

/** `t.key` for destructuring: the field's type where known (or the index type), null where absent, else any. */
export function fieldOrNull(ctx: Ctx, t: Type, key: string): Type {
  const parts: Type[] = [];
  for (const m of ctx.env.members(t)) {
    if (m.kind === 'object') {
      const f = Object.hasOwn(m.fields, key) ? m.fields[key] : undefined;
      parts.push(f ? (f.optional ? union([f.type, NULL]) : f.type) : m.index ? union([m.index, NULL]) : NULL);
    } else if (m.kind !== 'null' && m.kind !== 'void') return ANY;
  }
  return parts.length ? union(parts) : ANY;
}

/** The arrays among `t`'s members for `[a, b] = t` (CT007 when there is none), and whether `t` is any. */
export function arrayMembers(ctx: Ctx, t: Type, span: Span): { arrays: Type[]; isAny: boolean } {
  const r = ctx.env.nonNull(t);
  const ms = ctx.env.members(r);
  const isAny = ms.some((m) => m.kind === 'any');
  const arrays = ms.filter((m) => m.kind === 'array' || m.kind === 'tuple');
  if (!isAny && arrays.length === 0 && r.kind !== 'null') report(ctx, 'CT007', span, `cannot destructure ${show(ctx, t)} as an array`);
  return { arrays, isAny };
}

/** The type of element `i` of `[…] = t`. */
export function elementAt(arrays: Type[], isAny: boolean, i: number): Type {
  const parts = arrays.map((a) => (a.kind === 'tuple' ? (a.elements[i] ?? NULL) : a.kind === 'array' ? a.element : ANY));
  return isAny || parts.length === 0 ? ANY : union(parts);
}

/** The type of `...rest` after `n` elements of `[…] = t`. */
export function restAfter(arrays: Type[], isAny: boolean, n: number): Type {
  const parts = arrays.map((a) => (a.kind === 'tuple' ? arrayOf(union(a.elements.slice(n).concat(a.elements.length > n ? [] : [ANY]))) : a));
  return isAny || parts.length === 0 ? arrayOf(ANY) : union(parts);
}

/** The type of `...rest` after taking `keys` from an object `t`. */
export function objectRest(ctx: Ctx, t: Type, keys: string[]): Type {
  const ms = ctx.env.members(ctx.env.nonNull(t));
  const objs = ms.filter((m) => m.kind === 'object');
  if (ms.some((m) => m.kind === 'any') || objs.length !== 1) return ANY;
  const taken = new Set(keys);
  const o = objs[0] as { kind: 'object'; fields: Record<string, { type: Type; optional: boolean }>; index?: Type };
  const rest: Type = { kind: 'object', fields: Object.fromEntries(Object.entries(o.fields).filter(([k]) => !taken.has(k))) };
  if (o.index) rest.index = o.index;
  return rest;
}

/** Element type of a `for…of` iterable (arrays, and strings by character). */
export function elementOf(ctx: Ctx, t: Type, span: Span): Type {
  const ms = ctx.env.members(ctx.env.nonNull(t));
  if (ms.some((m) => m.kind === 'any')) return ANY;
  const parts: Type[] = [];
  for (const m of ms) {
    if (m.kind === 'array') parts.push(m.element);
    else if (m.kind === 'tuple') parts.push(...m.elements);
    else if (m.kind === 'null') continue;
    else if (isStringLike(m)) parts.push(STRING);
    else {
      report(ctx, 'CT007', span, `for…of needs an array or a string, got ${show(ctx, t)}`, { hint: 'use Object.keys(o) or Object.entries(o) to loop over an object' });
      return ANY;
    }
  }
  return parts.length ? union(parts) : ANY;
}

function widenIfLiteral(t: Type): Type {
  return t.kind === 'literal' ? widen(t) : t;
}

/** Names a statement list declares directly (not in nested blocks); a broken declaration's too. */
export function declaredNames(body: readonly Statement[]): string[] {
  return body.flatMap((s) => (s.kind === 'VarDecl' ? patternNames(s.target) : s.kind === 'Invalid' ? (s.declares ?? []) : []));
}

export function patternNames(p: Pattern): string[] {
  switch (p.kind) {
    case 'IdentifierPattern':
      return [p.name];
    case 'ArrayPattern':
      return [...p.elements.flatMap((e) => (e ? patternNames(e) : [])), ...(p.rest ? [p.rest.name] : [])];
    case 'ObjectPattern':
      return [...p.properties.flatMap((x) => patternNames(x.value)), ...(p.rest ? [p.rest.name] : [])];
    default:
      return assertNever(p, 'pattern');
  }
}
