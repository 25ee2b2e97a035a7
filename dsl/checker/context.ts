/**
 * The checker's shared state, and the helpers every part of the pass uses: reporting, showing
 * types, and "is this surely not a number / a string" judgements.
 *
 * One `Ctx` per `check(program)` (built in declarations.ts, wired in index.ts). The parts of the
 * pass are plain functions of it. The two recursive entry points of expressions.ts, `expr` and
 * `call`, are reached through `ctx.expr` / `ctx.call`, so the parts expressions.ts itself uses
 * (properties, calls, awaits, policies) never import it: the modules form no cycle.
 */
import type { ArrowFunction, Call, Expression, FnParam, FunctionDecl, Member, Program, Span, TaskDecl } from '../ast.ts';
import { diagnostic, spanOf, type Diagnostic, type DiagnosticCode, type Severity } from '../diagnostics.ts';
import type { Deployment } from './types.ts';
import type { Scope } from './scope.ts';
import type { Type, TypeEnv } from './types.ts';

/** Something `break` (and for loops `continue`) can leave: a loop, a `switch`, a labeled statement. */
export interface Breakable {
  broke: boolean;
  kind?: 'switch' | 'label';
  labels?: string[];
}

export interface TaskInfo {
  decl: TaskDecl;
  params: Type[];
  ret: Type;
}

/** A top-level helper as callers see it (functions.ts). */
export interface FnInfo {
  decl: FunctionDecl;
  params: Type[];
  /** Arguments a call must give: the parameters up to the last one not marked `?`. */
  minArgs: number;
  /** The written return type, or the one inferred from the body once it is checked (any before). */
  ret: Type;
}

/** The helper or callback whose body is being checked. */
export interface FnContext {
  kind: 'helper' | 'callback';
  /** For messages: `function 'total'`, `the callback of map`. */
  name: string;
  /** Types of its returns so far (a bare `return` is null), to infer an unwritten return type. */
  returns: Type[];
}

/** What checking an arrow function in a callback position gives. */
export interface ArrowResult {
  /** Its return type (declared, or inferred from its body). */
  ret: Type;
  /**
   * The first parameter's type where an expression body is truthy (`x => x !== null` gives x
   * without null): `filter` and `find` give that, as TypeScript infers a type predicate.
   */
  narrowedFirst?: Type;
}

/**
 * What narrowing knows at a point of the pass: refined types of variables and property paths,
 * keyed by binding uid and path (narrowing.ts). Persistent: branches copy, never change in place.
 */
export type Facts = ReadonlyMap<string, Type>;

export interface Ctx {
  readonly program: Program;
  readonly diags: Diagnostic[];
  readonly env: TypeEnv;
  readonly tasks: Map<string, TaskInfo>;
  scope: Scope;
  /**
   * Enclosing loops, switches and labeled statements, innermost last; `broke` is set by a `break`
   * that leaves it. `kind` is absent for a loop; `labels` are the labels written before it.
   */
  readonly loops: Breakable[];
  returnType: Type | undefined;
  /** Set when a statement is `Invalid` (a partial program): a missing return is then not reported. */
  partial: boolean;
  /** Typed signals by constant name: the payload type and where it was first given (CT045). */
  readonly signals: Map<string, { type: Type; span: Span }>;
  /** Narrowed types here (narrowing.ts). */
  flow: Facts;
  /** The helper or callback being checked; undefined in the workflow body. */
  fn: FnContext | undefined;
  /** Top-level helpers by name. */
  readonly functions: Map<string, FnInfo>;
  /** Every name the workflow declares (parameters and variables): a helper using one is CT054. */
  readonly workflowNames: ReadonlySet<string>;
  /** Types of expressions and declared names by node id, when a tool asked (`analyze`: hover). */
  readonly types: Map<number, Type> | undefined;
  /** `checkArrow` of functions.ts: an arrow function in a callback position, given its parameter types; gives its return type. */
  readonly arrow: (fn: ArrowFunction, params: Type[]) => ArrowResult;
  /** `expr` of expressions.ts: the type of an expression where `await` is not allowed. */
  readonly expr: (e: Expression) => Type;
  /** The workflows child starts may name, when the caller knows the deployment (children.ts). */
  readonly deployment?: Deployment;
  /** `call` of expressions.ts: a call that is not directly awaited. */
  readonly call: (c: Call) => Type;
}

