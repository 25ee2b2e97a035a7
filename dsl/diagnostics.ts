/**
 * One diagnostic shape for syntax, check and runtime problems, and one renderer.
 *
 * Takes a span and a message, gives a `Diagnostic` value and its text form:
 *
 *   order.workflow:3:9 error CT005 unknown task 'chargeCrad' (did you mean 'chargeCard'?)
 *     3 |   const p = await chargeCrad(id)
 *       |                   ^^^^^^^^^^
 *
 * Codes are stable (tests and users match on them); add new ones, never renumber.
 * `CS…` syntax, `CT…` check (types, names, structure), `CR…` runtime.
 */
import type { Span } from './ast.ts';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  span: Span;
  /** Optional extra line: what to do instead. */
  hint?: string;
}

/**
 * The stable code table. The comment is the meaning; the message says the particulars.
 * Keep alphabetical within a group; append only.
 */
export const CODES = {
  // syntax (parser)
  CS001: 'syntax error',
  CS002: 'unsupported construct (class, import/export, async or nested function, enum, generics, bitwise operators, new, this, …)',
  CS003: 'the file must declare exactly one workflow',
  CS004: 'invalid literal (number, string, template)',
  CS005: 'source file too large (over MAX_SOURCE_LENGTH, 64 KiB)',
  CS006: 'program nested too deeply (over MAX_NESTING levels of the syntax tree)',
  CS007: 'internal compiler error (a bug in currant: please report it)',
  // check
  CT001: 'undeclared variable',
  CT002: 'variable used before its declaration',
  CT003: 'assignment to a const',
  CT004: 'redeclaration in the same scope',
  CT005: 'unknown task or function',
  CT006: 'wrong number of arguments',
  CT007: 'type mismatch',
  CT008: 'unknown property or method of a known type',
  CT009: 'await in a disallowed position',
  CT010: 'unreachable code',
  CT011: 'loop can spin forever with no await, break or return',
  CT012: 'missing return for a declared return type',
  CT013: 'a workflow cannot call a workflow',
  CT014: 'invalid task policy',
  CT015: 'invalid await target',
  CT016: 'break or continue outside a loop',
  CT017: 'invalid assignment target',
  CT018: 'unknown type name',
  CT019: 'duplicate declaration (type, task or parameter)',
  CT020: 'invalid duration',
  CT021: 'task call without await (no longer reported: a call without await makes a handle, CT030)',
  CT022: 'circular type alias',
  CT030: 'a handle that is never awaited nor kept (its result is ignored)',
  CT031: 'a handle used as a plain value (passed to a task, returned, compared, read or computed with), or Promise<T> in a type at the instance\'s edge',
  CT032: 'await of a value that is not a handle (it gives the value itself)',
  CT033: 'invalid timestamp (sleepUntil and the date functions take ISO timestamps)',
  CT034: 'invalid signal names (a non-empty list of non-empty strings)',
  CT035: 'Promise.race of an empty list never settles',
  CT036: 'the key $handle is reserved for handles',
  CT040: 'type assertion between types that do not overlap (`x as T`)',
  CT041: 'a JavaScript or Node.js global that workflows do not have (with what to write instead)',
  CT042: 'write to something readonly (a readonly array, tuple or field)',
  CT043: 'type arguments where none are taken (only signal<T>(name) takes one)',
  CT044: 'unknown label, or continue to a label that is not a loop',
  CT045: 'one signal name awaited with two different payload types',
  // check: helpers and callbacks (tstypes)
  CT050: 'a function used as a value (an arrow function or a helper stored, returned or passed anywhere but to an array method)',
  CT051: 'await or a task call inside a helper or callback',
  CT052: 'a callback changes a variable declared outside it',
  CT053: 'a helper calls itself (recursion), directly or through others',
  CT054: "a helper uses the workflow's variable",
  CT055: 'helpers and callbacks nested too deeply (over MAX_CALL_DEPTH)',
  CT056: 'not a function where an array method needs one',
  // check: child workflows (children)
  CT070: 'unknown child workflow (not part of the deployment)',
  CT071: "a child workflow's input does not match its parameters",
  CT072: 'invalid child workflow start (arguments or options)',
  CT073: '`workflows` used other than to start a child workflow',
  // runtime
  CR001: 'property access on null',
  CR002: 'operand of the wrong type',
  CR003: 'not a finite number (division by zero, overflow, NaN)',
  CR004: 'index out of range or not an integer',
  CR005: 'step budget exhausted: statements plus built-in work (runaway loop?)',
  CR006: 'execution state too large',
  CR007: 'task failed permanently',
  CR008: 'invalid argument to a built-in',
  CR009: 'input does not match the workflow parameters',
  CR010: 'invalid sleep or signal argument',
  CR011: 'destructuring mismatch',
  CR012: 'invalid JSON',
  CR013: 'value nested too deeply',
  CR014: 'string or array too long',
  CR015: 'memory budget of one activation exhausted',
  CR016: 'time budget of one activation exhausted',
  CR017: 'uncaught throw (a value thrown by the workflow that no catch took)',
  CR020: 'a value holds the key $handle, reserved for handles (from outside, or written by the workflow)',
  CR021: 'too many outstanding handles',
  CR022: 'Promise.race of an empty list never settles',
  CR023: 'Promise.any: every handle was rejected (AggregateError)',
  // runtime: child workflows (children)
  CR040: 'a child workflow failed or was cancelled',
  CR041: 'the child workflow is not part of the deployment',
  CR042: 'the child workflow could not be started (its input does not fit, or its id is taken by another start)',
  CR043: 'invalid child workflow start (input not an object, bad id or options)',
  CR044: 'this engine does not run child workflows',
  // runtime: helpers and callbacks (tstypes)
  CR035: 'helpers and callbacks nested too deeply at run time (over MAX_CALL_DEPTH: recursion in an unchecked program)',
} as const;

