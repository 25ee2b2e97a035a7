/**
 * The checker never throws: any program the parser accepts, however odd, gives diagnostics; and so
 * does any partial program the parser recovers from a source with syntax errors (`parse().partial`:
 * `Invalid` nodes where something did not parse). Inputs are corpus sources with random fragments
 * inserted and random spans deleted.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from '../../../dsl/parser.ts';
import { check } from '../../../dsl/checker/index.ts';
import { loadCases } from '../corpus/run.ts';

const sources = loadCases(join(import.meta.dirname, '../corpus')).map((c) => c.source);
const FRAGMENTS = [
  'await ', 'const ', 'let ', 'x', '.', '(', ')', '[', ']', '{', '}', ',', '=', '+', '?.', '...', 'Promise.all(',
  '.map(', 'sleep(', 'signal(', '"5s"', '1', 'null', 'return ', 'break\n', 'while (true) ', 'for (;;) ',
  'type T = ', 'A[]', '|', ';', '\n', 'task t(a: number): any\n', 'with { retries: 1 }', '`${x}`', ': Foo',
  'switch (x) { case 1: ', 'break l\n', 'l: ', ' as T', '!', ' ** 2', ' ??= 1', '[a, b] = ', 'signal<T>(', 'readonly ', 'Record<string, A>',
  '(x) => ', 'x => x', '.filter((a, i) => { return a })', '.reduce((s, x) => s + x, 0)', 'function f(a) { return a }\n',
  'f(', ' in ', 'typeof ', ' === null', '!== "a"',
];

const edit = fc.record({ at: fc.nat(), insert: fc.boolean(), fragment: fc.constantFrom(...FRAGMENTS), cut: fc.integer({ min: 1, max: 6 }) });

describe('checker robustness', () => {
  it('never throws on a parsed program, nor on the partial program of a broken one', () => {
    let checked = 0;
    let partial = 0;
    fc.assert(
      fc.property(fc.constantFrom(...sources), fc.array(edit, { minLength: 1, maxLength: 3 }), (base, edits) => {
        let s = base;
        for (const e of edits) {
          const at = e.at % (s.length + 1);
          s = e.insert ? s.slice(0, at) + e.fragment + s.slice(at) : s.slice(0, at) + s.slice(at + e.cut);
        }
        const parsed = parse(s, 'fuzz.workflow');
        const program = parsed.program ?? parsed.partial;
        if (!program) return;
        checked++;
        if (parsed.partial) partial++;
        const ds = check(program);
        // sorted by position, each with a code and a message
        for (let i = 1; i < ds.length; i++) expect(ds[i]!.span.start).toBeGreaterThanOrEqual(ds[i - 1]!.span.start);
        for (const d of ds) expect(d.message.length).toBeGreaterThan(0);
      }),
      // Why 300 (was 600): a broken source is now parsed to its end (recovery), and its partial
      // program checked too: each run does about three times the work it did.
      { numRuns: 300, seed: 20261125 },
    );
    expect(checked).toBeGreaterThan(100);
    expect(partial).toBeGreaterThan(50);
  });
});
