/**
 * Semantic actions for statements: blocks, declarations, control flow (`if`, loops, `switch`,
 * labels, `try`), assignments (including destructuring assignment and its patterns) and updates,
 * and the statements that are rejected. Merged into the `ast` operation by semantics.ts.
 */
import * as ohm from 'ohm-js';
import type * as A from '../../ast.ts';
import { compoundAssignMessage, MESSAGES } from '../messages.ts';
import { caseOf, ctx, mk, opt, reject, report, span, spanNode, untilTerminator } from '../context.ts';

function varDecl(kind: ohm.Node, declarators: ohm.Node): A.VarDecl {
  const declKind = kind.ast() as 'const' | 'let';
  const ds = declarators.asIteration().children;
  if (ds.length > 1) report('CS002', spanNode(ds[1]!), MESSAGES.multipleDeclarators);
  const d = ds[0]!;
  const [target, , type, , init] = d.children as [ohm.Node, ohm.Node, ohm.Node, ohm.Node, ohm.Node];
  const node: A.VarDecl = { kind: 'VarDecl', id: -1, span: span(kind.source.startIdx, d.source.endIdx), declKind, target: target.ast() };
  const t = opt(type);
  if (t) node.type = t;
  const i = opt(init);
  if (i) node.init = i;
  return node;
}

/** Validates `...rest` in an assignment pattern: last (any assignment target). */
function assignRest(items: ohm.Node[], isRest: (n: ohm.Node) => boolean): { rest?: A.Expression; items: ohm.Node[] } {
  const idx = items.findIndex(isRest);
  if (idx < 0) return { items };
  if (idx !== items.length - 1) report('CS002', spanNode(items[idx]!), MESSAGES.restLast);
  return { rest: items[idx]!.ast() as A.Expression, items: items.slice(0, idx) };
}

