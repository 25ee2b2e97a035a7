/**
 * The package's bundles load the grammar from the recipe `grammarRecipe()` gives (ohm's
 * `toRecipe`, inlined by scripts/build.ts); from source it is compiled from the `.ohm` text. Both
 * must parse alike: every corpus case, example and a set of broken sources, compared on ohm's
 * result (success, and for a failure the message and the position).
 */
import * as ohm from 'ohm-js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grammarRecipe } from '../../dsl/parser.ts';
import { ROOT } from '../cli/helpers.ts';
import { loadCases } from './corpus/run.ts';

const fromText = ohm.grammar(readFileSync(join(ROOT, 'dsl', 'grammar', 'currant.ohm'), 'utf8'));
const fromRecipe = ohm.makeRecipe(grammarRecipe());

const examples = readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(ROOT, 'examples', d.name)).filter((f) => f.endsWith('.workflow')).map((f) => readFileSync(join(ROOT, 'examples', d.name, f), 'utf8')));
const broken = [
  'workflow w() { return ) }',
  'workflow w() {\n  const x = \n}',
  'function f() {}',
  'workflow w() { /* unclosed',
  'workflow w() { return `x ${ }',
  '',
];
const sources = [...loadCases(join(ROOT, 'test', 'dsl', 'corpus')).map((c) => c.source), ...examples, ...broken];

describe('the grammar from its recipe', () => {
  it('is the same grammar', () => {
    expect(fromRecipe.name).toBe(fromText.name);
    expect(Object.keys(fromRecipe.rules).sort()).toEqual(Object.keys(fromText.rules).sort());
  });

  it(`parses ${sources.length} sources exactly like the grammar compiled from text`, () => {
    expect(sources.length).toBeGreaterThan(100);
    for (const src of sources) {
      const a = fromText.match(src);
      const b = fromRecipe.match(src);
      expect(b.succeeded(), src).toBe(a.succeeded());
      if (a.failed() && b.failed()) {
        expect(b.message, src).toBe(a.message);
        expect(b.getRightmostFailurePosition(), src).toBe(a.getRightmostFailurePosition());
      }
    }
  });
});
