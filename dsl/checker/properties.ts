/**
 * Property access and indexing: `a.b`, `a?.b`, `a[i]` on strings, arrays, tuples and objects (CT007,
 * CT008), and namespaces used as values (`Math.nope`).
 */
import type { Index, Member, Span } from '../ast.ts';
import { isNamespace, methodOf, propertyOf, BUILTINS, NAMESPACES } from './builtins.ts';
import { definitelyNot, isNumberLike, propertySpan, report, shortShow, show, type Ctx } from './context.ts';
import { ANY, NULL, STRING, didYouMean, union, type Type } from './types.ts';

export function member(ctx: Ctx, m: Member): Type {
  if (m.object.kind === 'Identifier' && isNamespace(m.object.name) && ctx.scope.lookup(m.object.name).state === 'missing') {
    const table = NAMESPACES[m.object.name]!;
    const near = didYouMean(m.property, Object.keys(table));
    report(ctx, 'CT008', propertySpan(ctx, m), `${m.object.name} has no property '${m.property}'${near ? ` (did you mean '${near}'?)` : ''}`, {
      hint: `${m.object.name} only has functions: ${Object.keys(table).join(', ')}`,
    });
    return ANY;
  }
  const t = ctx.expr(m.object);
  const r = propertyType(ctx, t, m.property, propertySpan(ctx, m));
  return m.optional ? union([r, NULL]) : r;
}

/**
 * The type of `t.name`. Generous on unions: fine when some member has it (missing on the others
 * reads as null). Reports CT008 only when the type is fully known and nothing has the property.
 */
function propertyType(ctx: Ctx, t: Type, name: string, span: Span): Type {
  const ms = ctx.env.members(t).filter((m) => m.kind !== 'null' && m.kind !== 'void');
  if (ms.length === 0 || ms.some((m) => m.kind === 'any')) return ANY;
  if (ms.every((m) => m.kind === 'promise')) {
    report(ctx, 'CT031', span, `a handle has no property '${name}': await it first`, { hint: `const v = await h; then v.${name}` });
    return ANY;
  }
  const found: Type[] = [];
  let missing = false;
  const candidates = new Set<string>();
  let isMethod = false;
  for (const m of ms) {
    let ft: Type | undefined;
    if (m.kind === 'string' || (m.kind === 'literal' && typeof m.value === 'string')) {
      ft = propertyOf('string', name);
      Object.keys(BUILTINS.string).forEach((k) => candidates.add(k));
      candidates.add('length');
      if (!ft && methodOf('string', name)) isMethod = true;
    } else if (m.kind === 'array' || m.kind === 'tuple') {
      ft = propertyOf('array', name);
      Object.keys(BUILTINS.array).forEach((k) => candidates.add(k));
      candidates.add('length');
      if (!ft && methodOf('array', name)) isMethod = true;
    } else if (m.kind === 'object') {
      const f = Object.hasOwn(m.fields, name) ? m.fields[name] : undefined;
      Object.keys(m.fields).forEach((k) => candidates.add(k));
      if (f) ft = f.optional ? union([f.type, NULL]) : f.type;
    }
    if (ft) found.push(ft);
    else missing = true;
  }
  if (found.length > 0) return missing ? union([...found, NULL]) : union(found);
  if (isMethod) {
    report(ctx, 'CT008', span, `'${name}' is a method of ${shortShow(ctx, t)}, not a property`, { hint: `call it: .${name}(…)` });
  } else {
    const near = didYouMean(name, candidates);
    report(ctx, 'CT008', span, `unknown property '${name}' of ${shortShow(ctx, t)}${near ? ` (did you mean '${near}'?)` : ''}`);
  }
  return ANY;
}

export function index(ctx: Ctx, e: Index): Type {
  const t = ctx.expr(e.object);
  const it = ctx.expr(e.index);
  const ms = ctx.env.members(t).filter((m) => m.kind !== 'null' && m.kind !== 'void');
  let result: Type = ANY;
  if (ms.length > 0 && !ms.some((m) => m.kind === 'any')) {
    const parts: Type[] = [];
    for (const m of ms) {
      if (m.kind === 'array' || m.kind === 'tuple' || m.kind === 'string' || (m.kind === 'literal' && typeof m.value === 'string')) {
        if (definitelyNot(ctx, it, isNumberLike)) {
          report(ctx, 'CT007', e.index.span, `an index into ${show(ctx, m)} must be a number, got ${show(ctx, it)}`);
          return ANY;
        }
        const ri = ctx.env.resolve(it);
        if (m.kind === 'array') parts.push(m.element);
        else if (m.kind === 'tuple') parts.push(ri.kind === 'literal' && typeof ri.value === 'number' ? (m.elements[ri.value] ?? NULL) : union(m.elements.length ? m.elements : [ANY]));
        else parts.push(STRING);
      } else if (m.kind === 'object') {
        const ri = ctx.env.resolve(it);
        if (ri.kind === 'literal' && typeof ri.value === 'string') {
          const f = Object.hasOwn(m.fields, ri.value) ? m.fields[ri.value] : undefined;
          parts.push(f ? (f.optional ? union([f.type, NULL]) : f.type) : NULL);
        } else parts.push(ANY);
      } else {
        report(ctx, 'CT007', e.object.span, `cannot index ${show(ctx, t)}`, { hint: 'only arrays, strings and objects can be indexed' });
        return ANY;
      }
    }
    result = union(parts);
  }
  return e.optional ? union([result, NULL]) : result;
}
