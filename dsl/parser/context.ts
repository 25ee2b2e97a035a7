/**
 * Per-parse context: the source, its line table, the diagnostics and skipped parts of the parse under
 * way (`ctx`), and the small helpers every semantic action uses to build nodes with spans (`mk`,
 * `span`), report (`report`, `reject`) and read ohm nodes (`opt`, `list`, `caseOf`). `parse` is
 * synchronous and not re-entrant, so one module-level slot is enough; `setCtx` swaps it.
 */
import * as ohm from 'ohm-js';
import type * as A from '../ast.ts';
import { diagnostic, type Diagnostic, type DiagnosticCode } from '../diagnostics.ts';

/** A part the tolerant grammar skipped: where, and which `Currant` rule failed there (its message says why). */
export interface Recovered {
  start: number;
  rule: 'StmtProbe' | 'TopProbe' | 'CaseProbe';
}

export interface Ctx {
  source: string;
  lineStarts: number[];
  diagnostics: Diagnostic[];
  recovered: Recovered[];
  /** The (rejected) generic parameters of the declaration being read: they read as `any`. */
  typeParams: Set<string>;
}

export let ctx: Ctx = { source: '', lineStarts: [0], diagnostics: [], recovered: [], typeParams: new Set() };

/** Makes `next` the context of the parse under way; returns the one it replaces (to restore it). */
export function setCtx(next: Ctx): Ctx {
  const previous = ctx;
  ctx = next;
  return previous;
}

export function lineStartsOf(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** Like `spanOf` from diagnostics.ts, but O(log lines) with the line table of this parse. */
export function span(start: number, end: number): A.Span {
  const starts = ctx.lineStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= start) lo = mid;
    else hi = mid - 1;
  }
  return { start, end, line: lo + 1, col: start - starts[lo]! + 1 };
}

export function spanNode(n: ohm.Node): A.Span {
  return span(n.source.startIdx, n.source.endIdx);
}

export function report(code: DiagnosticCode, s: A.Span, message: string): void {
  ctx.diagnostics.push(diagnostic(code, s, message));
}

/** Node ids are assigned afterwards, in source order (see `numberNodes`). */
export function mk<K extends string, F extends object>(kind: K, n: ohm.Node, fields: F): { kind: K; id: number; span: A.Span } & F {
  return { kind, id: -1, span: spanNode(n), ...fields };
}

/** A rejected construct: reports CS002 and an `Invalid` node stands in for it (in the partial program). */
export function reject(n: ohm.Node, message: string, at: ohm.Node = n): any {
  report('CS002', spanNode(at), message);
  return mk('Invalid', n, {});
}

/** A rejected type: reports CS002; `any` stands in for it. */
export function rejectType(n: ohm.Node, message: string, at: ohm.Node = n): A.TypeNode {
  report('CS002', spanNode(at), message);
  return mk('PrimitiveType', n, { name: 'any' as const });
}

/** Ends a node's span before its statement terminator (`;` or the line break that `sc` consumed). */
export function untilTerminator<T extends { span: A.Span }>(node: T, sc: ohm.Node): T {
  node.span = { ...node.span, end: sc.source.startIdx };
  return node;
}

export function opt(iter: ohm.Node): any {
  return iter.children.length > 0 ? iter.children[0]!.ast() : undefined;
}

/** The case name (`Rule_case`) of a rule node such as a list item. */
export function caseOf(n: ohm.Node): string {
  return n.ctorName.includes('_') ? n.ctorName : (n.children[0]?.ctorName ?? n.ctorName);
}

export function list(listOf: ohm.Node): any[] {
  return listOf.asIteration().children.map((c: ohm.Node) => c.ast());
}