export type DiagnosticCode = keyof typeof CODES;

/** 1-based line and column of a 0-based offset. */
export function lineCol(source: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: end - lineStart + 1 };
}

/** Builds a span from offsets. */
export function spanOf(source: string, start: number, end: number): Span {
  const { line, col } = lineCol(source, start);
  return { start, end, line, col };
}

export function diagnostic(
  code: DiagnosticCode,
  span: Span,
  message: string,
  opts: { severity?: Severity; hint?: string } = {},
): Diagnostic {
  const d: Diagnostic = { code, severity: opts.severity ?? 'error', message, span };
  if (opts.hint) d.hint = opts.hint;
  return d;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `file:line:col` */
export function location(file: string, span: Span): string {
  return `${file}:${span.line}:${span.col}`;
}

/**
 * Renders one diagnostic as text: a header line, the source line and a caret under the span.
 * `color` wraps parts for terminals; the default is plain text.
 */
export function renderDiagnostic(
  d: Diagnostic,
  source: string,
  file: string,
  color: { error: (s: string) => string; warning: (s: string) => string; dim: (s: string) => string } = {
    error: (s) => s,
    warning: (s) => s,
    dim: (s) => s,
  },
): string {
  const lines = source.split('\n');
  const text = (lines[d.span.line - 1] ?? '').replace(/\r$/, '');
  const gutter = String(d.span.line);
  const pad = ' '.repeat(gutter.length);
  const width = Math.max(1, Math.min(d.span.end - d.span.start, text.length - d.span.col + 1));
  const paint = d.severity === 'error' ? color.error : color.warning;
  const out = [
    `${location(file, d.span)} ${paint(`${d.severity} ${d.code}`)} ${d.message}`,
    color.dim(`${gutter} | `) + text,
    color.dim(`${pad} | `) + ' '.repeat(Math.max(0, d.span.col - 1)) + paint('^'.repeat(width)),
  ];
  if (d.hint) out.push(color.dim(`${pad} = `) + `hint: ${d.hint}`);
  return out.join('\n');
}

export function renderDiagnostics(ds: readonly Diagnostic[], source: string, file: string): string {
  return ds.map((d) => renderDiagnostic(d, source, file)).join('\n\n');
}
