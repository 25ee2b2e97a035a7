/**
 * The grammars `Currant` and `CurrantTolerant <: Currant` (`grammar/currant.ohm`, beside this module),
 * loaded once at module init, and `grammarRecipe()` for the build. The only parser module that
 * touches ohm's grammar loading; the others get `grammar` and `tolerant` from here.
 */
import * as ohm from 'ohm-js';
import { readFileSync } from 'node:fs';

export const { grammar, tolerant } = loadGrammars();

// ohm-js has these at run time (its own build makes its grammar from a recipe) but does not declare them.
declare module 'ohm-js' {
  function makeRecipe(recipe: string): Grammar;
  interface Grammar {
    toRecipe(): string;
  }
}

// Set only in built bundles (scripts/build.ts defines it as the grammar's recipe); undeclared from source.
declare const CURRANT_GRAMMAR_RECIPE: string | undefined;

/**
 * The grammars `Currant` and `CurrantTolerant <: Currant`. Why a recipe: compiling the `.ohm` text
 * takes ~350 ms at every process start, while `ohm.makeRecipe` on the recipe that `toRecipe()` made
 * at build time takes milliseconds (`npm run bench`, "CLI start-up"). The recipe is the tolerant
 * grammar's, which holds `Currant`'s as its supergrammar: `Currant` is `tolerant.superGrammar`, so
 * the tolerant semantics extend the one `Currant` semantics. From source (tsx, vitest) there is no
 * recipe: the text is compiled.
 */
function loadGrammars(): { grammar: ohm.Grammar; tolerant: ohm.Grammar } {
  if (typeof CURRANT_GRAMMAR_RECIPE === 'string') {
    const tolerant = ohm.makeRecipe(CURRANT_GRAMMAR_RECIPE);
    return { grammar: tolerant.superGrammar, tolerant };
  }
  const grammars = ohm.grammars(readFileSync(new URL('./grammar/currant.ohm', import.meta.url), 'utf8'));
  return { grammar: grammars.Currant!, tolerant: grammars.CurrantTolerant! };
}

/** The grammars as one ohm recipe (the tolerant grammar's, `Currant` inside), for the build to inline (see `loadGrammars`). */
export function grammarRecipe(): string {
  return tolerant.toRecipe();
}
