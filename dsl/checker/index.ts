/**
 * The checker: everything that can be found wrong in a parsed workflow before it runs.
 *
 * Takes a `Program` (dsl/ast.ts), gives every diagnostic in one pass, sorted by position (`check`);
 * and validates a run's input against the workflow's parameters (`checkInput`).
 *
 *   check(parse(src, 'order.workflow').program!)
 *   // => [{ code: 'CT005', message: "unknown task 'chargeCrad' (did you mean 'chargeCard'?)", … }]
 *   checkInput(program, { orderId: 'o1', amount: '5' })
 *   // => { ok: false, errors: [{ path: '$.amount', message: 'expected number, got string' }] }
 *
 * What it checks (codes in dsl/diagnostics.ts): names and scopes (CT001–CT004), calls (CT005,
 * CT006, CT013, CT021), gradual types (CT007, CT008, CT018, CT022), awaits (CT009, CT015, CT020),
 * control flow (CT010–CT012, CT016), assignments (CT017), declarations and policies (CT014, CT019).
 *
 * Why gradual and lenient: a checker that cries wolf gets ignored. Anything involving `any` is
 * accepted, `null` fits every type (see types.ts), and unions are read generously (a property that
 * exists on some member of a union is fine). What is reported is certainly wrong at run time or
 * certainly not what the declared types say.
 */
import {
  assertNever,
  type Await,
  type Block,
  type Call,
  type Expression,
  type Index,
  type Member,
  type ObjectLiteral,
  type Param,
  type Pattern,
  type Program,
  type Span,
  type Statement,
  type TaskDecl,
  type TypeNode,
  type Try,
  type VarDecl,
} from '../ast.ts';
import { diagnostic, spanOf, type Diagnostic, type DiagnosticCode, type Severity } from '../diagnostics.ts';
import { isDurationError, parseDuration } from '../duration.ts';
import { constantScalar } from '../constant.ts';
import { arityProblem } from '../interpreter/builtins.ts';
import { builtinType, globalFn, isNamespace, methodOf, namespaceFn, propertyOf, BUILTINS, NAMESPACES, type Builtin } from './builtins.ts';
import { Scope, type Binding } from './scope.ts';
import {
  ANY,
  BOOLEAN,
  NULL,
  NUMBER,
  STRING,
  TypeEnv,
  arrayOf,
  didYouMean,
  objectOf,
  union,
  widen,
  type Type,
} from './types.ts';

export { checkInput } from './input.ts';

/** All diagnostics of a program, sorted by position. Never throws on a well-formed AST. */
export function check(program: Program): Diagnostic[] {
  const diags = new Checker(program).run();
  return diags.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
}

/** Policy keys a task declaration or call may set (see dsl/interpreter/types.ts TaskPolicy). */
const POLICY_KEYS = ['retries', 'backoff', 'backoffRate', 'maxBackoff', 'timeout'] as const;
/** Longest durable sleep (dsl/README.md: 0 < d ≤ 3650 days). */
const MAX_SLEEP_MS = 3650 * 86_400_000;
/** Array methods people reach for that take functions; none exist here. */
const FUNCTION_METHODS = new Set(['map', 'filter', 'forEach', 'reduce', 'find', 'findIndex', 'some', 'every', 'flatMap']);

interface TaskInfo {
  decl: TaskDecl;
  params: Type[];
  ret: Type;
}

/** What `Promise.allSettled` gives for each element. */
function settled(value: Type): Type {
  return union([
    objectOf({ status: { kind: 'literal', value: 'fulfilled' }, value }),
    objectOf({
      status: { kind: 'literal', value: 'rejected' },
      reason: objectOf({ message: STRING, type: union([STRING, NULL]), attempts: NUMBER, task: STRING }),
    }),
  ]);
}

class Checker {
  private readonly diags: Diagnostic[] = [];
  private readonly env: TypeEnv;
  private readonly tasks = new Map<string, TaskInfo>();
  private scope: Scope;
  /** Enclosing loops, innermost last; `broke` is set by a `break` that leaves that loop. */
  private readonly loops: { broke: boolean }[] = [];
  private returnType: Type | undefined;

  constructor(private readonly program: Program) {
    const aliases = new Map<string, { type: TypeNode; span: Span }>();
    for (const t of program.types) {
      if (aliases.has(t.name)) {
        this.report('CT019', t.span, `type '${t.name}' is declared twice`, { hint: 'rename one of them' });
        continue;
      }
      aliases.set(t.name, { type: t.type, span: t.span });
    }
    this.env = new TypeEnv(aliases, (kind, name, span) => {
      if (kind === 'aliasCycle') {
        this.report('CT022', span, `type '${name}' refers to itself without an object or array in between`, {
          hint: 'a recursive type must go through a field or an element type, e.g. { children: Tree[] }',
        });
      } else {
        // `aliases`, not this.env: alias bodies are converted inside TypeEnv's constructor
        const near = didYouMean(name, [...aliases.keys(), 'string', 'number', 'boolean', 'null', 'any', 'void']);
        this.report('CT018', span, `unknown type '${name}'${near ? ` (did you mean '${near}'?)` : ''}`, {
          hint: near ? undefined : `declare it with \`type ${name} = …\` or use any`,
        });
      }
    });
    this.scope = new Scope(undefined);
  }

  // ---- reporting -------------------------------------------------------------------------------

  private report(code: DiagnosticCode, span: Span, message: string, opts: { severity?: Severity; hint?: string | undefined } = {}): void {
    const o: { severity?: Severity; hint?: string } = {};
    if (opts.severity) o.severity = opts.severity;
    if (opts.hint) o.hint = opts.hint;
    this.diags.push(diagnostic(code, span, message, o));
  }

  /** The span of `.name` in `a.name`: the property itself, where the caret should point. */
  private propertySpan(m: Member): Span {
    const start = Math.max(m.span.start, m.span.end - m.property.length);
    return spanOf(this.program.source, start, m.span.end);
  }

  private show(t: Type): string {
    return this.env.show(t);
  }

  // ---- declarations ----------------------------------------------------------------------------

  run(): Diagnostic[] {
    const p = this.program;
    const wf = p.workflow;
    for (const t of p.tasks) {
      const params = this.params(t.params, `task '${t.name}'`);
      const ret = t.returnType ? this.env.fromNode(t.returnType) : ANY;
      if (t.policy) this.policy(t.policy, true);
      if (this.tasks.has(t.name)) {
        this.report('CT019', t.span, `task '${t.name}' is declared twice`, { hint: 'rename one of them' });
        continue;
      }
      if (t.name === wf.name) {
        this.report('CT019', t.span, `task '${t.name}' has the same name as the workflow`, { hint: 'rename the task or the workflow' });
      } else if (globalFn(t.name) || isNamespace(t.name)) {
        this.report('CT019', t.span, `task '${t.name}' has the name of a built-in`, { hint: 'rename the task' });
      }
      this.tasks.set(t.name, { decl: t, params, ret });
    }

    // The parameters and the body's top-level declarations share one scope, as in JavaScript
    // (`workflow w(a) { const a = 1 }` is a redeclaration).
    const paramTypes = this.params(wf.params, `workflow '${wf.name}'`);
    this.scope = new Scope(undefined, declaredNames(wf.body.body));
    wf.params.forEach((prm, i) => {
      if (!this.scope.own(prm.name)) this.scope.declare({ name: prm.name, kind: 'param', type: paramTypes[i]!, span: prm.span });
    });
    this.returnType = wf.returnType ? this.env.fromNode(wf.returnType) : undefined;
    const fallsOff = this.statements(wf.body.body);
    if (fallsOff && this.returnType && this.needsValue(this.returnType)) {
      this.report('CT012', wf.span, `workflow '${wf.name}' must return ${this.show(this.returnType)}, but can reach its end without a return`, {
        hint: 'add a return statement on every path (or declare the return type void)',
      });
    }
    return this.diags;
  }

