/**
 * Runs every example of docs/language.md: each ```workflow block must compile (or give the
 * diagnostics its `<!-- diagnostics: … -->` comment names) and each `<!-- run: … -->` comment after
 * it is executed with the corpus driver (virtual time: test/dsl/corpus/README.md) and must give its
 * result, error or `cancelled` message (and its `logs` and task `calls`, when named).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCase, runCase, type Case } from '../dsl/corpus/run.ts';

const doc = readFileSync(join(import.meta.dirname, '../../docs/language.md'), 'utf8');

interface Example {
  line: number;
  source: string;
  runs: {
    input?: Record<string, never>;
    tasks?: Record<string, never[]>;
    signals?: Record<string, never>;
    events?: Case['events'];
    result?: unknown;
    error?: string;
    cancelled?: string;
    calls?: string[];
    logs?: string[];
  }[];
  diagnostics?: string[];
}

function examples(): Example[] {
  const out: Example[] = [];
  const re = /```workflow\n([\s\S]*?)```\n((?:<!-- (?:run|diagnostics): .*? -->\n)*)/g;
  for (const m of doc.matchAll(re)) {
    const line = doc.slice(0, m.index).split('\n').length;
    const ex: Example = { line, source: m[1]!, runs: [] };
    for (const c of m[2]!.matchAll(/<!-- (run|diagnostics): (.*?) -->/g)) {
      if (c[1] === 'run') ex.runs.push(JSON.parse(c[2]!));
      else ex.diagnostics = c[2]!.split(/\s+/).filter(Boolean);
    }
    out.push(ex);
  }
  return out;
}

const all = examples();

describe('docs/language.md examples', () => {
  it('has examples, and every one is either run or expects diagnostics', () => {
    expect(all.length).toBeGreaterThanOrEqual(15);
    for (const ex of all) expect(ex.runs.length > 0 || ex.diagnostics !== undefined, `example at line ${ex.line}`).toBe(true);
  });

  for (const ex of all) {
    it(`example at docs/language.md:${ex.line}`, () => {
      const base: Case = { file: 'language.md', name: `line-${ex.line}`, line: ex.line, source: ex.source, input: {}, tasks: {}, signals: {} };
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
