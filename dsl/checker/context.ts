/**
 * The checker's shared state, and the helpers every part of the pass uses: reporting, showing
 * types, and "is this surely not a number / a string" judgements.
 *
 * One `Ctx` per `check(program)` (built in declarations.ts, wired in index.ts). The parts of the
 * pass are plain functions of it. The two recursive entry points of expressions.ts, `expr` and
 * `call`, are reached through `ctx.expr` / `ctx.call`, so the parts expressions.ts itself uses
 * (properties, calls, awaits, policies) never import it: the modules form no cycle.
 */
import type { Call, Expression, Member, Program, Span, TaskDecl } from '../ast.ts';
import { diagnostic, spanOf, type Diagnostic, type DiagnosticCode, type Severity } from '../diagnostics.ts';
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
  /** `expr` of expressions.ts: the type of an expression where `await` is not allowed. */
  readonly expr: (e: Expression) => Type;
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
