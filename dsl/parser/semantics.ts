/**
 * The one `ast` operation of `Currant` (ohm tree → AST): the action objects of actions/*.ts spread
 * into a single `addOperation`. Node ids are -1 here; ids.ts numbers them afterwards.
 */
import { grammar } from './grammar.ts';
import { declarationActions } from './actions/declarations.ts';
import { typeActions } from './actions/types.ts';
import { statementActions } from './actions/statements.ts';
import { patternActions } from './actions/patterns.ts';
import { expressionActions } from './actions/expressions.ts';
import { lexicalActions } from './actions/lexical.ts';

export const semantics = grammar.createSemantics();

semantics.addOperation('ast', {
  ...declarationActions,
  ...typeActions,
  ...statementActions,
  ...patternActions,
  ...expressionActions,
  ...lexicalActions,
});
