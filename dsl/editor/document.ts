/**
 * One editor document: its diagnostics, and a program to look things up in even while the text
 * does not parse.
 *
 * Takes the text and a file name; gives every diagnostic of the text as it is (the same list
 * `compile` gives, never a throw) and, for hover, definitions and completion, a `Program` whose
 * offsets are the text's own: the text's parse when it parses, otherwise the parse of the text with
 * the lines holding syntax errors blanked out (spaces, so every offset stays put), and its analysis.
 *
 *   const doc = openDocument('task t(): number\nworkflow w() {\n  const x = = 1\n  return await t()\n}', 'w.workflow')
 *   doc.diagnostics       // => [{ code: 'CS001', span: 3:13 … }]   (the text as it is)
 *   doc.program           // => the program without line 3: hover and go-to-definition still work
 *   doc.partial           // => true
 *
 * The parser recovers per statement and gives a partial program with its syntax errors
 * (dsl/parser.ts); that program is used as it is, checked as `compile` checks it. Blanking lines is
 * the fallback when the parser gives nothing (an unclosed header, a broken declaration): blanking
 * the broken line and parsing again keeps every offset, so what the editor asks about still points
 * at the same text.
 */
import type { Program } from '../ast.ts';
import { analyze, type Analysis, type CheckOptions, type Deployment } from '../checker/index.ts';
import { diagnostic, type Diagnostic } from '../diagnostics.ts';
import { parse } from '../parser.ts';

export interface EditorDocument {
  source: string;
  file: string;
  /** Every problem of the text as it is, sorted by position: what `compile` reports. */
  diagnostics: Diagnostic[];
  /** A program at the text's own offsets (see above); absent when nothing could be parsed. */
  program?: Program;
  /** The checker's view of `program`: types by node id (hover, completion). */
  analysis?: Analysis;
  /** `program` comes from the text with the lines of syntax errors blanked out. */
  partial: boolean;
  /** The deployment it was checked against (child starts, `workflows.<name>`), when one was given. */
  workflows?: Deployment;
}

/** How many broken lines are blanked, one parse each, before giving up on a program. */
export const MAX_BLANKED_LINES = 4;
/** Over this many characters a broken text is not parsed again (each parse costs ~25 ms per KB). */
export const MAX_RECOVERY_LENGTH = 24 * 1024;

/**
 * Parses and checks `source` for an editor. Never throws. `options.workflows`: the deployment child
 * workflow starts are checked against (the language server passes the files beside the document).
 */
export function openDocument(source: string, file = 'workflow.workflow', options: CheckOptions = {}): EditorDocument {
  const doc = openUnsafe(source, file, options);
  return options.workflows ? { ...doc, workflows: options.workflows } : doc;
}

function openUnsafe(source: string, file: string, options: CheckOptions): EditorDocument {
  try {
    const parsed = parse(source, file);
    // The parser recovers per statement: with syntax errors it still gives the partial program,
    // which the checker reads as `compile` does, so the editor shows every problem at once.
    const program = parsed.program ?? parsed.partial;
    if (program) {
      const analysis = analyze(program, options);
      const diagnostics = [...parsed.diagnostics, ...analysis.diagnostics].sort((a, b) => a.span.start - b.span.start);
      return { source, file, diagnostics, program, analysis, partial: !parsed.program || parsed.diagnostics.length > 0 };
    }
    const recovered = recoverProgram(source, file, parsed.diagnostics);
    if (!recovered) return { source, file, diagnostics: parsed.diagnostics, partial: true };
    return { source, file, diagnostics: parsed.diagnostics, program: recovered, analysis: analyze(recovered, options), partial: true };
  } catch (e) {
    const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { source, file, diagnostics: [diagnostic('CS007', { start: 0, end: 0, line: 1, col: 1 }, `internal checker error, please report: ${detail}`)], partial: true };
  }
}

/** Replaces every character of line `line` (1-based) but the line break with a space. */
export function blankLine(source: string, line: number): string {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = source.indexOf('\n', start);
    if (nl < 0) return source;
    start = nl + 1;
  }
  let end = source.indexOf('\n', start);
  if (end < 0) end = source.length;
  return source.slice(0, start) + source.slice(start, end).replace(/[^\r]/g, ' ') + source.slice(end);
}

/**
 * A program from `source` with the lines of its syntax errors blanked out, one at a time, at most
 * `MAX_BLANKED_LINES`; undefined when that does not give one (or the text is too long to retry,
 * or the errors are not syntax errors at a line: CS005, CS006, CS007).
 */
export function recoverProgram(source: string, file: string, diagnostics: Diagnostic[], keepLine?: number): Program | undefined {
  if (source.length > MAX_RECOVERY_LENGTH) return undefined;
  let text = source;
  let diags = diagnostics;
  for (let i = 0; i < MAX_BLANKED_LINES; i++) {
    const d = diags.find((x) => x.severity === 'error');
    if (!d || d.code === 'CS005' || d.code === 'CS006' || d.code === 'CS007' || d.span.line === keepLine) return undefined;
    const next = blankLine(text, d.span.line);
    if (next === text) return undefined;
    text = next;
    const parsed = parse(text, file);
    if (parsed.program) {
      // The text differs from the source in the blanked lines only; the program must read the source.
      parsed.program.source = source;
      return parsed.program;
    }
    diags = parsed.diagnostics;
  }
  return undefined;
}