  /** Does a declared return type require `return <value>`? (`void` and `any` do not.) */
  private needsValue(t: Type): boolean {
    return !this.env.members(t).some((m) => m.kind === 'void' || m.kind === 'any');
  }

  private params(params: Param[], owner: string): Type[] {
    const seen = new Set<string>();
    return params.map((prm) => {
      if (seen.has(prm.name)) this.report('CT019', prm.span, `parameter '${prm.name}' of ${owner} is declared twice`, { hint: 'rename one of them' });
      seen.add(prm.name);
      return prm.type ? this.env.fromNode(prm.type) : ANY;
    });
  }

  /**
   * A task policy `with { … }`: known keys and valid values (CT014). A declaration's values must be
   * constant literals; a call's may be computed (the interpreter evaluates them), so only their
   * types are checked, and literal ones as in a declaration.
   */
  private policy(o: ObjectLiteral, constantOnly: boolean): void {
    const seen = new Set<string>();
    for (const prop of o.properties) {
      if (prop.kind === 'Spread') {
        this.report('CT014', prop.span, 'a task policy cannot use spread', { hint: `write the keys out: ${POLICY_KEYS.join(', ')}` });
        continue;
      }
      if (!(POLICY_KEYS as readonly string[]).includes(prop.key)) {
        const near = didYouMean(prop.key, POLICY_KEYS);
        this.report('CT014', prop.span, `unknown task policy key '${prop.key}'${near ? ` (did you mean '${near}'?)` : ''}`, {
          hint: `policy keys are ${POLICY_KEYS.join(', ')}`,
        });
        continue;
      }
      if (seen.has(prop.key)) this.report('CT014', prop.span, `policy key '${prop.key}' is given twice`);
      seen.add(prop.key);
      const v = constantScalar(prop.value);
      if (v === undefined) {
        const t = this.expr(prop.value);
        if (constantOnly) {
          this.report('CT014', prop.value.span, `policy value '${prop.key}' of a task declaration must be a constant literal`, {
            hint: 'write a number or a duration like "30s" (a call can compute it: await t(x) with { retries: n })',
          });
        } else {
          const durationKey = prop.key !== 'retries' && prop.key !== 'backoffRate';
          const ok = (m: Type) => isNumberLike(m) || (durationKey && isStringLike(m));
          if (this.definitelyNot(t, ok)) {
            this.report('CT014', prop.value.span, `policy ${prop.key} must be ${durationKey ? 'a duration (a string like "30s" or milliseconds)' : 'a number'}, got ${this.show(t)}`);
          }
        }
        continue;
      }
      switch (prop.key) {
        case 'retries':
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
            this.report('CT014', prop.value.span, `retries must be a whole number ≥ 0, got ${JSON.stringify(v)}`);
          }
          break;
        case 'backoffRate':
          if (typeof v !== 'number' || !(v >= 1)) {
            this.report('CT014', prop.value.span, `backoffRate must be a number ≥ 1, got ${JSON.stringify(v)}`);
          }
          break;
        case 'backoff':
        case 'maxBackoff':
        case 'timeout': {
          const d = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : { error: `expected a duration like "30s", got ${JSON.stringify(v)}` };
          if (isDurationError(d)) this.report('CT014', prop.value.span, `${prop.key}: ${d.error}`);
          else if (prop.key === 'timeout' && d === 0) this.report('CT014', prop.value.span, 'timeout must be more than 0');
          break;
        }
      }
    }
  }

  // ---- statements ------------------------------------------------------------------------------

  /** Checks statements in the current scope; gives whether control can fall off the end. */
  private statements(body: readonly Statement[]): boolean {
    let reachable = true;
    let why = '';
    let warned = false;
    for (const s of body) {
      if (!reachable && !warned) {
        this.report('CT010', s.span, `unreachable code${why}`, { severity: 'warning', hint: 'remove it, or move it before the statement that leaves' });
        warned = true;
      }
      const completes = this.statement(s);
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

  private block(b: Block): boolean {
    const saved = this.scope;
    this.scope = new Scope(saved, declaredNames(b.body));
    try {
      return this.statements(b.body);
    } finally {
      this.scope = saved;
    }
  }

  /** Gives whether the statement can complete normally (fall through to the next one). */
  private statement(s: Statement): boolean {
    switch (s.kind) {
      case 'VarDecl':
        this.varDecl(s);
        return true;
      case 'Assign':
        this.assign(s.target, s.op, s.value, s.span);
        return true;
      case 'Update':
        this.update(s.target, s.op, s.span);
        return true;
      case 'ExprStmt':
        this.valueOf(s.expression);
        return true;
      case 'Block':
        return this.block(s);
      case 'If': {
        this.expr(s.test);
        const a = this.statement(s.consequent);
        const b = s.alternate ? this.statement(s.alternate) : true;
        return a || b;
      }
      case 'While': {
        this.expr(s.test);
        return this.loop(s, isConstantTrue(s.test), () => this.statement(s.body));
      }
      case 'For': {
        const saved = this.scope;
        this.scope = new Scope(saved, s.init?.kind === 'VarDecl' ? patternNames(s.init.target) : []);
        try {
          if (s.init) this.statement(s.init);
          if (s.test) this.expr(s.test);
          return this.loop(s, !s.test || isConstantTrue(s.test), () => {
            this.statement(s.body);
            if (s.update) this.statement(s.update);
          });
        } finally {
          this.scope = saved;
        }
      }
      case 'ForOf': {
        const it = this.expr(s.iterable);
        const saved = this.scope;
        this.scope = new Scope(saved);
        try {
          this.bind(s.target, this.elementOf(it, s.iterable.span), s.declKind);
          return this.loop(s, false, () => this.statement(s.body));
        } finally {
          this.scope = saved;
        }
      }
      case 'Break':
      case 'Continue': {
        const loop = this.loops[this.loops.length - 1];
        if (!loop) {
          this.report('CT016', s.span, `${s.kind === 'Break' ? 'break' : 'continue'} outside a loop`, {
            hint: 'break and continue only work inside while, for and for…of; use return to leave the workflow',
          });
          return true;
        }
        if (s.kind === 'Break') loop.broke = true;
        return false;
      }
      case 'Return':
        this.returnStmt(s.argument, s.span);
        return false;
      case 'Throw':
        this.expr(s.argument);
        return false;
      case 'Try':
        return this.tryStmt(s);
      default:
        return assertNever(s, 'statement');
    }
  }

  /**
   * A loop body. `endless` loops (constant-true or missing test) complete only through `break`;
   * one whose body cannot await, break or return spins forever (CT011).
   */
  private loop(s: Statement & { kind: 'While' | 'For' | 'ForOf' }, endless: boolean, body: () => void): boolean {
    const ctx = { broke: false };
    this.loops.push(ctx);
    try {
      body();
    } finally {
      this.loops.pop();
    }
    if (endless && !hasWayOut(s.body, 0)) {
      this.report('CT011', s.span, 'this loop can spin forever: its body has no await, break or return', {
        severity: 'warning',
        hint: 'add a condition, a break, or an await (e.g. await sleep("1s")) inside the loop',
      });
    }
    return !endless || ctx.broke;
  }

  /**
   * `try`: completes when the try block or the catch block does (anything in the try block may
   * throw, so the catch is always reachable) and, with a finally, when that does too. The catch
   * binding is `any`, in a scope of its own around the catch block.
   */
  private tryStmt(s: Try): boolean {
    const tried = this.block(s.block);
    let caught = false;
    if (s.handler) {
      const saved = this.scope;
      this.scope = new Scope(saved);
      try {
        if (s.param) this.bind(s.param, ANY, 'let');
        caught = this.block(s.handler);
      } finally {
        this.scope = saved;
      }
    }
    const completes = tried || caught;
    return s.finalizer ? this.block(s.finalizer) && completes : completes;
  }

  private varDecl(s: VarDecl): void {
    const declared = s.type ? this.env.fromNode(s.type) : undefined;
    let t: Type = ANY;
    if (s.init) {
      const init = this.valueOf(s.init);
      if (declared) this.expectAssignable(init, declared, s.init.span, 'cannot assign');
      t = declared ?? this.bindingType(init);
    } else if (declared) {
      t = declared;
    }
    this.bind(s.target, t, s.declKind);
  }

  /** The type an unannotated variable gets: literal types widen; `null` and `void` become `any`. */
  private bindingType(t: Type): Type {
    return widen(t);
  }

  private bind(p: Pattern, t: Type, kind: 'const' | 'let'): void {
    switch (p.kind) {
      case 'IdentifierPattern': {
        const prev = this.scope.own(p.name);
        if (prev) {
          this.report('CT004', p.span, `'${p.name}' is already declared in this scope (line ${prev.span.line})`, {
            hint: `rename it, or assign to the existing variable with ${p.name} = …`,
          });
          return;
        }
        this.scope.declare({ name: p.name, kind, type: t, span: p.span });
        return;
      }
      case 'ArrayPattern': {
        const r = this.env.nonNull(t);
        const ms = this.env.members(r);
        const isAny = ms.some((m) => m.kind === 'any');
        const arrays = ms.filter((m) => m.kind === 'array' || m.kind === 'tuple');
        if (!isAny && arrays.length === 0 && r.kind !== 'null') {
          this.report('CT007', p.span, `cannot destructure ${this.show(t)} as an array`);
        }
        p.elements.forEach((el, i) => {
          if (!el) return;
          const parts = arrays.map((a) => (a.kind === 'tuple' ? (a.elements[i] ?? NULL) : a.kind === 'array' ? a.element : ANY));
          this.bind(el, isAny || parts.length === 0 ? ANY : union(parts), kind);
        });
        if (p.rest) {
          const parts = arrays.map((a) =>
            a.kind === 'tuple' ? arrayOf(union(a.elements.slice(p.elements.length).concat(a.elements.length > p.elements.length ? [] : [ANY]))) : a,
          );
          this.bind(p.rest, isAny || parts.length === 0 ? arrayOf(ANY) : union(parts), kind);
        }
        return;
      }
      case 'ObjectPattern': {
        const r = this.env.nonNull(t);
        const ms = this.env.members(r);
        const isAny = ms.some((m) => m.kind === 'any');
        // Lenient on purpose: a key the value lacks reads as null (the corpus pins
        // `const { c } = { d: 1 }` as valid), so destructuring never reports CT008.
        for (const prop of p.properties) {
          const ft = isAny ? ANY : this.fieldOrNull(t, prop.key);
          this.bind(prop.value, widenIfLiteral(ft), kind);
        }
        if (p.rest) {
          const objs = ms.filter((m) => m.kind === 'object');
          const taken = new Set(p.properties.map((x) => x.key));
          const rest =
            isAny || objs.length !== 1
              ? ANY
              : {
                  kind: 'object' as const,
                  fields: Object.fromEntries(Object.entries((objs[0] as { kind: 'object'; fields: Record<string, { type: Type; optional: boolean }> }).fields).filter(([k]) => !taken.has(k))),
                };
          this.bind(p.rest, rest, kind);
        }
        return;
      }
      default:
        return assertNever(p, 'pattern');
    }
  }

  /** `t.key` for destructuring: the field's type where known, null where absent, else any. */
  private fieldOrNull(t: Type, key: string): Type {
    const parts: Type[] = [];
    for (const m of this.env.members(t)) {
      if (m.kind === 'object') {
        const f = Object.hasOwn(m.fields, key) ? m.fields[key] : undefined;
        parts.push(f ? (f.optional ? union([f.type, NULL]) : f.type) : NULL);
      } else if (m.kind !== 'null' && m.kind !== 'void') return ANY;
    }
    return parts.length ? union(parts) : ANY;
  }

  /** Element type of a `for…of` iterable (arrays, and strings by character). */
  private elementOf(t: Type, span: Span): Type {
    const ms = this.env.members(this.env.nonNull(t));
    if (ms.some((m) => m.kind === 'any')) return ANY;
    const parts: Type[] = [];
    for (const m of ms) {
      if (m.kind === 'array') parts.push(m.element);
      else if (m.kind === 'tuple') parts.push(...m.elements);
      else if (m.kind === 'null') continue;
      else if (isStringLike(m)) parts.push(STRING);
      else {
        this.report('CT007', span, `for…of needs an array or a string, got ${this.show(t)}`, { hint: 'use Object.keys(o) or Object.entries(o) to loop over an object' });
        return ANY;
      }
    }
    return parts.length ? union(parts) : ANY;
  }

  /** The root variable of an assignment target, after checking the target's shape (CT017). */
  private lvalue(target: Expression): Binding | undefined {
    let e = target;
    while (e.kind === 'Member' || e.kind === 'Index') {
      if (e.optional) {
        this.report('CT017', e.span, 'cannot assign through ?.', { hint: 'check for null first, then assign with .' });
        return undefined;
      }
      e = e.object;
    }
    if (e.kind !== 'Identifier') {
      this.report('CT017', target.span, 'invalid assignment target', { hint: 'assign to a variable, a property (o.p) or an element (xs[i])' });
      return undefined;
    }
    const found = this.scope.lookup(e.name);
    if (found.state === 'declared') return found.binding;
    this.identifier(e.name, e.span);
    return undefined;
  }

  private assign(target: Expression, op: '=' | '+=' | '-=' | '*=' | '/=', value: Expression, span: Span): void {
    const root = this.lvalue(target);
    if (root && target.kind === 'Identifier' && root.kind === 'const') {
      this.report('CT003', span, `cannot assign to '${root.name}': it is a const`, { hint: `declare it with let ${root.name} = … if it must change` });
    }
    const tt = root ? (target.kind === 'Identifier' ? root.type : this.expr(target)) : ANY;
    if (target.kind !== 'Identifier' && !root) this.subExpressions(target);
    const vt = this.valueOf(value);
    if (op === '=') {
      this.expectAssignable(vt, tt, value.span, 'cannot assign');
      return;
    }
    const arith = op.slice(0, 1) as '+' | '-' | '*' | '/';
    const result = this.arithmetic(arith, tt, vt, target, value);
    if (!this.env.isAny(result)) this.expectAssignable(result, tt, value.span, 'cannot assign');
  }

  /** Checks the parts of an invalid target for other errors (undeclared names and so on). */
  private subExpressions(e: Expression): void {
    if (e.kind === 'Member') this.subExpressions(e.object);
    else if (e.kind === 'Index') {
      this.subExpressions(e.object);
      this.expr(e.index);
    }
  }

  private update(target: Expression, op: '++' | '--', span: Span): void {
    const root = this.lvalue(target);
    if (!root) return;
    if (target.kind === 'Identifier' && root.kind === 'const') {
      this.report('CT003', span, `cannot ${op === '++' ? 'increment' : 'decrement'} '${root.name}': it is a const`, {
        hint: `declare it with let ${root.name} = … if it must change`,
      });
    }
    const t = target.kind === 'Identifier' ? root.type : this.expr(target);
    if (this.definitelyNot(t, isNumberLike)) this.report('CT007', target.span, `${op} needs a number, got ${this.show(t)}`);
  }

  private returnStmt(arg: Expression | undefined, span: Span): void {
    const declared = this.returnType;
    if (!arg) {
      if (declared && this.needsValue(declared)) {
        this.report('CT012', span, `return without a value in a workflow that returns ${this.show(declared)}`, { hint: 'return a value' });
      }
      return;
    }
    const t = this.valueOf(arg);
    if (!declared) return;
    const d = this.env.resolve(declared);
    if (d.kind === 'void') {
      if (!this.env.isAny(t) && this.env.resolve(t).kind !== 'void' && this.env.resolve(t).kind !== 'null') {
        this.report('CT007', arg.span, `the workflow is declared void but returns ${this.show(t)}`, { hint: 'remove the value or declare a return type' });
      }
      return;
    }
    this.expectAssignable(t, declared, arg.span, 'cannot return');
  }

  private expectAssignable(src: Type, dst: Type, span: Span, what: string): void {
    if (this.env.assignable(src, dst)) return;
    const why = this.env.whyNot(src, dst);
    this.report('CT007', span, `${what} ${this.show(src)} to ${this.show(dst)}${why ? `: ${why}` : ''}`);
  }

  // ---- expressions -----------------------------------------------------------------------------

  /** An expression in a position where `await` is allowed. */
  private valueOf(e: Expression): Type {
    return e.kind === 'Await' ? this.awaited(e) : this.expr(e);
  }

  private expr(e: Expression): Type {
    switch (e.kind) {
      case 'NumberLiteral':
      case 'StringLiteral':
      case 'BooleanLiteral':
        return { kind: 'literal', value: e.value };
      case 'NullLiteral':
        return NULL;
      case 'TemplateLiteral':
        e.expressions.forEach((x) => this.expr(x));
        return STRING;
      case 'ArrayLiteral': {
        const parts: Type[] = [];
        let anyPart = false;
        for (const el of e.elements) {
          if (el.kind === 'Spread') {
            const t = this.expr(el.argument);
            const ms = this.env.members(this.env.nonNull(t));
            if (ms.some((m) => m.kind === 'any')) anyPart = true;
            else if (ms.every((m) => m.kind === 'array' || m.kind === 'tuple')) {
              for (const m of ms) parts.push(...(m.kind === 'array' ? [m.element] : m.kind === 'tuple' ? m.elements : []));
            } else {
              this.report('CT007', el.argument.span, `cannot spread ${this.show(t)} into an array`, { hint: 'only arrays can be spread into arrays' });
              anyPart = true;
            }
          } else parts.push(this.expr(el));
        }
        return arrayOf(anyPart || parts.length === 0 ? ANY : union(parts));
      }
      case 'ObjectLiteral': {
        const fields: Record<string, { type: Type; optional: boolean }> = {};
        let open = false;
        for (const p of e.properties) {
          if (p.kind === 'Spread') {
            const t = this.expr(p.argument);
            const ms = this.env.members(this.env.nonNull(t));
            if (ms.length === 1 && ms[0]!.kind === 'object') Object.assign(fields, ms[0]!.fields);
            else if (ms.some((m) => m.kind === 'any' || m.kind === 'object' || m.kind === 'null')) open = true;
            else {
              this.report('CT007', p.argument.span, `cannot spread ${this.show(t)} into an object`, { hint: 'only objects can be spread into objects' });
              open = true;
            }
          } else {
            fields[p.key] = { type: this.expr(p.value), optional: false };
          }
        }
        return open ? ANY : { kind: 'object', fields };
      }
      case 'Identifier':
        return this.identifier(e.name, e.span);
      case 'Member':
        return this.member(e);
      case 'Index':
        return this.index(e);
      case 'Call':
        return this.call(e);
      case 'Unary': {
        const t = this.expr(e.argument);
        switch (e.op) {
          case '!':
            return BOOLEAN;
          case '-':
            if (this.definitelyNot(t, isNumberLike)) this.report('CT007', e.argument.span, `unary - needs a number, got ${this.show(t)}`);
            return NUMBER;
          case '+':
            return NUMBER;
          case 'typeof':
            return union(['string', 'number', 'boolean', 'object'].map((value) => ({ kind: 'literal', value }) as Type));
          default:
            return assertNever(e, 'unary expression');
        }
      }
      case 'Binary': {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        switch (e.op) {
          case '+':
          case '-':
          case '*':
          case '/':
          case '%':
            return this.arithmetic(e.op, l, r, e.left, e.right);
          case '<':
          case '<=':
          case '>':
          case '>=':
            this.comparison(e.op, l, r, e.left, e.right);
            return BOOLEAN;
          case '===':
          case '!==':
          case '==':
          case '!=':
            // two literals (`1 === 2`) are a deliberate constant, not a slip
            if (!(constantScalar(e.left) !== undefined && constantScalar(e.right) !== undefined) && !this.overlaps(l, r)) {
              this.report('CT007', e.right.span, `this comparison is always ${e.op.startsWith('!') ? 'true' : 'false'}: ${this.show(l)} and ${this.show(r)} have no value in common`, {
                hint: isStringLikeType(this.env, l) && isStringLikeType(this.env, r) ? 'check the spelling of the string' : '== compares strictly, without conversion',
              });
            }
            return BOOLEAN;
          default:
            return assertNever(e, 'binary expression');
        }
      }
      case 'Logical': {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        if (e.op === '&&') return union([...this.env.members(l).filter(canBeFalsy), r]);
        return union([this.env.nonNull(l), r]);
      }
      case 'Conditional':
        this.expr(e.test);
        return union([this.expr(e.consequent), this.expr(e.alternate)]);
      case 'Await':
        this.report('CT009', e.span, 'await cannot be part of a larger expression', {
          hint: 'await only as a statement, a declaration (const r = await …), an assignment or a return; use the variable afterwards',
        });
        return this.awaited(e);
      default:
        return assertNever(e, 'expression');
    }
  }

  private identifier(name: string, span: Span): Type {
    const found = this.scope.lookup(name);
    if (found.state === 'declared') return found.binding.type;
    if (found.state === 'later') {
      this.report('CT002', span, `'${name}' is used before its declaration`, { hint: `move the declaration of '${name}' above this line` });
      return ANY;
    }
    if (this.tasks.has(name)) {
      this.report('CT001', span, `'${name}' is a task, not a variable`, { hint: `call it: await ${name}(…)` });
      return ANY;
    }
    if (isNamespace(name) || globalFn(name)) {
      this.report('CT001', span, `'${name}' is a built-in and can only be called`, { hint: isNamespace(name) ? `use ${name}.fn(…)` : `call it: ${name}(…)` });
      return ANY;
    }
    const near = didYouMean(name, this.scope.visible());
    this.report('CT001', span, `undeclared variable '${name}'${near ? ` (did you mean '${near}'?)` : ''}`, {
      hint: near ? undefined : `declare it with const ${name} = … or let ${name} = …`,
    });
    return ANY;
  }

  /** True when every non-null member of `t` is known and fails `ok` (so a run surely fails). */
  private definitelyNot(t: Type, ok: (m: Type) => boolean): boolean {
    const ms = this.env.members(t);
    if (ms.some((m) => m.kind === 'any')) return false;
    const rest = ms.filter((m) => m.kind !== 'null' && m.kind !== 'void');
    if (rest.length === 0) return ms.some((m) => m.kind === 'null'); // `null` alone
    return rest.every((m) => !ok(m));
  }

  private arithmetic(op: '+' | '-' | '*' | '/' | '%', l: Type, r: Type, le: Expression, re: Expression): Type {
    const all = (t: Type, ok: (m: Type) => boolean) => {
      const ms = this.env.members(this.env.nonNull(t));
      return ms.length > 0 && ms.every(ok);
    };
    if (op === '+') {
      if (all(l, isStringLike) || all(r, isStringLike)) return STRING;
      if (this.env.isAny(l) || this.env.isAny(r)) return ANY;
      if (all(l, isNumberLike) && all(r, isNumberLike)) return NUMBER;
      const some = (t: Type) => this.env.members(t).some(isStringLike);
      if (some(l) || some(r)) return union([STRING, NUMBER]);
      const bad = this.definitelyNot(l, isNumberLike) ? le : re;
      const bt = bad === le ? l : r;
      if (this.definitelyNot(l, isNumberLike) || this.definitelyNot(r, isNumberLike)) {
        this.report('CT007', bad.span, `'+' needs two numbers or a string, got ${this.show(l)} + ${this.show(r)}`, {
          hint: bt === l || bt === r ? 'convert with String(x) to concatenate, or Number(x) to add' : undefined,
        });
        return ANY;
      }
      return union([STRING, NUMBER]);
    }
    for (const [t, x] of [[l, le], [r, re]] as const) {
      if (this.definitelyNot(t, isNumberLike)) {
        this.report('CT007', x.span, `'${op}' needs numbers, got ${this.show(t)}`, { hint: isStringLikeType(this.env, t) ? 'convert with Number(x) first' : undefined });
        return ANY;
      }
    }
    return NUMBER;
  }

  private comparison(op: string, l: Type, r: Type, le: Expression, re: Expression): void {
    const ordered = (m: Type) => isNumberLike(m) || isStringLike(m);
    for (const [t, x] of [[l, le], [r, re]] as const) {
      if (this.definitelyNot(t, ordered)) {
        this.report('CT007', x.span, `'${op}' compares two numbers or two strings, got ${this.show(t)}`);
        return;
      }
    }
    const nums = (t: Type) => !this.env.isAny(t) && this.env.members(this.env.nonNull(t)).every(isNumberLike);
    const strs = (t: Type) => !this.env.isAny(t) && this.env.members(this.env.nonNull(t)).every(isStringLike);
    if ((nums(l) && strs(r)) || (strs(l) && nums(r))) {
      this.report('CT007', re.span, `'${op}' compares two numbers or two strings, got ${this.show(l)} and ${this.show(r)}`, {
        hint: 'convert one side with Number(x) or String(x)',
      });
    }
  }

  /**
   * Can two values of these types ever be equal? Only primitives and literal types are judged
   * (`mode === "fsat"` where mode is "fast" | "slow"; a number against a string); anything with
   * `any`, `null`, objects or arrays is assumed to overlap.
   */
  private overlaps(l: Type, r: Type): boolean {
    const lm = this.env.members(l);
    const rm = this.env.members(r);
    const simple = (m: Type) => m.kind === 'string' || m.kind === 'number' || m.kind === 'boolean' || m.kind === 'literal';
    if (!lm.every(simple) || !rm.every(simple)) return true;
    return lm.some((a) => rm.some((b) => this.env.assignable(a, b) || this.env.assignable(b, a)));
  }

  // ---- property access -------------------------------------------------------------------------

  private member(m: Member): Type {
    if (m.object.kind === 'Identifier' && isNamespace(m.object.name) && this.scope.lookup(m.object.name).state === 'missing') {
      const table = NAMESPACES[m.object.name]!;
      const near = didYouMean(m.property, Object.keys(table));
      this.report('CT008', this.propertySpan(m), `${m.object.name} has no property '${m.property}'${near ? ` (did you mean '${near}'?)` : ''}`, {
        hint: `${m.object.name} only has functions: ${Object.keys(table).join(', ')}`,
      });
      return ANY;
    }
    const t = this.expr(m.object);
    const r = this.propertyType(t, m.property, this.propertySpan(m));
    return m.optional ? union([r, NULL]) : r;
  }

  /**
   * The type of `t.name`. Generous on unions: fine when some member has it (missing on the others
   * reads as null). Reports CT008 only when the type is fully known and nothing has the property.
   */
  private propertyType(t: Type, name: string, span: Span): Type {
    const ms = this.env.members(t).filter((m) => m.kind !== 'null' && m.kind !== 'void');
    if (ms.length === 0 || ms.some((m) => m.kind === 'any')) return ANY;
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
      this.report('CT008', span, `'${name}' is a method of ${this.shortShow(t)}, not a property`, { hint: `call it: .${name}(…)` });
    } else {
      const near = didYouMean(name, candidates);
      this.report('CT008', span, `unknown property '${name}' of ${this.shortShow(t)}${near ? ` (did you mean '${near}'?)` : ''}`);
    }
    return ANY;
  }

  private shortShow(t: Type): string {
    const s = this.show(t);
    return s.length > 60 ? s.slice(0, 57) + '…' : s;
  }

  private index(e: Index): Type {
    const t = this.expr(e.object);
    const it = this.expr(e.index);
    const ms = this.env.members(t).filter((m) => m.kind !== 'null' && m.kind !== 'void');
    let result: Type = ANY;
    if (ms.length > 0 && !ms.some((m) => m.kind === 'any')) {
      const parts: Type[] = [];
      for (const m of ms) {
        if (m.kind === 'array' || m.kind === 'tuple' || m.kind === 'string' || (m.kind === 'literal' && typeof m.value === 'string')) {
          if (this.definitelyNot(it, isNumberLike)) {
            this.report('CT007', e.index.span, `an index into ${this.show(m)} must be a number, got ${this.show(it)}`);
            return ANY;
          }
          const ri = this.env.resolve(it);
          if (m.kind === 'array') parts.push(m.element);
          else if (m.kind === 'tuple') parts.push(ri.kind === 'literal' && typeof ri.value === 'number' ? (m.elements[ri.value] ?? NULL) : union(m.elements.length ? m.elements : [ANY]));
          else parts.push(STRING);
        } else if (m.kind === 'object') {
          const ri = this.env.resolve(it);
          if (ri.kind === 'literal' && typeof ri.value === 'string') {
            const f = Object.hasOwn(m.fields, ri.value) ? m.fields[ri.value] : undefined;
            parts.push(f ? (f.optional ? union([f.type, NULL]) : f.type) : NULL);
          } else parts.push(ANY);
        } else {
          this.report('CT007', e.object.span, `cannot index ${this.show(t)}`, { hint: 'only arrays, strings and objects can be indexed' });
          return ANY;
        }
      }
      result = union(parts);
    }
    return e.optional ? union([result, NULL]) : result;
  }

  // ---- calls -----------------------------------------------------------------------------------

  /** A call that is not directly awaited. */
  private call(c: Call): Type {
    const callee = c.callee;
    if (callee.kind === 'Identifier') {
      const name = callee.name;
      const task = this.tasks.get(name);
      if (task && !globalFn(name)) {
        this.report('CT021', c.span, `task '${name}' must be awaited`, { hint: `write await ${name}(…)` });
        return this.taskCall(c, task);
      }
      if (c.policy) this.badPolicy(c);
      const local = this.scope.lookup(name);
      if (local.state === 'declared') {
        this.report('CT005', callee.span, `'${name}' is a variable, not a task or function`, { hint: 'only declared tasks and built-in functions can be called' });
        this.args(c.args);
        return ANY;
      }
      const g = globalFn(name);
      if (g?.awaitOnly) {
        this.report('CT021', c.span, `${name}(…) must be awaited`, { hint: `write await ${name}(…)` });
        return name === 'sleep' ? this.sleepCall(c) : this.signalCall(c);
      }
      if (g) return this.builtinCall(c, g, name, ANY);
      return this.unknownCall(c, name, callee.span);
    }
    if (c.policy) this.badPolicy(c);
    if (callee.kind === 'Member') {
      const obj = callee.object;
      if (obj.kind === 'Identifier' && isNamespace(obj.name) && this.scope.lookup(obj.name).state === 'missing') {
        const fn = namespaceFn(obj.name, callee.property);
        const full = `${obj.name}.${callee.property}`;
        if (!fn) {
          const near = didYouMean(callee.property, Object.keys(NAMESPACES[obj.name]!));
          this.report('CT008', this.propertySpan(callee), `${obj.name} has no function '${callee.property}'${near ? ` (did you mean '${near}'?)` : ''}`, {
            hint: near ? undefined : `${obj.name} has: ${Object.keys(NAMESPACES[obj.name]!).join(', ')}`,
          });
          this.args(c.args);
          return ANY;
        }
        if (fn.awaitOnly) {
          this.report('CT021', c.span, `${full}(…) must be awaited`, { hint: `write await ${full}(…)` });
          return this.promiseCall(c, callee.property === 'allSettled');
        }
        return this.builtinCall(c, fn, full, ANY);
      }
      const recv = this.expr(obj);
      const t = this.methodCall(c, callee, recv);
      return callee.optional ? union([t, NULL]) : t;
    }
    this.expr(callee);
    this.report('CT005', c.span, 'only declared tasks and built-in functions can be called');
    this.args(c.args);
    return ANY;
  }

  private badPolicy(c: Call): void {
    this.report('CT014', c.policy!.span, "'with { … }' sets a task policy; it only applies to a task call", {
      hint: 'remove it, or put it on an awaited task call: await t(x) with { retries: 3 }',
    });
  }

  private args(args: Expression[]): Type[] {
    return args.map((a) => this.expr(a));
  }

  private unknownCall(c: Call, name: string, span: Span): Type {
    this.args(c.args);
    if (name === this.program.workflow.name) {
      this.report('CT013', c.span, `a workflow cannot call a workflow ('${name}' is this workflow)`, {
        hint: 'loop inside the workflow instead, or move the work into a task',
      });
      return ANY;
    }
    const candidates = [...this.tasks.keys(), ...Object.keys(BUILTINS.global)];
    const near = didYouMean(name, candidates);
    this.report('CT005', span, `unknown task '${name}'${near ? ` (did you mean '${near}'?)` : ''}`, {
      hint: near ? undefined : `declare it with task ${name}(…): T (a workflow cannot call another workflow)`,
    });
    return ANY;
  }

  private taskCall(c: Call, task: TaskInfo): Type {
    const name = task.decl.name;
    const n = task.params.length;
    if (c.args.length !== n) {
      this.report('CT006', c.span, `task '${name}' takes ${n} argument${n === 1 ? '' : 's'}, got ${c.args.length}`, {
        hint: `declared as task ${name}(${task.decl.params.map((p) => p.name).join(', ')})`,
      });
    }
    c.args.forEach((a, i) => {
      const t = this.expr(a);
      const pt = task.params[i];
      const pd = task.decl.params[i];
      if (pt && pd && !this.env.assignable(t, pt)) {
        const why = this.env.whyNot(t, pt);
        this.report('CT007', a.span, `argument '${pd.name}' of task '${name}' must be ${this.show(pt)}, got ${this.show(t)}${why ? `: ${why}` : ''}`);
      }
    });
    if (c.policy) this.policy(c.policy, false);
    return task.ret;
  }

  private builtinCall(c: Call, b: Builtin, name: string, element: Type): Type {
    const types = this.args(c.args);
    const problem = arityProblem(b, c.args.length, name);
    if (problem) {
      this.report('CT006', c.span, problem, {
        hint: name.endsWith('sort') && c.args.length > 0 ? 'comparator functions do not exist: sort() orders numbers numerically and strings by code unit' : undefined,
      });
    }
    c.args.forEach((a, i) => {
      const p = b.params[i] ?? (b.params.length && b.params[b.params.length - 1]!.rest ? b.params[b.params.length - 1] : undefined);
      if (!p) return;
      const pt = builtinType(p.type, element);
      const t = types[i]!;
      if (!this.env.assignable(t, pt)) this.report('CT007', a.span, `argument '${p.name}' of ${name} must be ${this.show(pt)}, got ${this.show(t)}`);
    });
    return builtinType(b.returns, element);
  }

  private methodCall(c: Call, callee: Member, recv: Type): Type {
    const ms = this.env.members(recv).filter((m) => m.kind !== 'null' && m.kind !== 'void');
    if (ms.length === 0 || ms.some((m) => m.kind === 'any')) {
      this.args(c.args);
      return ANY;
    }
    const name = callee.property;
    for (const m of ms) {
      if (m.kind === 'string' || (m.kind === 'literal' && typeof m.value === 'string')) {
        const b = methodOf('string', name);
        if (b) return this.builtinCall(c, b, name, ANY);
      } else if (m.kind === 'array' || m.kind === 'tuple') {
        const b = methodOf('array', name);
        const element = m.kind === 'array' ? m.element : m.elements.length ? union(m.elements) : ANY;
        if (b) return this.builtinCall(c, b, name, element);
      }
    }
    const span = this.propertySpan(callee);
    const arrayish = ms.some((m) => m.kind === 'array' || m.kind === 'tuple');
    const [a0] = c.args;
    if (arrayish && name === 'map' && c.args.length === 1 && a0?.kind === 'Identifier' && this.tasks.has(a0.name)) {
      this.report('CT015', c.span, `${this.program.source.slice(c.span.start, c.span.end)} is only allowed inside await Promise.all(…) or Promise.allSettled(…)`, {
        hint: `write await Promise.all(${this.program.source.slice(c.span.start, c.span.end)})`,
      });
      return ANY;
    }
    this.args(c.args);
    const kinds = new Set(ms.map((m) => (m.kind === 'tuple' ? 'array' : m.kind === 'literal' ? typeof m.value : m.kind)));
    const candidates = [...(kinds.has('string') ? Object.keys(BUILTINS.string) : []), ...(kinds.has('array') ? Object.keys(BUILTINS.array) : [])];
    const near = didYouMean(name, candidates);
    let hint: string | undefined;
    if (kinds.has('array') && FUNCTION_METHODS.has(name)) {
      hint = name === 'map' ? 'to run a task for each item write await Promise.all(xs.map(task)); otherwise use a for…of loop' : `there are no callbacks: use a for…of loop instead of ${name}`;
    } else if (!near && (kinds.has('object') || kinds.has('number') || kinds.has('boolean'))) {
      hint = 'values are plain data: only strings and arrays have methods';
    }
    this.report('CT008', span, `unknown method '${name}' of ${this.shortShow(recv)}${near ? ` (did you mean '${near}'?)` : ''}`, { hint });
    return ANY;
  }

  // ---- awaits ----------------------------------------------------------------------------------

  /** `await X`: X must be one of the await shapes of dsl/README.md (CT015). */
  private awaited(aw: Await): Type {
    const t = aw.argument;
    const shapes = 'await a task call, Promise.all([...]) / Promise.all(xs.map(task), { concurrency }), Promise.allSettled(…), sleep(d) or signal(name)';
    if (t.kind !== 'Call') {
      if (t.kind === 'Await') {
        this.report('CT015', t.span, 'await of an await', { hint: 'one await is enough' });
        return this.awaited(t);
      }
      this.expr(t);
      this.report('CT015', t.span, 'only a task call, Promise.all/allSettled, sleep or signal can be awaited', { hint: shapes });
      return ANY;
    }
    const callee = t.callee;
    // A call by a task's name is the task even where a variable has that name (as in the
    // interpreter: calls resolve to tasks, variables are never callable).
    const task = callee.kind === 'Identifier' ? this.tasks.get(callee.name) : undefined;
    if (task) return this.taskCall(t, task);
    if (callee.kind === 'Identifier' && this.scope.lookup(callee.name).state !== 'declared') {
      if (t.policy) this.badPolicy(t);
      if (callee.name === 'sleep') return this.sleepCall(t);
      if (callee.name === 'signal') return this.signalCall(t);
      if (!globalFn(callee.name)) return this.unknownCall(t, callee.name, callee.span);
    }
    if (
      callee.kind === 'Member' &&
      callee.object.kind === 'Identifier' &&
      callee.object.name === 'Promise' &&
      (callee.property === 'all' || callee.property === 'allSettled') &&
      this.scope.lookup('Promise').state === 'missing'
    ) {
      if (t.policy) this.badPolicy(t);
      return this.promiseCall(t, callee.property === 'allSettled');
    }
    this.call(t);
    this.report('CT015', t.span, `${this.program.source.slice(t.callee.span.start, t.callee.span.end)}(…) cannot be awaited: it is not a task`, { hint: shapes });
    return ANY;
  }

  /** `sleep(d)`: one duration, literal ones checked for format and range (CT020). */
  private sleepCall(c: Call): Type {
    if (c.args.length !== 1) this.report('CT006', c.span, `sleep takes 1 argument, got ${c.args.length}`, { hint: 'sleep("5m") or sleep(250) (milliseconds)' });
    const a = c.args[0];
    if (a) this.duration(a, 'sleep');
    c.args.slice(1).forEach((x) => this.expr(x));
    return NULL;
  }

  /** A duration argument (sleep or signal timeout): a string like "5m" or milliseconds. */
  private duration(a: Expression, what: string): void {
    const t = this.expr(a);
    const v = constantScalar(a);
    if (typeof v === 'string' || typeof v === 'number') {
      const d = parseDuration(v);
      if (isDurationError(d)) this.report('CT020', a.span, `${what}: ${d.error}`);
      else if (d <= 0) this.report('CT020', a.span, `${what}: the duration must be more than 0`);
      else if (d > MAX_SLEEP_MS) this.report('CT020', a.span, `${what}: the duration must be at most 3650 days`);
      return;
    }
    if (this.definitelyNot(t, (m) => isStringLike(m) || isNumberLike(m))) {
      this.report('CT007', a.span, `${what} needs a duration (a string like "5m" or milliseconds), got ${this.show(t)}`);
    }
  }

  /** `signal(name)` gives the payload; `signal(name, { timeout })` gives `{ timedOut, payload }`. */
  private signalCall(c: Call): Type {
    if (c.args.length < 1 || c.args.length > 2) {
      this.report('CT006', c.span, `signal takes 1 or 2 arguments, got ${c.args.length}`, { hint: 'signal("approve") or signal("approve", { timeout: "2d" })' });
    }
    const [name, opts, ...rest] = c.args;
    if (name) {
      const t = this.expr(name);
      if (this.definitelyNot(t, isStringLike)) this.report('CT007', name.span, `a signal name must be a string, got ${this.show(t)}`);
      else if (constantScalar(name) === '') this.report('CT007', name.span, 'a signal name must not be empty');
    }
    rest.forEach((x) => this.expr(x));
    if (!opts) return ANY;
    if (opts.kind !== 'ObjectLiteral') {
      this.expr(opts);
      this.report('CT015', opts.span, 'the second argument of signal must be written as { timeout: … }');
      return objectOf({ timedOut: BOOLEAN, payload: ANY });
    }
    let timeout = false;
    if (!opts.properties.some((p) => p.kind === 'Property' && p.key === 'timeout')) {
      this.report('CT015', opts.span, 'signal options must be { timeout: … }', { hint: 'signal("name", { timeout: "2d" }), or leave the options out' });
    }
    for (const p of opts.properties) {
      if (p.kind === 'Property' && p.key === 'timeout') {
        timeout = true;
        this.duration(p.value, 'signal timeout');
      } else {
        if (p.kind === 'Spread') this.expr(p.argument);
        else this.expr(p.value);
        this.report('CT015', p.span, `signal options take only timeout`, { hint: 'signal("name", { timeout: "2d" })' });
      }
    }
    return timeout ? objectOf({ timedOut: BOOLEAN, payload: ANY }) : ANY;
  }

  /** `Promise.all([t1(x), t2(y)])` or `Promise.all(xs.map(task), { concurrency: n })` (and allSettled). */
  private promiseCall(c: Call, isSettled: boolean): Type {
    const fn = isSettled ? 'Promise.allSettled' : 'Promise.all';
    const wrap = (t: Type) => (isSettled ? settled(t) : t);
    const hint = `${fn}([t1(a), t2(b)]) or ${fn}(items.map(task), { concurrency: 5 })`;
    const [list, opts, ...rest] = c.args;
    if (!list || rest.length > 0) {
      this.report('CT006', c.span, `${fn} takes 1 or 2 arguments, got ${c.args.length}`, { hint });
      rest.forEach((x) => this.expr(x));
      if (!list) return ANY;
    }
    if (list.kind === 'ArrayLiteral') {
      const results: Type[] = [];
      for (const el of list.elements) {
        if (el.kind === 'Call' && el.callee.kind === 'Identifier' && this.tasks.has(el.callee.name)) {
          results.push(wrap(this.taskCall(el, this.tasks.get(el.callee.name)!)));
          continue;
        }
        if (el.kind === 'Call' && el.callee.kind === 'Identifier' && !globalFn(el.callee.name) && this.scope.lookup(el.callee.name).state === 'missing') {
          this.unknownCall(el, el.callee.name, el.callee.span);
          results.push(ANY);
          continue;
        }
        if (el.kind === 'Spread') this.expr(el.argument);
        else this.expr(el);
        this.report('CT015', el.span, `${fn}([...]) takes task calls only`, { hint });
        results.push(ANY);
      }
      if (opts) this.fanOutOptions(opts);
      return { kind: 'tuple', elements: results };
    }
    if (list.kind === 'Call' && list.callee.kind === 'Member' && list.callee.property === 'map') {
      const items = this.expr(list.callee.object);
      let ret: Type = ANY;
      const arg = list.args[0];
      if (list.args.length !== 1 || !arg || arg.kind !== 'Identifier') {
        // a task name among the arguments is not "a task used as a variable" here
        list.args.forEach((a) => (a.kind === 'Identifier' && this.tasks.has(a.name) ? undefined : this.expr(a)));
        this.report('CT015', list.span, `${fn}(items.map(task)) takes the name of a task, nothing else`, { hint });
      } else {
        const task = this.tasks.get(arg.name);
        if (!task) {
          if (this.scope.lookup(arg.name).state === 'declared') {
            this.report('CT015', arg.span, `'${arg.name}' is a variable; items.map takes the name of a task`, { hint });
          } else {
            const near = didYouMean(arg.name, this.tasks.keys());
            this.report('CT005', arg.span, `unknown task '${arg.name}'${near ? ` (did you mean '${near}'?)` : ''}`, { hint: near ? undefined : `declare it with task ${arg.name}(item: T): R` });
          }
        } else {
          ret = task.ret;
          if (task.params.length !== 1) {
            this.report('CT006', arg.span, `the fan-out calls '${arg.name}' with one item, but it takes ${task.params.length} argument${task.params.length === 1 ? '' : 's'}`, {
              hint: 'declare the task with exactly one parameter (pass an object to carry more)',
            });
          } else {
            const ms = this.env.members(this.env.nonNull(items));
            if (!ms.some((m) => m.kind === 'any')) {
              const el = this.elementOfQuiet(items);
              if (el === undefined) this.report('CT007', list.callee.object.span, `${fn}(items.map(task)) needs an array, got ${this.show(items)}`);
              else if (!this.env.assignable(el, task.params[0]!)) {
                this.report('CT007', list.callee.object.span, `task '${arg.name}' takes ${this.show(task.params[0]!)}, but the items are ${this.show(el)}`);
              }
            }
          }
        }
      }
      if (opts) this.fanOutOptions(opts);
      return arrayOf(wrap(ret));
    }
    this.expr(list);
    this.report('CT015', c.span, `${fn} takes a list of task calls or items.map(task)`, { hint });
    if (opts) this.expr(opts);
    return ANY;
  }

  private elementOfQuiet(t: Type): Type | undefined {
    const ms = this.env.members(this.env.nonNull(t));
    const parts: Type[] = [];
    for (const m of ms) {
      if (m.kind === 'array') parts.push(m.element);
      else if (m.kind === 'tuple') parts.push(...m.elements);
      else if (m.kind !== 'null') return undefined;
    }
    return parts.length ? union(parts) : ANY;
  }

  /** `{ concurrency: n }` with n a positive whole number (a literal is checked here). */
  private fanOutOptions(opts: Expression): void {
    if (opts.kind !== 'ObjectLiteral') {
      this.expr(opts);
      this.report('CT015', opts.span, 'fan-out options must be written as { concurrency: n }');
      return;
    }
    for (const p of opts.properties) {
      if (p.kind === 'Property' && p.key === 'concurrency') {
        const t = this.expr(p.value);
        const v = constantScalar(p.value);
        if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
          this.report('CT015', p.value.span, `concurrency must be a whole number ≥ 1, got ${JSON.stringify(v)}`);
        } else if (this.definitelyNot(t, isNumberLike)) {
          this.report('CT007', p.value.span, `concurrency must be a number, got ${this.show(t)}`);
        }
      } else {
        if (p.kind === 'Spread') this.expr(p.argument);
        else this.expr(p.value);
        this.report('CT015', p.span, 'fan-out options take only concurrency', { hint: '{ concurrency: 5 }' });
      }
    }
  }
}

