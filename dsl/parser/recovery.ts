/**
 * Recovery: the `ast` actions of the tolerant grammar's own alternatives (see the end of
 * grammar/currant.ohm), which stand in for a skipped statement, header, case or declaration
 * (`Invalid` nodes keeping the names a broken declaration declared, a broken workflow header's
 * parameters), and `explainRecovered`, which asks `Currant` why each skipped part failed (CS001).
 */
import * as ohm from 'ohm-js';
import type * as A from '../ast.ts';
import { diagnostic, type Diagnostic } from '../diagnostics.ts';
import { grammar, tolerant } from './grammar.ts';
import { MAX_SYNTAX_ERRORS } from './limits.ts';
import { ctx, mk, opt, type Recovered, setCtx, span } from './context.ts';
import { semantics } from './semantics.ts';
import { syntaxError } from './syntax-errors.ts';

export const tolerantSemantics = tolerant.extendSemantics(semantics);

/** Records a skipped part; its message comes later from `Currant` (see `probe`). */
function recovered(n: ohm.Node, rule: Recovered['rule']): void {
  ctx.recovered.push({ start: n.source.startIdx, rule });
}

/** A `for` whose header did not parse: its loop variables stay declared (as `any`) for the body. */
function forStandIn(n: ohm.Node, parens: ohm.Node, body: A.Statement): A.For {
  const node: A.For = mk('For', n, { test: mk('Invalid', parens, {}) as A.Expression, body });
  const decl = declaredPattern(parens.sourceString.slice(1).trimStart());
  if (decl && decl.pattern.length > 0) {
    const init: A.VarDecl = mk('VarDecl', parens, { declKind: decl.kind, target: mk('IdentifierPattern', parens, { name: decl.pattern[0]! }) as A.Pattern });
    node.init = init;
    // more names (a destructuring pattern): declared by an Invalid statement first in the body
    if (decl.pattern.length > 1) {
      const inv: A.Invalid = mk('Invalid', parens, { declares: decl.pattern.slice(1) });
      node.body = mk('Block', n, { body: [inv, body] });
      node.body.span = body.span;
      inv.span = { ...body.span, end: body.span.start };
    }
  }
  return node;
}

tolerantSemantics.extendOperation<any>('ast', {
  TopDeclRecover_workflow(kw, name, header, body) {
    recovered(this, 'TopProbe');
    return mk('WorkflowDecl', this, {
      name: name.children[0]?.sourceString ?? '',
      params: headerParams(header.sourceString, header.source.startIdx),
      body: body.ast() as A.Block,
    });
  },
  TopDeclRecover_skip(r) {
    recovered(this, 'TopProbe');
    const text = r.sourceString;
    const m = /^(task|type|interface)\s+([A-Za-z_$][\w$]*)/.exec(text);
    if (m?.[1] === 'task') return mk('TaskDecl', this, { name: m[2]!, params: [], recovered: true });
    if (m) return mk('TypeAlias', this, { name: m[2]!, type: mk('PrimitiveType', this, { name: 'any' as const }) });
    return mk('Invalid', this, {});
  },
  StmtRecover(r) {
    recovered(this, 'StmtProbe');
    const node: A.Invalid = mk('Invalid', this, {});
    const decl = declaredPattern(r.sourceString);
    if (decl && decl.pattern.length > 0) node.declares = decl.pattern;
    return node;
  },
  StatementRecover_if(kw, parens, cons, _else, alt) {
    recovered(kw, 'StmtProbe');
    const node: A.If = mk('If', this, { test: mk('Invalid', parens, {}) as A.Expression, consequent: cons.ast() as A.Statement });
    const a = opt(alt);
    if (a) node.alternate = a;
    return node;
  },
  StatementRecover_while(kw, parens, body) {
    recovered(kw, 'StmtProbe');
    return mk('While', this, { test: mk('Invalid', parens, {}) as A.Expression, body: body.ast() as A.Statement });
  },
  StatementRecover_for(kw, parens, body) {
    recovered(kw, 'StmtProbe');
    return forStandIn(this, parens, body.ast() as A.Statement);
  },
  StatementRecover_switch(kw, parens, _l, cases, _r) {
    recovered(kw, 'StmtProbe');
    return mk('Switch', this, { discriminant: mk('Invalid', parens, {}) as A.Expression, cases: cases.children.map((c) => c.ast()) });
  },
  SwitchCaseRecover_case(kw, test, _colon, items) {
    recovered(kw, 'CaseProbe');
    return mk('SwitchCase', this, {
      test: mk('Invalid', test, {}) as A.Expression,
      consequent: items.children.map((c) => c.ast()).filter((x) => x !== null) as A.Statement[],
    });
  },
});

