// Quick slice of the interpreter fuzz target (fuzz/targets/interpreter.ts); `npm run fuzz` runs it long.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRun, interpreterRuns, seedPrograms } from '../../fuzz/targets/interpreter.ts';

describe('interpreter fuzz (quick slice)', () => {
  it('runs mutated corpus programs on hostile inputs, results and signals without an escaped exception', () => {
    expect(seedPrograms().length).toBeGreaterThan(100);
    const seen = new Set<string>();
    fc.assert(fc.property(interpreterRuns, (r) => void seen.add(checkRun(r))), { numRuns: 300 });
    // The slice really ran programs to both ends, not only diagnostics.
    expect(seen).toContain('completed');
    expect(seen).toContain('failed');
    expect(seen).toContain('cancelled');
  });
});
