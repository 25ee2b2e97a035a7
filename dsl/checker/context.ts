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
  /** Enclosing loops, innermost last; `broke` is set by a `break` that leaves that loop. */
  readonly loops: { broke: boolean }[];
  returnType: Type | undefined;
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
