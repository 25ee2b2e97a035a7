/**
 * Control-flow facts read off the syntax alone (no scopes, no types, no diagnostics): constant-true
 * loop tests, whether a loop body can await, break out or return, and which variables a statement
 * assigns (narrowing forgets those on entering a loop).
 */
import { assertNever, type AssignTarget, type Expression, type Statement } from '../ast.ts';
import { constantScalar } from '../constant.ts';

/** `while (true)`, `while (1)`: a test that is a truthy literal. */
export function isConstantTrue(e: Expression): boolean {
  const v = constantScalar(e);
  return v !== undefined && v !== null && Boolean(v);
}

/**
 * Can this loop body leave or yield: an await anywhere, a return, or a break of this loop? `depth`
 * counts the loops and switches between the body and a `break` (a plain `break` at depth 0 leaves
 * the loop); `own` are the loop's own labels and `inner` the labels declared inside the body: a
 * `break L` to any label but an inner one leaves the loop, a `continue L` only to an outer loop's.
 * An `Invalid` statement (a partial program) may be anything, so it counts as a way out: no warning
 * about code that did not parse.
 */
export function hasWayOut(s: Statement, depth: number, inner: ReadonlySet<string> = new Set(), own: ReadonlySet<string> = new Set()): boolean {
  const out = (x: Statement, d = depth) => hasWayOut(x, d, inner, own);
  switch (s.kind) {
    case 'VarDecl':
      return s.init !== undefined && hasAwait(s.init);
    case 'Assign':
      return hasAwait(s.value) || (s.target.kind !== 'ArrayAssignPattern' && s.target.kind !== 'ObjectAssignPattern' && hasAwait(s.target));
    case 'Update':
      return false;
    case 'ExprStmt':
      return hasAwait(s.expression);
    case 'Block':
      return s.body.some((x) => out(x));
    case 'If':
      return hasAwait(s.test) || out(s.consequent) || (s.alternate !== undefined && out(s.alternate));
    case 'While':
      return hasAwait(s.test) || out(s.body, depth + 1);
    case 'For':
      return (
        (s.init !== undefined && out(s.init, depth + 1)) ||
        (s.test !== undefined && hasAwait(s.test)) ||
        (s.update !== undefined && out(s.update, depth + 1)) ||
        out(s.body, depth + 1)
      );
    case 'ForOf':
      return hasAwait(s.iterable) || out(s.body, depth + 1);
    case 'Switch':
      return hasAwait(s.discriminant) || s.cases.some((c) => (c.test !== undefined && hasAwait(c.test)) || c.consequent.some((x) => out(x, depth + 1)));
    case 'Labeled':
      return hasWayOut(s.body, depth, new Set([...inner, s.label]), own);
    case 'Break':
      return s.label !== undefined ? !inner.has(s.label) : depth === 0;
    case 'Continue':
      // `continue outer` (a loop around this one) leaves this loop
      return s.label !== undefined && !inner.has(s.label) && !own.has(s.label);
    case 'Return':
    case 'Throw':
    case 'Invalid':
      return true;
    case 'Try':
      return out(s.block) || (s.handler !== undefined && out(s.handler)) || (s.finalizer !== undefined && out(s.finalizer));
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
    case 'As':
    case 'Satisfies':
    case 'NonNull':
      return hasAwait(e.expression);
    case 'Invalid':
      return false;
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
  const target = (e: AssignTarget) => {
    if (e.kind === 'ArrayAssignPattern') {
      for (const x of e.elements) if (x) target(x);
      if (e.rest) target(e.rest);
      return;
    }
    if (e.kind === 'ObjectAssignPattern') {
      for (const p of e.properties) target(p.value);
      if (e.rest) target(e.rest);
      return;
    }
    while (e.kind === 'Member' || e.kind === 'Index' || e.kind === 'NonNull' || e.kind === 'As' || e.kind === 'Satisfies') e = e.kind === 'Member' || e.kind === 'Index' ? e.object : e.expression;
    if (e.kind === 'Identifier') out.add(e.name);
  };
  switch (s.kind) {
    case 'Assign':
    case 'Update':
      target(s.target);
      break;
    case 'Switch':
      for (const c of s.cases) for (const x of c.consequent) assignedNames(x, out);
      break;
    case 'Labeled':
      assignedNames(s.body, out);
      break;
    case 'Invalid':
      // what did not parse may assign anything; the checker's results on a partial program are best effort
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
