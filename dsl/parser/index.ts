/**
 * The currant parser: source text in, AST (dsl/ast.ts) and syntax diagnostics out. The parser folder
 * is the only part of currant that imports ohm-js; the grammar lives in `grammar/currant.ohm` and is
 * loaded once, at module init (grammar.ts). This module owns the entry point, `parse`, and the
 * parser's public exports.
 *
 *   parse('workflow w() { return 1 }')
 *   // => { program: { kind: 'Program', workflow: { kind: 'WorkflowDecl', ... }, nodeCount: 5 }, diagnostics: [] }
 *   parse('workflow w() { return ) }')
 *   // => { diagnostics: [{ code: 'CS001', message: 'expected an expression, ";", "}" or a new line', ... }] }
 *
 * Two stages, as in Shopify's liquid-html-parser: ohm's match tree → our AST (semantic action `ast`,
 * semantics.ts with actions/*.ts), then one pass that numbers the nodes in source order (pre-order,
 * ids.ts), so ids are a pure function of the text. `parse` never throws. Rejected constructs
 * (classes, nested or async functions, …) are parsed by grammar alternatives that exist only to be
 * reported as CS002 with what to do instead; literal problems are CS004; a missing or second
 * `workflow` is CS003. `program` is present only when there is no diagnostic at all.
 *
 * Syntax errors, all in one pass (recovery): when the grammar `Currant` does not match, the source
 * is matched again with `CurrantTolerant` (the same grammar plus recovery alternatives, see the end
 * of currant.ohm; recovery.ts), which skips each broken statement (to the end of its line, a `;` or
 * the `}` of its block, brackets balanced), each broken `if`/`while`/`for`/`switch` header, case test or
 * workflow header, each broken top-level declaration (to the next line that starts one) and a
 * missing `}`. For every skipped part the parser asks `Currant` why it failed, by matching the rule
 * that failed there (a statement, a declaration) on the text from that point: that gives the same
 * "expected …" message (CS001) a file with only that error would get. Then `partial` is the
 * program of what parsed: each skipped statement is an `Invalid` node (declaring the names a broken
 * `const x = …` introduced), so the checker can report what else is wrong (dsl/index.ts `compile`).
 * At most MAX_SYNTAX_ERRORS are reported.
 */
import * as ohm from 'ohm-js';
import type * as A from '../ast.ts';
import { diagnostic, type Diagnostic } from '../diagnostics.ts';
import { grammar, tolerant } from './grammar.ts';
import { MESSAGES } from './messages.ts';
import { MAX_NESTING, MAX_SOURCE_LENGTH } from './limits.ts';
import { ctx, lineStartsOf, setCtx, span } from './context.ts';
import { semantics } from './semantics.ts';
import { explainRecovered, tolerantSemantics } from './recovery.ts';
import { numberNodes } from './ids.ts';
import { syntaxError } from './syntax-errors.ts';

export { grammarRecipe } from './grammar.ts';
export { MESSAGES } from './messages.ts';
export { MAX_NESTING, MAX_SOURCE_LENGTH, MAX_SYNTAX_ERRORS } from './limits.ts';

export interface ParseResult {
  /** Present only when `diagnostics` is empty. */
  program?: A.Program;
  /**
   * When there are diagnostics: the program of what parsed, with `Invalid` nodes standing for what
   * did not (or is not supported), for the checker and editors. Never run it. Absent when no
   * workflow declaration could be read, or the source is over a limit (CS005, CS006).
   */
  partial?: A.Program;
  diagnostics: Diagnostic[];
}

/** The tolerant grammar's match, or undefined when it ran out of stack. */
function tolerantMatch(source: string): ohm.MatchResult | undefined {
  try {
    return tolerant.match(source);
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}

/** Diagnostics by position, one per position and code (recovery may find one error twice). */
function sorted(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of [...ds].sort((a, b) => a.span.start - b.span.start)) {
    const key = `${d.span.start}:${d.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** Parses a `.workflow` source. Never throws. */
export function parse(source: string, file = 'workflow.workflow'): ParseResult {
  if (typeof source !== 'string') source = String(source);
  if (source.length > MAX_SOURCE_LENGTH) {
    return {
      diagnostics: [
        diagnostic('CS005', { start: 0, end: 0, line: 1, col: 1 }, `the source is ${source.length} characters long; the limit is ${MAX_SOURCE_LENGTH} (64 KiB): split the workflow or move data into its input`),
      ],
    };
  }
  const saved = setCtx({ source, lineStarts: lineStartsOf(source), diagnostics: [], recovered: [], typeParams: new Set() });
  try {
    // One match with the tolerant grammar: on a valid source it gives exactly `Currant`'s tree (its
    // recovery alternatives come last and are taken only where `Currant` has no way on), so a
    // source without syntax errors pays for one match; a broken one gets every error from it.
    let program: A.Program;
    const match = tolerantMatch(source);
    if (match?.succeeded()) {
      program = tolerantSemantics(match).ast() as A.Program;
      explainRecovered();
    } else {
      // Recovery needs more stack than `Currant` alone (brackets nested hundreds deep), or (not
      // expected) it failed: then the first error only, as the parser gave before it recovered.
      ctx.diagnostics = [];
      ctx.recovered = [];
      const strict = grammar.match(source);
      if (strict.failed()) return { diagnostics: [syntaxError(strict, source)] };
      program = semantics(strict).ast() as A.Program;
    }
    program.file = file;
    const numbered = numberNodes(program);
    if (numbered.tooDeep) {
      const at = numbered.tooDeep.span;
      return { diagnostics: [...sorted(ctx.diagnostics), diagnostic('CS006', span(at.start, Math.min(at.end, at.start + 1)), `the program is nested more than ${MAX_NESTING} levels deep here: split the expression with intermediate variables`)] };
    }
    program.nodeCount = numbered.count;
    if (ctx.diagnostics.length > 0) {
      const diagnostics = sorted(ctx.diagnostics);
      return program.workflow ? { partial: program, diagnostics } : { diagnostics };
    }
    return { program, diagnostics: [] };
  } catch (e) {
    // Deep nesting overflows ohm's recursive matcher; anything else here is a parser bug, still
    // reported as a diagnostic rather than thrown (callers rely on `parse` never throwing).
    if (e instanceof RangeError) return { diagnostics: [diagnostic('CS006', span(0, 0), MESSAGES.tooDeep)] };
    return { diagnostics: [diagnostic('CS007', span(0, 0), `internal parser error, please report: ${(e as Error)?.message ?? String(e)}`)] };
  } finally {
    setCtx(saved);
  }
}
