/**
 * Property access and indexing: `a.b`, `a?.b`, `a[i]` on strings, arrays, tuples and objects (an
 * object's index type, `Record<string, V>`, for keys that are not fields) (CT007, CT008), namespaces
 * used as values (`Math.nope`), and the targets of assignments (`writeTarget`: a readonly field or
 * array is not writable).
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
export function propertyType(ctx: Ctx, t: Type, name: string, span: Span): Type {
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
      else if (m.index) ft = m.index;
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
  return indexType(ctx, e, ctx.expr(e.object), ctx.expr(e.index));
}

/** `t[it]` for the index expression `e` whose object and index types are known. */
function indexType(ctx: Ctx, e: Index, t: Type, it: Type): Type {
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
          parts.push(f ? (f.optional ? union([f.type, NULL]) : f.type) : (m.index ?? NULL));
        } else parts.push(m.index ?? ANY);
      } else {
        report(ctx, 'CT007', e.object.span, `cannot index ${show(ctx, t)}`, { hint: 'only arrays, strings and objects can be indexed' });
        return ANY;
      }
    }
    result = union(parts);
  }
  return e.optional ? union([result, NULL]) : result;
}

/**
 * The type of an assignment target `o.p` or `xs[i]` (its object and index checked once), and why a
 * write there is not allowed, if it is not: a `readonly` field, a readonly array or tuple.
 */
export function writeTarget(ctx: Ctx, e: Member | Index): { type: Type; readonly?: string } {
  const ot = ctx.expr(e.object);
  const ms = ctx.env.members(ot);
  if (e.kind === 'Member') {
    const type = propertyType(ctx, ot, e.property, propertySpan(ctx, e));
    const ro = ms.some((m) => m.kind === 'object' && Object.hasOwn(m.fields, e.property) && m.fields[e.property]!.readonly);
    return ro ? { type, readonly: `'${e.property}' is a readonly field of ${shortShow(ctx, ot)}` } : { type };
  }
  const it = ctx.expr(e.index);
  const type = indexType(ctx, e, ot, it);
  const ri = ctx.env.resolve(it);
  const key = ri.kind === 'literal' && typeof ri.value === 'string' ? ri.value : undefined;
  for (const m of ms) {
    if ((m.kind === 'array' || m.kind === 'tuple') && m.readonly) return { type, readonly: `${shortShow(ctx, ot)} is readonly` };
    if (m.kind === 'object' && key !== undefined && Object.hasOwn(m.fields, key) && m.fields[key]!.readonly) {
      return { type, readonly: `'${key}' is a readonly field of ${shortShow(ctx, ot)}` };
    }
  }
  return { type };
}
