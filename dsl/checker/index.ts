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
 *
 * The pass is split by concern, one file each (see README.md); this file builds its context and
 * wires the parts together.
 */
import type { Program } from '../ast.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { Ctx } from './context.ts';
import { checkProgram, createContext } from './declarations.ts';
import { call, expr } from './expressions.ts';

export { checkInput, checkValue } from './input.ts';

/** All diagnostics of a program, sorted by position. Never throws on a well-formed AST. */
export function check(program: Program): Diagnostic[] {
  const ctx: Ctx = createContext(program, { expr: (e) => expr(ctx, e), call: (c) => call(ctx, c) });
  const diags = checkProgram(ctx);
  return diags.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
}
