/**
 * Statements: declarations and assignments (CT003, CT007, CT017; readonly targets: CT042;
 * destructuring assignments; in a callback, assigning what is around it is CT052), blocks and their
 * scopes, returns (CT007, CT012), and control flow — unreachable code (CT010), loops that spin
 * (CT011), `switch`, labels, and break and continue outside a loop or switch (CT016) or to a label
 * that is not there (CT044). Narrowing follows control flow here: an `if` narrows its branches and,
 * when one branch cannot complete (`if (x === null) return`), the statements after it; loops,
 * switches and labeled blocks forget what they assign; an assignment forgets (or re-narrows) its
 * variable.
 */
import {
  assertNever,
  type Assign,
  type AssignTarget,
  type Block,
  type Expression,
  type Span,
  type Statement,
  type Switch,
  type Try,
  type VarDecl,
} from '../ast.ts';
import { arrayMembers, bind, declaredNames, elementAt, elementOf, fieldOrNull, objectRest, patternNames, restAfter } from './bindings.ts';
import { definitelyNot, isNumberLike, outerWrite, report, show, type Breakable, type Ctx, type Facts } from './context.ts';
import { arithmetic, expr, identifier, overlaps, valueOf } from './expressions.ts';
import { assignedNames, hasWayOut, isConstantTrue } from './flow.ts';
import { floating, plainValue, reservedKey } from './handles.ts';
import { constantScalar } from '../constant.ts';
import { assigned, assume, forget, join } from './narrowing.ts';
import { writeTarget } from './properties.ts';
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

/**
 * Gives whether the statement can complete normally (fall through to the next one). `labels` are
 * the labels written right before it (`a: b: while …`).
 */
