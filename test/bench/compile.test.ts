import { describe, expect, it } from 'vitest';
import { benchCompile, FAMILIES } from '../../bench/compile.ts';
import { compile } from '../../dsl/index.ts';

// Shape only: timings are reported by `npm run bench`, never asserted.
describe('benchCompile', () => {
  it('the realistic families compile and the broken ones are diagnosed, so the bench times what it says', () => {
    for (const name of ['workflow', 'string literal', 'call arguments']) expect(compile(FAMILIES[name]!(2000)).program, name).toBeDefined();
    for (const name of ['unclosed braces', 'unclosed comment']) expect(compile(FAMILIES[name]!(2000)).diagnostics[0]?.code, name).toBe('CS001');
  });

  it('reports a pair of rows per family, the larger with its ratio', () => {
    const rows = benchCompile({ scale: 0.05, repeats: 1 });
    expect(rows).toHaveLength(Object.keys(FAMILIES).length * 2);
    for (const [i, r] of rows.entries()) {
      expect(r.bytes > 0 && Number.isFinite(r.ms) && Number.isFinite(r.msPerKb)).toBe(true);
      expect(r.ratio === undefined).toBe(i % 2 === 0);
    }
  });
});
