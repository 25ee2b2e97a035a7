/**
 * Constant folding of literal expressions, shared by the checker (policies, `while (true)`,
 * signal names) and the interpreter (task declaration policies).
 *
 *   constantScalar(parseExpr('-3'))                      // => -3
 *   constantValue(parseExpr('{ retries: 3, timeout: "30s" }')) // => { retries: 3, timeout: '30s' }
 *   constantValue(parseExpr('["A", "B"]'))              // => ['A', 'B']
 *   constantValue(parseExpr('x + 1'))                    // => undefined (not a constant)
 */
import type { Expression } from './ast.ts';
import type { Value } from './interpreter/types.ts';

/** A literal scalar: numbers (also `-3`), strings, templates without `${}`, booleans, null; else undefined. */
export function constantScalar(e: Expression): string | number | boolean | null | undefined {
  switch (e.kind) {
    case 'NumberLiteral':
    case 'StringLiteral':
    case 'BooleanLiteral':
      return e.value;
    case 'NullLiteral':
      return null;
    case 'TemplateLiteral':
      return e.expressions.length === 0 ? e.quasis[0] : undefined;
    case 'Unary':
      return e.op === '-' && e.argument.kind === 'NumberLiteral' ? -e.argument.value : undefined;
    default:
      return undefined;
  }
}

/** A constant scalar, or an array or object literal of constants (no spread); else undefined. */
export function constantValue(e: Expression): Value | undefined {
  if (e.kind === 'ArrayLiteral') {
    const a: Value[] = [];
    for (const el of e.elements) {
      if (el.kind === 'Spread') return undefined;
      const v = constantValue(el);
      if (v === undefined) return undefined;
      a.push(v);
    }
    return a;
  }
  if (e.kind !== 'ObjectLiteral') return constantScalar(e);
  const o: { [key: string]: Value } = {};
  for (const p of e.properties) {
    if (p.kind !== 'Property') return undefined;
    const v = constantValue(p.value);
    if (v === undefined) return undefined;
    o[p.key] = v;
  }
  return o;
}
