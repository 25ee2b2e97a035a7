/**
 * The public API of the currant language core. Small on purpose: parse, check (and `analyze`: check
 * plus the type of every expression, for editors), compile, start/resume, graph, and the types and
 * renderers around them.
 *
 *   const { program, diagnostics } = compile(source, 'order.workflow');
 *   if (!program) console.error(renderDiagnostics(diagnostics, source, 'order.workflow'));
 */
import type { Program } from './ast.ts';
import { check, type CheckOptions } from './checker/index.ts';
import { diagnostic, hasErrors, type Diagnostic } from './diagnostics.ts';
import { parse } from './parser.ts';

export type * from './ast.ts';
export * from './diagnostics.ts';
export * from './interpreter/types.ts';
export { parse, MAX_SOURCE_LENGTH, MAX_NESTING, MAX_SYNTAX_ERRORS } from './parser.ts';
export { analyze, check, checkInput, checkValue, deploymentOf, signatureOf, type Analysis, type CheckOptions, type Deployment, type WorkflowSignature } from './checker/index.ts';
export { start, resume, waitingFor, signalWaits, variablesOf, upgradeState, declaredPolicy, type Waiting } from './interpreter/index.ts';
export {
  admitSignal,
  checkSignal,
  signalType,
  type PayloadCheck,
  HANDLE_KEY,
  holdsHandleKey,
  MAX_HANDLES,
  MAX_DEPTH,
  MAX_LOG_LINES,
  MAX_LOG_MESSAGE,
  DEFAULT_MAX_STEPS,
  DEFAULT_MAX_STATE_BYTES,
  DEFAULT_MAX_STRING_LENGTH,
  DEFAULT_MAX_ARRAY_LENGTH,
  DEFAULT_MAX_ACTIVATION_BYTES,
  DEFAULT_MAX_ACTIVATION_MS,
  DEFAULT_MAX_BUFFERED_SIGNALS,
  DEFAULT_MAX_BUFFERED_SIGNAL_BYTES,
  type Admission,
  type SignalLimits,
  type SignalRefusal,
} from './interpreter/index.ts';
export { parseDuration, formatDuration, humanDuration, roughDuration } from './duration.ts';
export { toGraph, toMermaid, toDot } from './graph.ts';
export { programHash } from './hash.ts';

export interface Compiled {
  /** Present when there are no errors (warnings allowed). */
  program?: Program;
  diagnostics: Diagnostic[];
}

/**
 * Parse and check in one go: the program only when it has no error. Never throws: the parser and
 * the checker bound their input (CS005 size, CS006 nesting); an exception past those is a bug,
 * reported as CS007 at 1:1 rather than thrown at the caller.
 */
export function compile(source: string, file = 'workflow.workflow', options: CheckOptions = {}): Compiled {
  try {
    return compileUnsafe(source, file, options);
  } catch (e) {
    const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { diagnostics: [diagnostic('CS007', { start: 0, end: 0, line: 1, col: 1 }, `internal checker error, please report: ${detail}`)] };
  }
}

/**
 * Parse, then check what parsed: with syntax errors, the checker still reads the partial program
 * (parser.ts), so one pass reports every problem of the file, not just the first syntax error.
 */
function compileUnsafe(source: string, file: string, options: CheckOptions): Compiled {
  const parsed = parse(source, file);
  const program = parsed.program ?? parsed.partial;
  if (!program) return { diagnostics: parsed.diagnostics };
  const diagnostics = [...parsed.diagnostics, ...check(program, options)];
  diagnostics.sort((a, b) => a.span.start - b.span.start);
  return parsed.program && !hasErrors(diagnostics) ? { program: parsed.program, diagnostics } : { diagnostics };
}
