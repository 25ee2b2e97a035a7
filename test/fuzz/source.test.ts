// Quick slice of the source fuzz target (fuzz/targets/source.ts); `npm run fuzz` runs it long.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { brokenLines, checkRecovery, checkSource, corpusSources, sources } from '../../fuzz/targets/source.ts';

describe('source fuzz (quick slice)', () => {
  it('compiles mutated corpus programs, token soup and deep constructs with diagnostics only, never an exception or CS007', () => {
    expect(corpusSources().length).toBeGreaterThan(100);
    const seen = new Set<string>();
    // Why 250 (was 400): a broken source is now parsed to its end to report every error (parser
    // recovery), where the parser used to stop at the first; the long run (`npm run fuzz`) covers more.
    fc.assert(fc.property(sources, (s) => void seen.add(checkSource(s))), { numRuns: 250 });
    // The slice reached both ends: programs that compile and sources that do not.
    expect(seen).toEqual(new Set(['compiled', 'diagnostics']));
  });

  it('recovery: each of several broken one-line statements is reported on its own line, none before', () => {
    fc.assert(fc.property(brokenLines, (b) => checkRecovery(b)), { numRuns: 100 });
  });

});
