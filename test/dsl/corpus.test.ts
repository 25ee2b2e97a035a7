/**
 * Runs the language corpus (test/dsl/corpus/*.cases): diagnostics, results, runtime errors and task
 * calls, each case straight through and with the state JSON round-tripped at every await.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCase, formatDiagnostic, loadCases, runCase } from './corpus/run.ts';
import { parse } from '../../dsl/index.ts';

const cases = loadCases(join(import.meta.dirname, 'corpus'));

describe('language corpus', () => {
  it('has at least 150 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
  });

  for (const c of cases) {
    it(`${c.file}: ${c.name}`, () => {
      const { program, diagnostics } = compileCase(c);
      if (c.diagnostics) {
        const all = program ? diagnostics : [...diagnostics];
        expect(all.map(formatDiagnostic)).toEqual(c.diagnostics);
        if (!program || (!c.result && !c.error)) return;
      } else {
        expect(diagnostics.map(formatDiagnostic), 'unexpected diagnostics').toEqual([]);
      }
      expect(program, 'program compiles').toBeDefined();
      const straight = runCase(c, program!, { roundTrip: false });
      const resumed = runCase(c, parse(c.source, `${c.name}.workflow`).program!, { roundTrip: true });
      expect(resumed).toEqual(straight);
      if (c.result) {
        // a cancelled workflow that returned keeps its value (cancel.cases)
        if (c.cancelled === undefined) expect(straight.error ? `${straight.error}: ${straight.errorMessage}` : straight.status).toBe('completed');
        expect(straight.result).toEqual(c.result.value);
      }
      if (c.error) {
        expect(straight.status).toBe('failed');
        expect(straight.error).toBe(c.error);
      }
      if (c.cancelled !== undefined) {
        expect(straight.status, `${straight.error}: ${straight.errorMessage}`).toBe('cancelled');
        expect(straight.errorMessage).toBe(c.cancelled);
      }
      if (c.calls) expect(straight.calls).toEqual(c.calls);
      if (c.logs) expect(straight.logs).toEqual(c.logs);
      if (!c.result && !c.error && !c.diagnostics && c.cancelled === undefined) throw new Error('case expects nothing: add --- result, --- error, --- cancelled or --- diagnostics');
    });
  }
});