function statement(ctx: Ctx, s: Statement, labels: string[] = []): boolean {
  if (labels.length > 0 && s.kind !== 'While' && s.kind !== 'For' && s.kind !== 'ForOf' && s.kind !== 'Switch' && s.kind !== 'Labeled') {
    // `label: { … break label … }`: a break to the label goes on after the statement
    const frame: Breakable = { broke: false, kind: 'label', labels };
    ctx.loops.push(frame);
    // a `break label` may leave it part-way: what it assigns is forgotten after it
    forgetAssigned(ctx, s);
    const entry = ctx.flow;
    try {
      return statement(ctx, s) || frame.broke;
    } finally {
      ctx.loops.pop();
      if (frame.broke) ctx.flow = entry;
    }
  }
  switch (s.kind) {
    case 'VarDecl':
      varDecl(ctx, s);
      return true;
    case 'Assign':
      if (s.target.kind === 'ArrayAssignPattern' || s.target.kind === 'ObjectAssignPattern') assignPattern(ctx, s.target, valueOf(ctx, s.value));
      else assign(ctx, s.target, s.op, s.value, s.span);
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
      const r = loop(ctx, s, labels, isConstantTrue(s.test), () => statement(ctx, s.body));
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
        const r = loop(ctx, s, labels, !s.test || isConstantTrue(s.test), () => {
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
        return loop(ctx, s, labels, false, () => statement(ctx, s.body));
      } finally {
        ctx.scope = saved;
        ctx.flow = entry;
      }
    }
    case 'Break':
    case 'Continue':
      return jump(ctx, s.kind, s.label, s.span);
    case 'Switch':
      return switchStmt(ctx, s, labels);
    case 'Labeled': {
      if (labels.includes(s.label) || ctx.loops.some((f) => f.labels?.includes(s.label))) {
        report(ctx, 'CT044', { ...s.span, end: s.span.start + s.label.length }, `the label '${s.label}' is already used by an enclosing statement`, {
          hint: 'give each nested labeled statement its own label',
        });
      }
      return statement(ctx, s.body, [...labels, s.label]);
    }
    case 'Invalid':
      // what did not parse (a partial program): its names are declared, anything else is unknown
      ctx.partial = true;
      for (const name of s.declares ?? []) {
        if (!ctx.scope.own(name)) ctx.scope.declare({ name, kind: 'let', type: ANY, span: s.span });
      }
      return true;
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
 * `break` / `continue`, plain or to a label: whether it can complete (never), after marking what it
 * leaves. A plain `break` leaves the innermost loop or switch, a plain `continue` goes on with the
 * innermost loop; `break label` leaves the labeled statement, `continue label` needs a labeled loop.
 */
function jump(ctx: Ctx, kind: 'Break' | 'Continue', label: string | undefined, span: Span): boolean {
  const word = kind === 'Break' ? 'break' : 'continue';
  if (label !== undefined) {
    let target: Breakable | undefined;
    for (let i = ctx.loops.length - 1; i >= 0 && !target; i--) if (ctx.loops[i]!.labels?.includes(label)) target = ctx.loops[i];
    if (!target) {
      report(ctx, 'CT044', span, `${word} ${label}: there is no enclosing statement labeled '${label}'`, {
        hint: `label the loop or block it should leave: ${label}: for (…) { … }`,
      });
      return true; // reported: no "unreachable" warnings after it
    }
    if (kind === 'Continue' && target.kind !== undefined) {
      report(ctx, 'CT044', span, `continue ${label}: '${label}' labels a ${target.kind === 'switch' ? 'switch' : 'statement'}, not a loop`, {
        hint: 'continue goes on with the next iteration of a loop; use break to leave a labeled block',
      });
      return true;
    }
    if (kind === 'Break') target.broke = true;
    return false;
  }
  let target: Breakable | undefined;
  for (let i = ctx.loops.length - 1; i >= 0 && !target; i--) {
    const f = ctx.loops[i]!;
    if (f.kind === undefined || (kind === 'Break' && f.kind === 'switch')) target = f;
  }
  if (!target) {
    report(ctx, 'CT016', span, kind === 'Break' ? 'break outside a loop or switch' : 'continue outside a loop', {
      hint: 'break and continue only work inside while, for and for…of (and break inside switch); use return to leave the workflow',
    });
    return true;
  }
  if (kind === 'Break') target.broke = true;
  return false;
}

/**
 * `switch`: the discriminant, each case test (CT007 when it can never equal the discriminant, as
 * `===` would be reported), and the case bodies in one scope, falling through from one case to
 * the next. Completes when there is no `default`, when a `break` leaves it, or when the last case
 * falls off the end.
 */
function switchStmt(ctx: Ctx, s: Switch, labels: string[]): boolean {
  // any case may run or not, and fall through: what they assign is forgotten, before and after
  forgetAssigned(ctx, s);
  const entry = ctx.flow;
  const dt = expr(ctx, s.discriminant);
  const saved = ctx.scope;
  ctx.scope = new Scope(saved, declaredNames(s.cases.flatMap((c) => c.consequent)));
  const frame: Breakable = { broke: false, kind: 'switch', labels };
  ctx.loops.push(frame);
  let falls = true;
  try {
    for (const c of s.cases) {
      if (c.test) {
        const tt = expr(ctx, c.test);
        if (!overlaps(ctx, dt, tt)) {
          report(ctx, 'CT007', c.test.span, `this case never matches: ${show(ctx, tt)} and ${show(ctx, dt)} have no value in common`, {
            hint: 'a case matches when it is === to the switch value (no conversion)',
          });
        }
      }
      falls = statements(ctx, c.consequent);
    }
  } finally {
    ctx.loops.pop();
    ctx.scope = saved;
    ctx.flow = entry;
  }
  return !s.cases.some((c) => !c.test) || falls || frame.broke;
}

/**
 * A loop body. `endless` loops (constant-true or missing test) complete only through `break`;
 * one whose body cannot await, break or return spins forever (CT011).
 */
function loop(ctx: Ctx, s: Statement & { kind: 'While' | 'For' | 'ForOf' }, labels: string[], endless: boolean, body: () => void): boolean {
  const frame: Breakable = { broke: false, labels };
  ctx.loops.push(frame);
  try {
    body();
  } finally {
    ctx.loops.pop();
  }
  if (endless && !hasWayOut(s.body, 0, new Set(), new Set(labels))) {
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
    // `as const` keeps its literal types (that is what it is for)
    t = declared ?? (s.init.kind === 'As' && !s.init.type ? init : bindingType(init, s.declKind));
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

/** `x!`, `x as T` and `x satisfies T` as an assignment target are `x` (type-level only, as in TypeScript). */
export function stripAssertions(e: Expression): Expression {
  while (e.kind === 'NonNull' || e.kind === 'As' || e.kind === 'Satisfies') e = e.expression;
  return e;
}

/** The root variable of an assignment target, after checking the target's shape (CT017). */
function lvalue(ctx: Ctx, target: Expression): Binding | undefined {
  let e = stripAssertions(target);
  while (e.kind === 'Member' || e.kind === 'Index') {
    if (e.optional) {
      report(ctx, 'CT017', e.span, 'cannot assign through ?.', { hint: 'check for null first, then assign with .' });
      return undefined;
    }
    e = stripAssertions(e.object);
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

/**
 * `target = value` and the compound and logical assignments: the target's shape (CT017), const
 * (CT003), readonly (CT042), the reserved key `$handle` (CT036), writes from a callback (CT052),
 * narrowing (an assignment forgets or re-narrows its variable), and the value's type against the
 * target's.
 */
function assign(ctx: Ctx, written: Expression, op: Assign['op'], value: Expression, span: Span): void {
  const target = stripAssertions(written);
  reservedTarget(ctx, target);
  const root = lvalue(ctx, target);
  const toConst = root !== undefined && target.kind === 'Identifier' && root.kind === 'const';
  if (toConst) {
    report(ctx, 'CT003', span, `cannot assign to '${root.name}': it is a const`, { hint: `declare it with let ${root.name} = … if it must change` });
    valueOf(ctx, value); // its own errors; its type does not matter any more
    return;
  } else if (root) outerWrite(ctx, target, span, 'assigning');
  // `=` stores into the declared type, a compound assignment reads the (narrowed) value
  if (root && op === '=' && target.kind !== 'Identifier') ctx.flow = forget(ctx, root.name);
  let tt: Type = ANY;
  if (root) {
    if (target.kind === 'Identifier') tt = op === '=' ? root.type : expr(ctx, target);
    else if (target.kind === 'Member' || target.kind === 'Index') {
      const w = writeTarget(ctx, target);
      if (w.readonly) report(ctx, 'CT042', target.span, `cannot assign here: ${w.readonly}`, { hint: 'build a changed copy instead ({ ...o, k: v }, [...xs]), or drop readonly from the type' });
      tt = w.type;
    } else tt = expr(ctx, target);
  } else if (target.kind !== 'Identifier') subExpressions(ctx, target);
  const vt = valueOf(ctx, value);
  if (root) {
    if (target.kind === 'Identifier') assigned(ctx, root.name, op === '=' ? vt : ANY);
    else ctx.flow = forget(ctx, root.name);
  }
  const declaredT = target.kind === 'Identifier' && root ? root.type : tt;
  if (op === '=' || op === '??=' || op === '||=' || op === '&&=') {
    // the logical ones assign the value only when the target is null / falsy / truthy: it must fit too
    expectAssignable(ctx, vt, op === '=' ? tt : declaredT, value.span, 'cannot assign');
    return;
  }
  const arith = op.slice(0, -1) as '+' | '-' | '*' | '/' | '%' | '**';
  const result = arithmetic(ctx, arith, tt, vt, target, value);
  if (!ctx.env.isAny(result)) expectAssignable(ctx, result, declaredT, value.span, 'cannot assign');
}

/** CT036: a write to the key `$handle` (`o.$handle = …`, `o["$handle"] = …`). */
function reservedTarget(ctx: Ctx, target: Expression): void {
  if (target.kind === 'Member') reservedKey(ctx, target.property, target.span);
  const k = target.kind === 'Index' ? constantScalar(target.index) : undefined;
  if (typeof k === 'string') reservedKey(ctx, k, target.span);
}

/** One target of a destructuring assignment taking a value of type `t`, checked like `target = …`. */
function assignPart(ctx: Ctx, written: Expression, t: Type): void {
  const target = stripAssertions(written);
  reservedTarget(ctx, target);
  const root = lvalue(ctx, target);
  if (!root) {
    if (target.kind !== 'Identifier') subExpressions(ctx, target);
    return;
  }
  if (target.kind === 'Identifier' && root.kind === 'const') {
    report(ctx, 'CT003', target.span, `cannot assign to '${root.name}': it is a const`, { hint: `declare it with let ${root.name} = … if it must change` });
    return;
  }
  outerWrite(ctx, target, target.span, 'assigning');
  let tt: Type;
  if (target.kind === 'Identifier') {
    tt = root.type;
    assigned(ctx, root.name, t);
  } else {
    ctx.flow = forget(ctx, root.name);
    if (target.kind === 'Member' || target.kind === 'Index') {
      const w = writeTarget(ctx, target);
      if (w.readonly) report(ctx, 'CT042', target.span, `cannot assign here: ${w.readonly}`);
      tt = w.type;
    } else tt = expr(ctx, target);
  }
  expectAssignable(ctx, t, tt, target.span, 'cannot assign');
}

/**
 * A destructuring assignment `[a, b] = v` / `({ a, b: o.c } = v)`: each target takes its element or
 * field of `t`, as a declaration's pattern would (bindings.ts), and is checked like `target = …`.
 */
function assignPattern(ctx: Ctx, p: AssignTarget, t: Type): void {
  switch (p.kind) {
    case 'ArrayAssignPattern': {
      const { arrays, isAny } = arrayMembers(ctx, t, p.span);
      p.elements.forEach((el, i) => {
        if (el) assignPattern(ctx, el, elementAt(arrays, isAny, i));
      });
      if (p.rest) assignPattern(ctx, p.rest, restAfter(arrays, isAny, p.elements.length));
      return;
    }
    case 'ObjectAssignPattern': {
      const isAny = ctx.env.isAny(t);
      for (const prop of p.properties) assignPattern(ctx, prop.value, isAny ? ANY : widenIfLiteral(fieldOrNull(ctx, t, prop.key)));
      if (p.rest) assignPattern(ctx, p.rest, objectRest(ctx, t, p.properties.map((x) => x.key)));
      return;
    }
    default:
      assignPart(ctx, p, t);
  }
}

function widenIfLiteral(t: Type): Type {
  return t.kind === 'literal' ? widen(t) : t;
}

/** Checks the parts of an invalid target for other errors (undeclared names and so on). */
function subExpressions(ctx: Ctx, e: Expression): void {
  if (e.kind === 'Member') subExpressions(ctx, e.object);
  else if (e.kind === 'Index') {
    subExpressions(ctx, e.object);
    expr(ctx, e.index);
  }
}

function update(ctx: Ctx, written: Expression, op: '++' | '--', span: Span): void {
  const target = stripAssertions(written);
  const root = lvalue(ctx, target);
  if (!root) return;
  if (target.kind === 'Identifier' && root.kind === 'const') {
    report(ctx, 'CT003', span, `cannot ${op === '++' ? 'increment' : 'decrement'} '${root.name}': it is a const`, {
      hint: `declare it with let ${root.name} = … if it must change`,
    });
  } else outerWrite(ctx, target, span, op === '++' ? 'incrementing' : 'decrementing');
  let t: Type;
  if (target.kind === 'Identifier') t = root.type;
  else if (target.kind === 'Member' || target.kind === 'Index') {
    const w = writeTarget(ctx, target);
    if (w.readonly) report(ctx, 'CT042', target.span, `cannot ${op === '++' ? 'increment' : 'decrement'} here: ${w.readonly}`);
    t = w.type;
  } else t = expr(ctx, target);
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
