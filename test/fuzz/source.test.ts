// Quick slice of the source fuzz target (fuzz/targets/source.ts); `npm run fuzz` runs it long.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSource, corpusSources, sources } from '../../fuzz/targets/source.ts';

describe('source fuzz (quick slice)', () => {
  it('compiles mutated corpus programs, token soup and deep constructs with diagnostics only, never an exception or CS007', () => {
    expect(corpusSources().length).toBeGreaterThan(100);
    const seen = new Set<string>();
    fc.assert(fc.property(sources, (s) => void seen.add(checkSource(s))), { numRuns: 400 });
    // The slice reached both ends: programs that compile and sources that do not.
    expect(seen).toEqual(new Set(['compiled', 'diagnostics']));
  });

});