/** Names a binding pattern declares (for the stand-in of a broken declaration). */
function patternNamesOf(p: A.Pattern): string[] {
  switch (p.kind) {
    case 'IdentifierPattern':
      return p.name ? [p.name] : [];
    case 'ArrayPattern':
      return [...p.elements.flatMap((e) => (e ? patternNamesOf(e) : [])), ...(p.rest ? [p.rest.name] : [])];
    case 'ObjectPattern':
      return [...p.properties.flatMap((x) => patternNamesOf(x.value)), ...(p.rest ? [p.rest.name] : [])];
  }
}

/**
 * The pattern of a broken `const …` / `let …` / `var …` declaration (text from its keyword), read
 * with the `Binding` rule, or undefined: so its names stay declared in the partial program.
 */
function declaredPattern(text: string): { kind: 'const' | 'let'; pattern: string[] } | undefined {
  const m = /^(const|let|var)\s+/.exec(text);
  if (!m) return undefined;
  const r = grammar.match(text.slice(m[0].length, m[0].length + 2000), 'PatternProbe');
  if (r.failed()) return undefined;
  const saved = setCtx({ source: text, lineStarts: [0], diagnostics: [], recovered: [], typeParams: new Set() });
  try {
    return { kind: m[1] === 'const' ? 'const' : 'let', pattern: patternNamesOf(semantics(r).ast() as A.Pattern) };
  } finally {
    setCtx(saved);
  }
}

/** The parameter names in a workflow header the parser could not read (`(a: string, b: Foo<)`), best effort. */
function headerParams(header: string, start: number): A.Param[] {
  const open = header.indexOf('(');
  if (open < 0) return [];
  const out: A.Param[] = [];
  let depth = 0; // ( [ {
  let angles = 0; // < > of generic types, which a broken header may leave open
  let segStart = open + 1;
  const flush = (end: number) => {
    const seg = header.slice(segStart, end);
    const m = /^\s*([A-Za-z_$][\w$]*)/.exec(seg);
    if (m) out.push({ name: m[1]!, span: span(start + segStart, start + end) });
  };
  for (let i = open; i < header.length; i++) {
    const c = header[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === '<') angles++;
    else if (c === '>') angles = Math.max(0, angles - 1);
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        flush(i);
        break;
      }
    } else if (c === ',' && depth === 1 && angles === 0) {
      flush(i);
      segStart = i + 1;
    }
  }
  return out;
}

/**
 * Why `Currant` failed where the tolerant grammar skipped: the rule that failed there, matched on the
 * text from that point, fails at the same place with the same "expected …" as a whole file with
 * only this error would (PEG parsing does not look back).
 */
function probe(r: Recovered): Diagnostic {
  const text = ctx.source.slice(r.start);
  const m = grammar.match(text, r.rule);
  if (m.failed()) return syntaxError(m, text, r.start);
  return diagnostic('CS001', span(r.start, r.start + 1), 'this cannot be parsed here');
}

/** A CS001 for every part the tolerant grammar skipped (at most MAX_SYNTAX_ERRORS in all). */
export function explainRecovered(): void {
  const errors = ctx.diagnostics.filter((d) => d.code === 'CS001').length;
  for (const r of ctx.recovered.sort((a, b) => a.start - b.start).slice(0, Math.max(0, MAX_SYNTAX_ERRORS - errors))) {
    ctx.diagnostics.push(probe(r));
  }
}
