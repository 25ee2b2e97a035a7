/**
 * Control-flow facts read off the syntax alone (no scopes, no types, no diagnostics): constant-true
 * loop tests, whether a loop body can await, break out or return, and which variables a statement
 * assigns (narrowing forgets those on entering a loop).
 */
import { assertNever, type Expression, type Statement } from '../ast.ts';
import { constantScalar } from '../constant.ts';

/** `while (true)`, `while (1)`: a test that is a truthy literal. */
export function isConstantTrue(e: Expression): boolean {
  const v = constantScalar(e);
  return v !== undefined && v !== null && Boolean(v);
}

/** Can this loop body leave or yield: an await anywhere, a return, or a break of this loop? */
export function hasWayOut(s: Statement, depth: number): boolean {
  switch (s.kind) {
    case 'VarDecl':
      return s.init !== undefined && hasAwait(s.init);
    case 'Assign':
      return hasAwait(s.value) || hasAwait(s.target);
    case 'Update':
      return false;
    case 'ExprStmt':
      return hasAwait(s.expression);
    case 'Block':
      return s.body.some((x) => hasWayOut(x, depth));
    case 'If':
      return hasAwait(s.test) || hasWayOut(s.consequent, depth) || (s.alternate !== undefined && hasWayOut(s.alternate, depth));
    case 'While':
      return hasAwait(s.test) || hasWayOut(s.body, depth + 1);
    case 'For':
      return (
        (s.init !== undefined && hasWayOut(s.init, depth + 1)) ||
        (s.test !== undefined && hasAwait(s.test)) ||
        (s.update !== undefined && hasWayOut(s.update, depth + 1)) ||
        hasWayOut(s.body, depth + 1)
      );
    case 'ForOf':
      return hasAwait(s.iterable) || hasWayOut(s.body, depth + 1);
    case 'Break':
      return depth === 0;
    case 'Continue':
      return false;
    case 'Return':
    case 'Throw':
      return true;
    case 'Try':
      return hasWayOut(s.block, depth) || (s.handler !== undefined && hasWayOut(s.handler, depth)) || (s.finalizer !== undefined && hasWayOut(s.finalizer, depth));
    default:
      return assertNever(s, 'statement');
  }
}

function hasAwait(e: Expression): boolean {
  switch (e.kind) {
    case 'Await':
      return true;
    case 'NumberLiteral':
    case 'StringLiteral':
    case 'BooleanLiteral':
    case 'NullLiteral':
    case 'Identifier':
      return false;
    case 'TemplateLiteral':
      return e.expressions.some(hasAwait);
    case 'ArrayLiteral':
      return e.elements.some((x) => hasAwait(x.kind === 'Spread' ? x.argument : x));
    case 'ObjectLiteral':
      return e.properties.some((x) => hasAwait(x.kind === 'Spread' ? x.argument : x.value));
    case 'Member':
      return hasAwait(e.object);
    case 'Index':
      return hasAwait(e.object) || hasAwait(e.index);
    case 'Call':
      return hasAwait(e.callee) || e.args.some(hasAwait);
    case 'Unary':
      return hasAwait(e.argument);
    case 'Binary':
    case 'Logical':
      return hasAwait(e.left) || hasAwait(e.right);
    case 'Conditional':
      return hasAwait(e.test) || hasAwait(e.consequent) || hasAwait(e.alternate);
    case 'ArrowFunction':
      return false; // a callback never awaits (CT051), and runs where it stands
    default:
      return assertNever(e, 'expression');
  }
}

/**
 * The variables `s` may assign (the root name of every assignment and `++`/`--` target), outside
 * arrow functions (which cannot assign what is around them).
 */
export function assignedNames(s: Statement, out = new Set<string>()): Set<string> {
  const target = (e: Expression) => {
    while (e.kind === 'Member' || e.kind === 'Index') e = e.object;
    if (e.kind === 'Identifier') out.add(e.name);
  };
  switch (s.kind) {
    case 'Assign':
    case 'Update':
      target(s.target);
      break;
    case 'Block':
      for (const x of s.body) assignedNames(x, out);
      break;
    case 'If':
      assignedNames(s.consequent, out);
      if (s.alternate) assignedNames(s.alternate, out);
      break;
    case 'While':
    case 'ForOf':
      assignedNames(s.body, out);
      break;
    case 'For':
      if (s.init) assignedNames(s.init, out);
      if (s.update) assignedNames(s.update, out);
      assignedNames(s.body, out);
      break;
    case 'Try':
      assignedNames(s.block, out);
      if (s.handler) assignedNames(s.handler, out);
      if (s.finalizer) assignedNames(s.finalizer, out);
      break;
    case 'VarDecl':
    case 'ExprStmt':
    case 'Break':
    case 'Continue':
    case 'Return':
    case 'Throw':
      break;
    default:
      assertNever(s, 'statement');
  }
  return out;
}
