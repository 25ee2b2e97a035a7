/**
 * Statements: declarations and assignments (CT003, CT007, CT017; in a callback, assigning what is
 * around it is CT052), blocks and their scopes, returns (CT007, CT012), and control flow —
 * unreachable code (CT010), loops that spin (CT011), break and continue outside a loop (CT016).
 * Narrowing follows control flow here: an `if` narrows its branches and, when one branch cannot
 * complete (`if (x === null) return`), the statements after it; loops forget what their bodies
 * assign; an assignment forgets (or re-narrows) its variable.
 */
import { assertNever, type Block, type Expression, type Span, type Statement, type Try, type VarDecl } from '../ast.ts';
import { bind, declaredNames, elementOf, patternNames } from './bindings.ts';
import { definitelyNot, isNumberLike, outerWrite, report, show, type Ctx, type Facts } from './context.ts';
import { arithmetic, expr, identifier, valueOf } from './expressions.ts';
import { assignedNames, hasWayOut, isConstantTrue } from './flow.ts';
import { floating, plainValue, reservedKey } from './handles.ts';
import { constantScalar } from '../constant.ts';
import { assigned, assume, forget, join } from './narrowing.ts';
import { Scope, type Binding } from './scope.ts';
import { ANY, widen, widenConst, type Type } from './types.ts';

/** Checks statements in the current scope; gives whether control can fall off the end. */
export function statements(ctx: Ctx, body: readonly Statement[]): boolean {
  let reachable = true;
  let why = '';
  let warned = false;
  for (const s of body) {
    if (!reachable && !warned) {
      report(ctx, 'CT010', s.span, `unreachable code${why}`, { severity: 'warning', hint: 'remove it, or move it before the statement that leaves' });
      warned = true;
    }
    const completes = statement(ctx, s);
    if (reachable && !completes) {
      reachable = false;
      why =
        s.kind === 'Return' ? ' after return'
        : s.kind === 'Break' ? ' after break'
        : s.kind === 'Continue' ? ' after continue'
        : s.kind === 'Throw' ? ' after throw'
        : ': the statement above never completes';
    }
  }
  return reachable;
}

function block(ctx: Ctx, b: Block): boolean {
  const saved = ctx.scope;
  ctx.scope = new Scope(saved, declaredNames(b.body));
  try {
    return statements(ctx, b.body);
  } finally {
    ctx.scope = saved;
  }
}

/** Gives whether the statement can complete normally (fall through to the next one). */
function statement(ctx: Ctx, s: Statement): boolean {
  switch (s.kind) {
    case 'VarDecl':
      varDecl(ctx, s);
      return true;
    case 'Assign':
      assign(ctx, s.target, s.op, s.value, s.span);
      return true;
    case 'Update':
      update(ctx, s.target, s.op, s.span);
      return true;
    case 'ExprStmt': {
      const t = valueOf(ctx, s.expression);
      if (s.expression.kind !== 'Await') floating(ctx, s.expression, t);
      return true;
    }
    case 'Block':
      return block(ctx, s);
    case 'If': {
      expr(ctx, s.test);
      const before = ctx.flow;
      ctx.flow = assume(ctx, s.test, true, before);
      const a = statement(ctx, s.consequent);
      const afterA = ctx.flow;
      ctx.flow = assume(ctx, s.test, false, before);
      const b = s.alternate ? statement(ctx, s.alternate) : true;
      const afterB = ctx.flow;
      // what holds after the if: what holds at the end of each branch that completes
      ctx.flow = a && b ? join(ctx, afterA, afterB) : a ? afterA : b ? afterB : before;
      return a || b;
    }
    case 'While': {
      forgetAssigned(ctx, s);
      expr(ctx, s.test);
      const entry = ctx.flow;
      ctx.flow = assume(ctx, s.test, true);
      const r = loop(ctx, s, isConstantTrue(s.test), () => statement(ctx, s.body));
      ctx.flow = entry;
      return r;
    }
    case 'For': {
      const saved = ctx.scope;
      ctx.scope = new Scope(saved, s.init?.kind === 'VarDecl' ? patternNames(s.init.target) : []);
      try {
        if (s.init) statement(ctx, s.init);
        forgetAssigned(ctx, s);
        if (s.test) expr(ctx, s.test);
        const entry = ctx.flow;
        if (s.test) ctx.flow = assume(ctx, s.test, true);
        const r = loop(ctx, s, !s.test || isConstantTrue(s.test), () => {
          statement(ctx, s.body);
          if (s.update) statement(ctx, s.update);
        });
        ctx.flow = entry;
        return r;
      } finally {
        ctx.scope = saved;
      }
    }
    case 'ForOf': {
      forgetAssigned(ctx, s);
      const it = expr(ctx, s.iterable);
      const saved = ctx.scope;
      const entry = ctx.flow;
      ctx.scope = new Scope(saved);
      try {
        bind(ctx, s.target, elementOf(ctx, it, s.iterable.span), s.declKind);
        return loop(ctx, s, false, () => statement(ctx, s.body));
      } finally {
        ctx.scope = saved;
        ctx.flow = entry;
      }
    }
    case 'Break':
    case 'Continue': {
      const loop = ctx.loops[ctx.loops.length - 1];
      if (!loop) {
        report(ctx, 'CT016', s.span, `${s.kind === 'Break' ? 'break' : 'continue'} outside a loop`, {
          hint: 'break and continue only work inside while, for and for…of; use return to leave the workflow',
        });
        return true;
      }
      if (s.kind === 'Break') loop.broke = true;
      return false;
    }
    case 'Return':
      returnStmt(ctx, s.argument, s.span);
      return false;
    case 'Throw':
      expr(ctx, s.argument);
      return false;
    case 'Try': {
      // anything in the try block may throw part-way: the catch and what follows know only what
      // held before it, less what the statement assigns
      forgetAssigned(ctx, s);
      const before = ctx.flow;
      const r = tryStmt(ctx, s);
      ctx.flow = before;
      return r;
    }
    default:
      return assertNever(s, 'statement');
  }
}

