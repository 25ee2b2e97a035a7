/**
 * The executable examples of a Markdown document: every ```workflow block, each followed by
 * `<!-- run: {…} -->` comments (input, scripted task results and signals, and the expected result,
 * error or `cancelled` message, log lines and task calls; `events` to deliver) or one `<!-- diagnostics: CODE … -->` comment. Runs them with
 * the corpus driver (test/dsl/corpus/run.ts), the state going through JSON at every await. Used
 * by test/docs/language.test.ts and test/docs/migrating.test.ts.
 *
 *   describeExamples('docs/migrating.md', { atLeast: 10 });
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCase, runCase, type Case } from '../dsl/corpus/run.ts';

const ROOT = join(import.meta.dirname, '../..');

export interface Run {
  input?: Record<string, never>;
  tasks?: Record<string, never[]>;
  signals?: Record<string, never>;
  /** Events delivered as they are (a cancel, a signal before anybody waits for it). */
  events?: Case['events'];
  result?: unknown;
  /** The instance ends cancelled, with this message. */
  cancelled?: string;
  /** `CODE line:col` of the failure. */
  error?: string;
  /** The failure's message, when named. */
  message?: string;
  logs?: string[];
  /** The task calls in order, `name(args as JSON)` each. */
  calls?: string[];
}

export interface Example {
  line: number;
  source: string;
  runs: Run[];
  diagnostics?: string[];
}

/** The ```workflow blocks of `doc` with the comments right after each. */
export function examplesOf(doc: string): Example[] {
  const out: Example[] = [];
  const re = /```workflow\n([\s\S]*?)```\n((?:<!-- (?:run|diagnostics): .*? -->\n)*)/g;
  for (const m of doc.matchAll(re)) {
    const line = doc.slice(0, m.index).split('\n').length;
    const ex: Example = { line, source: m[1]!, runs: [] };
    for (const c of m[2]!.matchAll(/<!-- (run|diagnostics): (.*?) -->/g)) {
      if (c[1] === 'run') ex.runs.push(JSON.parse(c[2]!) as Run);
      else ex.diagnostics = c[2]!.split(/\s+/).filter(Boolean);
    }
    out.push(ex);
  }
  return out;
}

/** A describe block running every example of the document at `path` (relative to the repository). */
export function describeExamples(path: string, { atLeast }: { atLeast: number }): void {
  const doc = readFileSync(join(ROOT, path), 'utf8');
  const all = examplesOf(doc);
  describe(`${path} examples`, () => {
    it('has examples, and every one is either run or expects diagnostics', () => {
      expect(all.length).toBeGreaterThanOrEqual(atLeast);
      for (const ex of all) expect(ex.runs.length > 0 || ex.diagnostics !== undefined, `example at line ${ex.line}`).toBe(true);
    });

    for (const ex of all) {
      it(`example at ${path}:${ex.line}`, () => {
        const base: Case = { file: path, name: `line-${ex.line}`, line: ex.line, source: ex.source, input: {}, tasks: {}, signals: {} };
        const { program, diagnostics } = compileCase(base);
        if (ex.diagnostics) {
          expect([...new Set(diagnostics.map((d) => d.code))]).toEqual(ex.diagnostics);
          return;
        }
        expect(diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`)).toEqual([]);
        for (const run of ex.runs) {
          const c: Case = { ...base, input: run.input ?? {}, tasks: run.tasks ?? {}, signals: run.signals ?? {} };
          if (run.events) c.events = run.events;
          const outcome = runCase(c, program!, { roundTrip: true });
          if (run.cancelled !== undefined) {
            expect(outcome.status, `${outcome.error}: ${outcome.errorMessage}`).toBe('cancelled');
            expect(outcome.errorMessage).toBe(run.cancelled);
          } else if (run.error) {
            expect(outcome.status).toBe('failed');
            expect(outcome.error).toBe(run.error);
            if (run.message !== undefined) expect(outcome.errorMessage).toBe(run.message);
          } else {
            expect(outcome.error ? `${outcome.error}: ${outcome.errorMessage}` : outcome.status).toBe('completed');
            expect(outcome.result).toEqual(run.result);
          }
          if (run.logs) expect(outcome.logs).toEqual(run.logs);
          if (run.calls) expect(outcome.calls).toEqual(run.calls);
        }
      });
    }
  });
}
