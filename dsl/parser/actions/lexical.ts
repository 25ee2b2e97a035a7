/**
 * Semantic actions for lexical rules: property names, string literals and templates (cooked by
 * literals.ts), and `applySyntactic`. Merged into the `ast` operation by semantics.ts.
 */
import * as ohm from 'ohm-js';
import type * as A from '../../ast.ts';
import { mk } from '../context.ts';
import { cook, numberValue } from '../literals.ts';

export const lexicalActions: ohm.ActionDict<any> = {
  propName_ident(name) {
    return name.sourceString;
  },
  propName_string(s) {
    return s.ast();
  },
  propName_number(n) {
    return String(numberValue(n));
  },
  stringLit_double(_l, chars, _r) {
    return cook(chars.sourceString, chars.source.startIdx);
  },
  stringLit_single(_l, chars, _r) {
    return cook(chars.sourceString, chars.source.startIdx);
  },
  template(_l, parts, _r) {
    const quasis: string[] = [''];
    const expressions: A.Expression[] = [];
    for (const part of parts.children) {
      // each iteration child is a `templatePart` node whose only child is the chosen alternative
      if (part.children[0]?.ctorName === 'templatePart_sub') {
        expressions.push(part.ast());
        quasis.push('');
      } else {
        quasis[quasis.length - 1] += cook(part.sourceString, part.source.startIdx);
      }
    }
    return mk('TemplateLiteral', this, { quasis, expressions });
  },
  templatePart_sub(_l, e, _sp, _r) {
    return e.ast();
  },
  applySyntactic(app) {
    return app.ast();
  },
};