// ---- reporting ---------------------------------------------------------------------------------

export function report(ctx: { readonly diags: Diagnostic[] }, code: DiagnosticCode, span: Span, message: string, opts: { severity?: Severity; hint?: string | undefined } = {}): void {
  const o: { severity?: Severity; hint?: string } = {};
  if (opts.severity) o.severity = opts.severity;
  if (opts.hint) o.hint = opts.hint;
  ctx.diags.push(diagnostic(code, span, message, o));
}

/** CT051: an await (or an await-only built-in) inside a helper or callback. */
export function awaitInFunction(ctx: Ctx, span: Span, what: string): void {
  report(ctx, 'CT051', span, `${ctx.fn?.name ?? 'a function'} cannot await (${what}): helpers and callbacks run to completion at once`, {
    hint: 'await in the workflow itself and pass the result in as an argument',
  });
}

/**
 * CT052: a callback changing a variable declared outside it (`total += x`, `out.push(x)`,
 * `o.n = 1`). `target` is what is written; its root variable decides.
 */
export function outerWrite(ctx: Ctx, target: Expression, span: Span, what: string): void {
  if (!ctx.fn) return;
  let e = target;
  while (e.kind === 'Member' || e.kind === 'Index') e = e.object;
  if (e.kind !== 'Identifier' || !ctx.scope.outside(e.name)) return;
  report(ctx, 'CT052', span, `${ctx.fn.name} cannot change '${e.name}': ${what} a variable declared outside it`, {
    hint: 'callbacks read the variables around them but never change them: return a value instead (map, filter, reduce), or use a for…of loop in the workflow',
  });
}

/** A parameter's name for messages (its pattern's text when it destructures). */
export function paramName(ctx: Ctx, p: FnParam, i: number): string {
  if (p.target.kind === 'IdentifierPattern') return p.target.name;
  const text = ctx.program.source.slice(p.target.span.start, p.target.span.end);
  return text.length <= 30 ? text : `#${i + 1}`;
}

/** The span of `.name` in `a.name`: the property itself, where the caret should point. */
export function propertySpan(ctx: Ctx, m: Member): Span {
  const start = Math.max(m.span.start, m.span.end - m.property.length);
  return spanOf(ctx.program.source, start, m.span.end);
}

export function show(ctx: Ctx, t: Type): string {
  return ctx.env.show(t);
}

export function shortShow(ctx: Ctx, t: Type): string {
  const s = show(ctx, t);
  return s.length > 60 ? s.slice(0, 57) + '…' : s;
}

/** Type arguments on a call that takes none (only `signal<T>(…)` takes one): CT043. */
export function noTypeArgs(ctx: Ctx, c: Call, what: string): void {
  if (!c.typeArgs) return;
  const last = c.typeArgs[c.typeArgs.length - 1]!;
  report(ctx, 'CT043', { ...c.typeArgs[0]!.span, end: last.span.end }, `${what} takes no type arguments`, {
    hint: 'only signal<T>(name) takes one (the payload type); annotate the variable instead: const x: T = …',
  });
  c.typeArgs.forEach((t) => ctx.env.fromNode(t));
}

// ---- type judgements ---------------------------------------------------------------------------

/** True when every non-null member of `t` is known and fails `ok` (so a run surely fails). */
export function definitelyNot(ctx: Ctx, t: Type, ok: (m: Type) => boolean): boolean {
  const ms = ctx.env.members(t);
  if (ms.some((m) => m.kind === 'any')) return false;
  const rest = ms.filter((m) => m.kind !== 'null' && m.kind !== 'void');
  if (rest.length === 0) return ms.some((m) => m.kind === 'null'); // `null` alone
  return rest.every((m) => !ok(m));
}

export function isNumberLike(m: Type): boolean {
  return m.kind === 'number' || (m.kind === 'literal' && typeof m.value === 'number');
}
export function isStringLike(m: Type): boolean {
  return m.kind === 'string' || (m.kind === 'literal' && typeof m.value === 'string');
}
export function isStringLikeType(env: TypeEnv, t: Type): boolean {
  return env.members(t).some(isStringLike);
}
