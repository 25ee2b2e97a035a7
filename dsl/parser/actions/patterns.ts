/**
 * Semantic actions for binding patterns (`const [a, ...rest] = …`, `const { a: b } = …`): names,
 * array and object patterns, rest elements. Merged into the `ast` operation by semantics.ts.
 */
import * as ohm from 'ohm-js';
import type * as A from '../../ast.ts';
import { MESSAGES } from '../messages.ts';
import { caseOf, mk, report, span, spanNode } from '../context.ts';

/** Validates `...rest` in a pattern: last, and a plain name. */
function patternRest(items: ohm.Node[], isRest: (n: ohm.Node) => boolean): { rest?: A.IdentifierPattern; items: ohm.Node[] } {
  const idx = items.findIndex(isRest);
  if (idx < 0) return { items };
  if (idx !== items.length - 1) report('CS002', spanNode(items[idx]!), MESSAGES.restLast);
  const rest = items[idx]!.ast() as A.Pattern;
  if (rest.kind !== 'IdentifierPattern') {
    report('CS002', rest.span, MESSAGES.restName);
    return { items: items.slice(0, idx) };
  }
  return { rest, items: items.slice(0, idx) };
}

export const patternActions: ohm.ActionDict<any> = {
  Binding_ident(name) {
    return mk('IdentifierPattern', this, { name: name.sourceString });
  },
  ArrayPattern(_l, elems, _r) {
    let items = elems.asIteration().children;
    // JavaScript drops one trailing hole: `[a,]` has one element, `[a,,]` two.
    if (items.length > 0 && caseOf(items[items.length - 1]!) === 'ArrayPatElem_hole') items = items.slice(0, -1);
    const { rest, items: plain } = patternRest(items, (n) => caseOf(n) === 'ArrayPatElem_rest');
    const node: A.ArrayPattern = mk('ArrayPattern', this, { elements: plain.map((c) => c.ast()) });
    if (rest) node.rest = rest;
    return node;
  },
  ArrayPatElem_rest(_dots, b) {
    return b.ast();
  },
  ArrayPatElem_default_reject(b, eq, _e) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return b.ast();
  },
  ArrayPatElem_hole(_la) {
    return null;
  },
  ObjectPattern(_l, props, _comma, _r) {
    const items = props.asIteration().children;
    const { rest, items: plain } = patternRest(items, (n) => caseOf(n) === 'ObjPatProp_rest');
    const node: A.ObjectPattern = mk('ObjectPattern', this, { properties: plain.map((c) => c.ast()) });
    if (rest) node.rest = rest;
    return node;
  },
  ObjPatProp_rest(_dots, b) {
    return b.ast();
  },
  ObjPatProp_kvDefault_reject(k, _c, b, eq, _e) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return { key: k.ast(), value: b.ast(), span: spanNode(this) };
  },
  ObjPatProp_kv(key, _colon, value) {
    return { key: key.ast(), value: value.ast(), span: spanNode(this) };
  },
  ObjPatProp_default_reject(k, eq, _e) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return { key: k.sourceString, value: mk('IdentifierPattern', k, { name: k.sourceString }), span: spanNode(this) };
  },
  ObjPatProp_short(name) {
    return { key: name.sourceString, value: mk('IdentifierPattern', name, { name: name.sourceString }), span: spanNode(this) };
  },
};