/** Narrowing forgets the variables a loop or try assigns (they may change on any iteration or throw). */
function forgetAssigned(ctx: Ctx, s: Statement): void {
  if (ctx.flow.size === 0) return;
  let flow: Facts = ctx.flow;
  for (const name of assignedNames(s)) flow = forget(ctx, name, flow);
  ctx.flow = flow;
}

/**
 * A loop body. `endless` loops (constant-true or missing test) complete only through `break`;
 * one whose body cannot await, break or return spins forever (CT011).
 */
function loop(ctx: Ctx, s: Statement & { kind: 'While' | 'For' | 'ForOf' }, endless: boolean, body: () => void): boolean {
  const frame = { broke: false };
  ctx.loops.push(frame);
  try {
    body();
  } finally {
    ctx.loops.pop();
  }
  if (endless && !hasWayOut(s.body, 0)) {
    report(ctx, 'CT011', s.span, 'this loop can spin forever: its body has no await, break or return', {
      severity: 'warning',
      hint: 'add a condition, a break, or an await (e.g. await sleep("1s")) inside the loop',
    });
  }
  return !endless || frame.broke;
}

/**
 * `try`: completes when the try block or the catch block does (anything in the try block may
 * throw, so the catch is always reachable) and, with a finally, when that does too. The catch
 * binding is `any`, in a scope of its own around the catch block.
 */
function tryStmt(ctx: Ctx, s: Try): boolean {
  const before = ctx.flow;
  const tried = block(ctx, s.block);
  let caught = false;
  if (s.handler) {
    ctx.flow = before;
    const saved = ctx.scope;
    ctx.scope = new Scope(saved);
    try {
      if (s.param) bind(ctx, s.param, ANY, 'let');
      caught = block(ctx, s.handler);
    } finally {
      ctx.scope = saved;
    }
  }
  const completes = tried || caught;
  ctx.flow = before;
  return s.finalizer ? block(ctx, s.finalizer) && completes : completes;
}

function varDecl(ctx: Ctx, s: VarDecl): void {
  const declared = s.type ? ctx.env.fromNode(s.type) : undefined;
  let t: Type = ANY;
  let init: Type | undefined;
  if (s.init) {
    init = valueOf(ctx, s.init);
    if (declared) expectAssignable(ctx, init, declared, s.init.span, 'cannot assign');
    t = declared ?? bindingType(init, s.declKind);
  } else if (declared) {
    t = declared;
  }
  bind(ctx, s.target, t, s.declKind);
  // `let v: string | number = 1` holds a number until assigned again
  if (declared && init && s.target.kind === 'IdentifierPattern') assigned(ctx, s.target.name, init);
}

/**
 * The type an unannotated variable gets, as in TypeScript: a `const` keeps a literal type or a
 * union of them (`const b = ok ? "yes" : "no"`); otherwise literals from literal expressions widen
 * (`let n = 0` is a number); `null` and `void` become `any`.
 */
function bindingType(t: Type, kind: 'const' | 'let'): Type {
  return kind === 'const' ? widenConst(t) : widen(t);
}

/** The root variable of an assignment target, after checking the target's shape (CT017). */
function lvalue(ctx: Ctx, target: Expression): Binding | undefined {
  let e = target;
  while (e.kind === 'Member' || e.kind === 'Index') {
    if (e.optional) {
      report(ctx, 'CT017', e.span, 'cannot assign through ?.', { hint: 'check for null first, then assign with .' });
      return undefined;
    }
    e = e.object;
  }
  if (e.kind !== 'Identifier') {
    report(ctx, 'CT017', target.span, 'invalid assignment target', { hint: 'assign to a variable, a property (o.p) or an element (xs[i])' });
    return undefined;
  }
  const found = ctx.scope.lookup(e.name);
  if (found.state === 'declared') return found.binding;
  identifier(ctx, e.name, e.span);
  return undefined;
}