export const statementActions: ohm.ActionDict<any> = {
  Block(open, items, end) {
    const body = items.children.map((c) => c.ast()).filter((s) => s !== null) as A.Statement[];
    if (end.source.startIdx === end.source.endIdx) {
      // tolerant grammar only: the block ends before its `}` (missingBrace)
      const at = end.source.startIdx;
      const line = spanNode(open).line;
      report(
        'CS001',
        span(at, at < ctx.source.length ? at + 4 : at),
        at >= ctx.source.length
          ? `expected "}" before the end of the file, to close the "{" of line ${line}`
          : '`case` and `default` belong directly inside a `switch (…) { … }`',
      );
    }
    return mk('Block', this, { body });
  },
  StmtItem_empty(_semi) {
    return null;
  },
  Statement_var(decl, _sc) {
    return decl.ast();
  },
  Statement_return(_ret, _sp, arg, sc) {
    return untilTerminator(mk('Return', this, { argument: arg.ast() }), sc);
  },
  Statement_returnBare(_ret, sc) {
    return untilTerminator(mk('Return', this, {}), sc);
  },
  Statement_destructure(_la, d, sc) {
    return untilTerminator(d.ast(), sc);
  },
  Statement_break(_b, _sp, label, sc) {
    const node: A.Break = mk('Break', this, {});
    if (label.children.length > 0) node.label = label.children[0]!.sourceString;
    return untilTerminator(node, sc);
  },
  Statement_continue(_c, _sp, label, sc) {
    const node: A.Continue = mk('Continue', this, {});
    if (label.children.length > 0) node.label = label.children[0]!.sourceString;
    return untilTerminator(node, sc);
  },
  Statement_labeled(label, _colon, body) {
    return mk('Labeled', this, { label: label.sourceString, body: body.ast() as A.Statement });
  },
  Switch(_kw, _lp, disc, _rp, _lb, cases, _rb) {
    return mk('Switch', this, { discriminant: disc.ast(), cases: cases.children.map((c) => c.ast()) });
  },
  SwitchCase_case(_kw, test, _colon, items) {
    return mk('SwitchCase', this, { test: test.ast(), consequent: items.children.map((c) => c.ast()).filter((x) => x !== null) as A.Statement[] });
  },
  SwitchCase_default(_kw, _colon, items) {
    return mk('SwitchCase', this, { consequent: items.children.map((c) => c.ast()).filter((x) => x !== null) as A.Statement[] });
  },
  Statement_forAwait_reject(_for, kw, _lp, _kind, _b, _of, _e, _rp, _body) {
    return reject(this, MESSAGES.forAwait, kw);
  },
  Statement_localType_reject(kw, _sp, _name, _tail) {
    return reject(this, MESSAGES.localType, kw);
  },
  Statement_debugger_reject(kw, _sc) {
    return reject(this, MESSAGES.debugger, kw);
  },
  Statement_update(u, _sc) {
    return u.ast();
  },
  Statement_assign(a, _sc) {
    return a.ast();
  },
  Statement_throw(_kw, _sp, e, sc) {
    return untilTerminator(mk('Throw', this, { argument: e.ast() }), sc);
  },
  Try_catch(_try, block, c, f) {
    const { param, handler } = c.ast() as { param?: A.Pattern; handler: A.Block };
    const node: A.Try = mk('Try', this, { block: block.ast() as A.Block, handler });
    if (param) node.param = param;
    const fin = opt(f) as A.Block | undefined;
    if (fin) node.finalizer = fin;
    return node;
  },
  Try_finally(_try, block, f) {
    return mk('Try', this, { block: block.ast() as A.Block, finalizer: f.ast() as A.Block });
  },
  Catch(_catch, param, block) {
    return { param: opt(param), handler: block.ast() };
  },
  CatchParam(_l, binding, _colon, _type, _r) {
    // The annotation (`catch (e: unknown)`) is accepted and ignored: a caught value is `any`.
    return binding.ast();
  },
  Finally(_finally, block) {
    return block.ast();
  },
  Statement_function_reject(_fn) {
    return reject(this, MESSAGES.function);
  },
  Statement_do_reject(kw, _body, _while, _lp, _e, _rp, _sc) {
    return reject(this, MESSAGES.doWhile, kw);
  },
  Statement_forIn_reject(_for, _lp, _kind, _b, kw, _e, _rp, _body) {
    return reject(this, MESSAGES.forIn, kw);
  },
  Statement_import_reject(_kw, _tail) {
    return reject(this, MESSAGES.module);
  },
  Statement_export_reject(kw, stmt) {
    stmt.ast();
    return reject(this, MESSAGES.module, kw);
  },
  Statement_expr(e, sc) {
    return untilTerminator(mk('ExprStmt', this, { expression: e.ast() }), sc);
  },
  VarDecl(kind, declarators) {
    return varDecl(kind, declarators);
  },
  DeclKind_const(_k) {
    return 'const';
  },
  DeclKind_let(_k) {
    return 'let';
  },
  DeclKind_var_reject(_k) {
    report('CS002', spanNode(this), MESSAGES.var);
    return 'let';
  },
  If(_if, _lp, test, _rp, cons, _else, alt) {
    const node: A.If = mk('If', this, { test: test.ast(), consequent: cons.ast() });
    const a = opt(alt);
    if (a) node.alternate = a;
    return node;
  },
  While(_while, _lp, test, _rp, body) {
    return mk('While', this, { test: test.ast(), body: body.ast() });
  },
  For(_for, _lp, init, _s1, test, _s2, update, _rp, body) {
    const node: A.For = mk('For', this, { body: body.ast() as A.Statement });
    const i = opt(init);
    if (i) node.init = i;
    const t = opt(test);
    if (t) node.test = t;
    const u = opt(update);
    if (u) node.update = u;
    return node;
  },
  ForOf(_for, _lp, kind, target, _of, iterable, _rp, body) {
    return mk('ForOf', this, { declKind: kind.ast(), target: target.ast(), iterable: iterable.ast(), body: body.ast() });
  },
  Assign(target, op, value) {
    return mk('Assign', this, { op: op.ast(), target: target.ast(), value: value.ast() });
  },
  AssignOp_eq(_op) {
    return '=';
  },
  DestructureAssign_array(target, _eq, value) {
    return mk('Assign', this, { op: '=' as const, target: target.ast(), value: value.ast() });
  },
  DestructureAssign_object(_l, target, _eq, value, _r) {
    return mk('Assign', this, { op: '=' as const, target: target.ast(), value: value.ast() });
  },
  DestructureAssign_bare_reject(target, _eq, value) {
    target.ast();
    value.ast();
    return reject(this, MESSAGES.objectAssign, target);
  },
  ArrayAssignPattern(_l, elems, _r) {
    let items = elems.asIteration().children;
    if (items.length > 0 && caseOf(items[items.length - 1]!) === 'ArrayAssignElem_hole') items = items.slice(0, -1);
    const { rest, items: plain } = assignRest(items, (n) => caseOf(n) === 'ArrayAssignElem_rest');
    const node: A.ArrayAssignPattern = mk('ArrayAssignPattern', this, { elements: plain.map((c) => c.ast()) });
    if (rest) node.rest = rest;
    return node;
  },
  ArrayAssignElem_rest(_dots, t) {
    return t.ast();
  },
  ArrayAssignElem_default_reject(t, eq, _e) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return t.ast();
  },
  ArrayAssignElem_hole(_la) {
    return null;
  },
  ObjectAssignPattern(_l, props, _comma, _r) {
    const items = props.asIteration().children;
    const { rest, items: plain } = assignRest(items, (n) => caseOf(n) === 'ObjAssignProp_rest');
    const node: A.ObjectAssignPattern = mk('ObjectAssignPattern', this, { properties: plain.map((c) => c.ast()) });
    if (rest) node.rest = rest;
    return node;
  },
  ObjAssignProp_rest(_dots, t) {
    return t.ast();
  },
  ObjAssignProp_kvDefault_reject(key, _c, t, eq, _e) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return { key: key.ast(), value: t.ast(), span: spanNode(this) };
  },
  ObjAssignProp_kv(key, _colon, t) {
    return { key: key.ast(), value: t.ast(), span: spanNode(this) };
  },
  ObjAssignProp_default_reject(name, eq, _e) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return { key: name.sourceString, value: mk('Identifier', name, { name: name.sourceString }), span: spanNode(this) };
  },
  ObjAssignProp_short(name) {
    return { key: name.sourceString, value: mk('Identifier', name, { name: name.sourceString }), span: spanNode(this) };
  },
  AssignOp_compound(op) {
    const text = op.sourceString;
    if (/^(<<|>>>?|&|\||\^)=$/.test(text)) {
      report('CS002', spanNode(this), compoundAssignMessage(text));
      return '=';
    }
    return text as A.Assign['op'];
  },
  Update_postfix(target, _sp, op) {
    return mk('Update', this, { op: op.sourceString as '++' | '--', prefix: false, target: target.ast() });
  },
  Update_prefix(op, target) {
    return mk('Update', this, { op: op.sourceString as '++' | '--', prefix: true, target: target.ast() });
  },
};
