/**
 * The package's bundles load the grammars from the recipe `grammarRecipe()` gives (ohm's
 * `toRecipe` of `CurrantTolerant`, which holds `Currant` as its supergrammar; inlined by
 * scripts/build.ts); from source they are compiled from the `.ohm` text. Both must parse alike,
 * each grammar: every corpus case, example and a set of broken sources, compared on ohm's result
 * (success, and for a failure the message and the position).
 */
import * as ohm from 'ohm-js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grammarRecipe } from '../../dsl/parser.ts';
import { ROOT } from '../cli/helpers.ts';
import { loadCases } from './corpus/run.ts';

const texts = ohm.grammars(readFileSync(join(ROOT, 'dsl', 'parser', 'grammar', 'currant.ohm'), 'utf8'));
const tolerantFromRecipe = ohm.makeRecipe(grammarRecipe());
const pairs = [
  { name: 'Currant', fromText: texts.Currant!, fromRecipe: tolerantFromRecipe.superGrammar },
  { name: 'CurrantTolerant', fromText: texts.CurrantTolerant!, fromRecipe: tolerantFromRecipe },
];

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
  'workflow w() {\n  const a = 1 +\n  let b = )\n  return a\n}',
  'task t(: string\nworkflow w() {\n  if (x { }\n',
];
const sources = [...loadCases(join(ROOT, 'test', 'dsl', 'corpus')).map((c) => c.source), ...examples, ...broken];

describe.each(pairs)('the grammar $name from the recipe', ({ name, fromText, fromRecipe }) => {
  it('is the same grammar', () => {
    expect(fromRecipe.name).toBe(name);
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