function assign(ctx: Ctx, target: Expression, op: '=' | '+=' | '-=' | '*=' | '/=', value: Expression, span: Span): void {
  if (target.kind === 'Member') reservedKey(ctx, target.property, target.span);
  if (target.kind === 'Index' && typeof constantScalar(target.index) === 'string') reservedKey(ctx, constantScalar(target.index) as string, target.span);
  const root = lvalue(ctx, target);
  const toConst = root !== undefined && target.kind === 'Identifier' && root.kind === 'const';
  if (toConst) {
    report(ctx, 'CT003', span, `cannot assign to '${root.name}': it is a const`, { hint: `declare it with let ${root.name} = … if it must change` });
    valueOf(ctx, value); // its own errors; its type does not matter any more
    return;
  } else if (root) outerWrite(ctx, target, span, 'assigning');
  // `=` stores into the declared type, a compound assignment reads the (narrowed) value
  if (root && op === '=' && target.kind !== 'Identifier') ctx.flow = forget(ctx, root.name);
  const tt = root ? (target.kind === 'Identifier' && op === '=' ? root.type : expr(ctx, target)) : ANY;
  if (target.kind !== 'Identifier' && !root) subExpressions(ctx, target);
  const vt = valueOf(ctx, value);
  if (root) {
    if (target.kind === 'Identifier') assigned(ctx, root.name, op === '=' ? vt : ANY);
    else ctx.flow = forget(ctx, root.name);
  }
  if (op === '=') {
    expectAssignable(ctx, vt, tt, value.span, 'cannot assign');
    return;
  }
  const arith = op.slice(0, 1) as '+' | '-' | '*' | '/';
  const result = arithmetic(ctx, arith, tt, vt, target, value);
  if (!ctx.env.isAny(result)) expectAssignable(ctx, result, target.kind === 'Identifier' && root ? root.type : tt, value.span, 'cannot assign');
}

/** Checks the parts of an invalid target for other errors (undeclared names and so on). */
function subExpressions(ctx: Ctx, e: Expression): void {
  if (e.kind === 'Member') subExpressions(ctx, e.object);
  else if (e.kind === 'Index') {
    subExpressions(ctx, e.object);
    expr(ctx, e.index);
  }
}

function update(ctx: Ctx, target: Expression, op: '++' | '--', span: Span): void {
  const root = lvalue(ctx, target);
  if (!root) return;
  if (target.kind === 'Identifier' && root.kind === 'const') {
    report(ctx, 'CT003', span, `cannot ${op === '++' ? 'increment' : 'decrement'} '${root.name}': it is a const`, {
      hint: `declare it with let ${root.name} = … if it must change`,
    });
  } else outerWrite(ctx, target, span, op === '++' ? 'incrementing' : 'decrementing');
  const t = target.kind === 'Identifier' ? root.type : expr(ctx, target);
  ctx.flow = forget(ctx, root.name);
  if (definitelyNot(ctx, t, isNumberLike)) report(ctx, 'CT007', target.span, `${op} needs a number, got ${show(ctx, t)}`);
}

function returnStmt(ctx: Ctx, arg: Expression | undefined, span: Span): void {
  const declared = ctx.returnType;
  const owner = ctx.fn ? ctx.fn.name : 'the workflow';
  if (!arg) {
    ctx.fn?.returns.push({ kind: 'null' });
    if (declared && needsValue(ctx, declared)) {
      report(ctx, 'CT012', span, `return without a value in ${ctx.fn ? ctx.fn.name : 'a workflow'} that returns ${show(ctx, declared)}`, { hint: 'return a value' });
    }
    return;
  }
  const t = valueOf(ctx, arg);
  ctx.fn?.returns.push(t);
  if (!ctx.fn && !plainValue(ctx, t, arg.span, 'the result of the workflow')) return;
  if (!declared) return;
  const d = ctx.env.resolve(declared);
  if (d.kind === 'void') {
    if (!ctx.env.isAny(t) && ctx.env.resolve(t).kind !== 'void' && ctx.env.resolve(t).kind !== 'null') {
      report(ctx, 'CT007', arg.span, `${owner} is declared void but returns ${show(ctx, t)}`, { hint: 'remove the value or declare a return type' });
    }
    return;
  }
  expectAssignable(ctx, t, declared, arg.span, 'cannot return');
}

function expectAssignable(ctx: Ctx, src: Type, dst: Type, span: Span, what: string): void {
  if (ctx.env.assignable(src, dst)) return;
  const why = ctx.env.whyNot(src, dst);
  report(ctx, 'CT007', span, `${what} ${show(ctx, src)} to ${show(ctx, dst)}${why ? `: ${why}` : ''}`);
}

/** Does a declared return type require `return <value>`? (`void` and `any` do not.) */
export function needsValue(ctx: Ctx, t: Type): boolean {
  return !ctx.env.members(t).some((m) => m.kind === 'void' || m.kind === 'any');
}