// ---- helpers -----------------------------------------------------------------------------------

function isNumberLike(m: Type): boolean {
  return m.kind === 'number' || (m.kind === 'literal' && typeof m.value === 'number');
}
function isStringLike(m: Type): boolean {
  return m.kind === 'string' || (m.kind === 'literal' && typeof m.value === 'string');
}
function isStringLikeType(env: TypeEnv, t: Type): boolean {
  return env.members(t).some(isStringLike);
}
function canBeFalsy(m: Type): boolean {
  return m.kind !== 'array' && m.kind !== 'tuple' && m.kind !== 'object' && !(m.kind === 'literal' && Boolean(m.value));
}
function widenIfLiteral(t: Type): Type {
  return t.kind === 'literal' ? widen(t) : t;
}

/** `while (true)`, `while (1)`: a test that is a truthy literal. */
function isConstantTrue(e: Expression): boolean {
  const v = constantScalar(e);
  return v !== undefined && v !== null && Boolean(v);
}

/** Names a statement list declares directly (not in nested blocks). */
function declaredNames(body: readonly Statement[]): string[] {
  return body.flatMap((s) => (s.kind === 'VarDecl' ? patternNames(s.target) : []));
}

function patternNames(p: Pattern): string[] {
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

/** Can this loop body leave or yield: an await anywhere, a return, or a break of this loop? */
function hasWayOut(s: Statement, depth: number): boolean {
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
    default:
      return assertNever(e, 'expression');
  }
}
