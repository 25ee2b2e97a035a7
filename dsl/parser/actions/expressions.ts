/**
 * Semantic actions for expressions: operators folded to binary trees (precedence, `**` right to left,
 * `as` / `satisfies`), postfix chains (members, indexes, calls), arrow functions, literals and the
 * expressions that are rejected. Merged into the `ast` operation by semantics.ts.
 */
import * as ohm from 'ohm-js';
import type * as A from '../../ast.ts';
import { MESSAGES } from '../messages.ts';
import { list, mk, opt, reject, rejectType, report, span, spanNode } from '../context.ts';
import { numberValue } from '../literals.ts';
import { typeArgs } from './types.ts';

/** Folds `first (op operand)*` to the left: `a - b - c` is `(a - b) - c`. */
function foldBinary(this: ohm.Node, first: ohm.Node, ops: ohm.Node, rest: ohm.Node): A.Expression {
  let node = first.ast() as A.Expression;
  const start = first.source.startIdx;
  ops.children.forEach((op, i) => {
    const right = rest.children[i]!;
    const text = op.sourceString;
    if (text === 'instanceof') report('CS002', spanNode(op), MESSAGES.instanceof);
    const b: A.Binary = { kind: 'Binary', id: -1, span: span(start, right.source.endIdx), op: text as A.Binary['op'], left: node, right: right.ast() };
    node = b;
  });
  return node;
}

function foldLogical(this: ohm.Node, first: ohm.Node, ops: ohm.Node, rest: ohm.Node): A.Expression {
  let node = first.ast() as A.Expression;
  const start = first.source.startIdx;
  ops.children.forEach((op, i) => {
    const right = rest.children[i]!;
    const l: A.Logical = { kind: 'Logical', id: -1, span: span(start, right.source.endIdx), op: op.sourceString as A.Logical['op'], left: node, right: right.ast() };
    node = l;
  });
  return node;
}

/**
 * `first (relationalOp x | as T | as const | satisfies T)*` folded left: `as` and `satisfies` bind
 * like the relational operators, as in TypeScript (`a + b as T` is `(a + b) as T`).
 */
function foldRelational(first: ohm.Node, ops: ohm.Node, rights: ohm.Node): A.Expression {
  let node = first.ast() as A.Expression;
  const start = first.source.startIdx;
  ops.children.forEach((op, i) => {
    const right = rights.children[i]!;
    const s = span(start, right.source.endIdx);
    if (op.ctorName === 'typeOp') {
      const isConst = right.ctorName === 'const';
      if (op.sourceString.trim() === 'satisfies') {
        node = { kind: 'Satisfies', id: -1, span: s, expression: node, type: isConst ? rejectType(right, 'write `satisfies T` with a type') : right.ast() };
      } else {
        const as: A.As = { kind: 'As', id: -1, span: s, expression: node };
        if (!isConst) as.type = right.ast();
        node = as;
      }
      return;
    }
    const text = op.sourceString;
    if (text === 'instanceof') report('CS002', spanNode(op), MESSAGES.instanceof);
    node = { kind: 'Binary', id: -1, span: s, op: text as A.Binary['op'], left: node, right: right.ast() };
  });
  return node;
}

/**
 * `u0 op1 u1 op2 u2 …` with `* / % **` (and bitwise operators, reported): `**` first, right to left
 * (`a ** b ** c` is `a ** (b ** c)`), then `* / %` left to right. A unary operator right before `**`
 * (`-x ** 2`) is reported, as TypeScript does; `(-x) ** 2` is fine.
 */
function foldMultiplicative(first: ohm.Node, opsIter: ohm.Node, rightsIter: ohm.Node): A.Expression {
  const operands = [first, ...rightsIter.children];
  const ops = opsIter.children;
  if (ops.length === 0) return first.ast();
  const values = operands.map((n) => n.ast() as A.Expression);
  const starts = operands.map((n) => n.source.startIdx);
  const ends = operands.map((n) => n.source.endIdx);
  const whole = () => span(starts[0]!, ends[ends.length - 1]!);
  let bad = false;
  for (const op of ops) {
    const t = op.sourceString;
    if (t !== '*' && t !== '/' && t !== '%' && t !== '**') {
      report('CS002', spanNode(op), MESSAGES.bitwise);
      bad = true;
    }
  }
  if (bad) return { kind: 'Invalid', id: -1, span: whole() };
  // runs of operands joined by `**`, each folded right to left
  const groups: { node: A.Expression; start: number; end: number }[] = [];
  const between: string[] = [];
  let i = 0;
  while (i < operands.length) {
    let j = i;
    while (j < ops.length && ops[j]!.sourceString === '**') j++;
    let node = values[j]!;
    for (let k = j - 1; k >= i; k--) {
      const left = operands[k]!;
      // a Unary not in parentheses: its match is a Unary case, not the Postfix one
      if (left.children[0]?.ctorName !== 'Postfix') {
        report('CS002', spanNode(left), MESSAGES.unaryPow);
        return { kind: 'Invalid', id: -1, span: whole() };
      }
      node = { kind: 'Binary', id: -1, span: span(starts[k]!, ends[j]!), op: '**', left: values[k]!, right: node };
    }
    groups.push({ node, start: starts[i]!, end: ends[j]! });
    if (j < ops.length) between.push(ops[j]!.sourceString);
    i = j + 1;
  }
  let node = groups[0]!.node;
  for (let g = 1; g < groups.length; g++) {
    node = { kind: 'Binary', id: -1, span: span(groups[0]!.start, groups[g]!.end), op: between[g - 1] as A.Binary['op'], left: node, right: groups[g]!.node };
  }
  return node;
}

/** One link of a postfix chain applied to `object`; `s` spans from the chain's head to this link. */
function postfixOp(op: ohm.Node, object: A.Expression, s: A.Span): A.Expression {
  if (op.ctorName === 'nonNullOp') return { kind: 'NonNull', id: -1, span: s, expression: object };
  let c = op.children[0]!;
  // `PostfixOp_rare`: a lookahead, then the PostfixRare node and its case
  if (c.ctorName === 'PostfixOp_rare') c = c.children[1]!.children[0]!;
  const k = c.children;
  switch (c.ctorName) {
    case 'PostfixOp_optIndex':
      return { kind: 'Index', id: -1, span: s, object, index: k[2]!.ast(), optional: true };
    case 'PostfixOp_optCall': {
      const call: A.Call = { kind: 'Call', id: -1, span: s, callee: object, args: k[2]!.ast(), optional: true };
      const ta = typeArgs(k[1]!);
      if (ta) call.typeArgs = ta;
      return call;
    }
    case 'PostfixOp_optMember':
      return { kind: 'Member', id: -1, span: s, object, property: k[1]!.ast(), optional: true };
    case 'PostfixOp_member':
      return { kind: 'Member', id: -1, span: s, object, property: k[1]!.ast(), optional: false };
    case 'PostfixOp_index':
      return { kind: 'Index', id: -1, span: s, object, index: k[1]!.ast(), optional: false };
    case 'PostfixOp_call': {
      const call: A.Call = { kind: 'Call', id: -1, span: s, callee: object, args: k[0]!.ast() };
      const p = opt(k[1]!);
      if (p) call.policy = p;
      return call;
    }
    case 'PostfixRare_typedCall': {
      const call: A.Call = { kind: 'Call', id: -1, span: s, callee: object, args: k[1]!.ast(), typeArgs: k[0]!.ast() };
      const p = opt(k[2]!);
      if (p) call.policy = p;
      return call;
    }
    case 'PostfixRare_tagged_reject':
      report('CS002', spanNode(c), MESSAGES.tagged);
      return { kind: 'Invalid', id: -1, span: s };
    default:
      throw new Error(`unexpected postfix case ${c.ctorName}`);
  }
}

export const expressionActions: ohm.ActionDict<any> = {
  ArrowFunction(kw, params, _arrow, body) {
    if (kw.children.length > 0) return reject(this, MESSAGES.asyncArrow, kw);
    const { params: ps, returnType } = params.ast() as { params: A.FnParam[]; returnType?: A.TypeNode };
    const node: A.ArrowFunction = mk('ArrowFunction', this, { params: ps, body: body.ast() });
    if (returnType) node.returnType = returnType;
    return node;
  },
  ArrowParams_one(name) {
    return { params: [{ target: mk('IdentifierPattern', name, { name: name.sourceString }), optional: false, span: spanNode(name) }] };
  },
  ArrowParams_list(_lp, params, _rp, ret) {
    const r = opt(ret);
    return r ? { params: params.ast(), returnType: r } : { params: params.ast() };
  },
  Conditional_cond(test, _q, cons, _c, alt) {
    return mk('Conditional', this, { test: test.ast(), consequent: cons.ast(), alternate: alt.ast() });
  },
  Coalesce: foldLogical,
  Or: foldLogical,
  And: foldLogical,
  Equality: foldBinary,
  Relational(first, ops, rights) {
    return foldRelational(first, ops, rights);
  },
  Additive: foldBinary,
  Multiplicative(first, ops, rights) {
    return foldMultiplicative(first, ops, rights);
  },
  Unary_not(_op, arg) {
    return mk('Unary', this, { op: '!', argument: arg.ast() });
  },
  Unary_neg(_op, arg) {
    return mk('Unary', this, { op: '-', argument: arg.ast() });
  },
  Unary_plus(_op, arg) {
    return mk('Unary', this, { op: '+', argument: arg.ast() });
  },
  Unary_typeof(_op, arg) {
    return mk('Unary', this, { op: 'typeof', argument: arg.ast() });
  },
  Unary_await(_op, arg) {
    return mk('Await', this, { argument: arg.ast() });
  },
  Unary_op_reject(op, _arg) {
    return reject(this, op.sourceString === 'delete' ? MESSAGES.delete : MESSAGES.void, op);
  },
  Unary_bitNot_reject(op, _arg) {
    return reject(this, MESSAGES.bitwise, op);
  },
  Postfix(head, ops) {
    let node = head.ast() as A.Expression;
    const start = head.source.startIdx;
    for (const op of ops.children) node = postfixOp(op, node, span(start, op.source.endIdx));
    return node;
  },
  PostfixHead_newError(_new, name, args) {
    // `new Error(message)` is the one `new`: the same as calling the built-in `Error(message)`.
    return mk('Call', this, { callee: mk('Identifier', name, { name: 'Error' }), args: args.ast() });
  },
  PostfixHead_new_reject(kw, e) {
    const what = /^\s*([A-Za-z_$][\w$]*)/.exec(e.sourceString)?.[1];
    const message =
      what === 'Date' ? MESSAGES.newDate
      : what === 'Map' || what === 'Set' || what === 'WeakMap' || what === 'WeakSet' ? MESSAGES.newCollection
      : what === 'Promise' ? MESSAGES.newPromise
      : MESSAGES.new;
    return reject(this, message, kw);
  },
  Arguments(_l, args, _comma, _r) {
    return list(args);
  },
  Argument_spread_reject(dots, _e) {
    return reject(this, MESSAGES.spreadArg, dots);
  },
  Primary_paren(_l, e, _r) {
    return e.ast();
  },
  Primary_number(n) {
    return mk('NumberLiteral', this, { value: numberValue(n) });
  },
  Primary_string(s) {
    return mk('StringLiteral', this, { value: s.ast() as string });
  },
  Primary_true(_t) {
    return mk('BooleanLiteral', this, { value: true });
  },
  Primary_false(_f) {
    return mk('BooleanLiteral', this, { value: false });
  },
  Primary_null(_n) {
    return mk('NullLiteral', this, {});
  },
  Primary_this_reject(_t) {
    return reject(this, MESSAGES.this);
  },
  Primary_regex_reject(_r) {
    return reject(this, MESSAGES.regex);
  },
  Primary_ident(name) {
    return mk('Identifier', this, { name: name.sourceString });
  },
  ArrayLit(_l, elems, _comma, _r) {
    return mk('ArrayLiteral', this, { elements: list(elems) });
  },
  ArrayElem_spread(_dots, e) {
    return mk('Spread', this, { argument: e.ast() });
  },
  ObjectLit(_l, props, _comma, _r) {
    return mk('ObjectLiteral', this, { properties: list(props) });
  },
  PropDef_spread(_dots, e) {
    return mk('Spread', this, { argument: e.ast() });
  },
  PropDef_kv(key, _colon, value) {
    return mk('Property', this, { key: key.ast() as string, value: value.ast(), shorthand: false });
  },
  PropDef_computed_reject(l, _k, _r, _colon, _v) {
    return reject(this, MESSAGES.computedKey, l);
  },
  PropDef_method_reject(_async, name, _lp, _ps, _comma, _rp, _ret, _body) {
    return reject(this, MESSAGES.method, name);
  },
  Primary_function_reject(_fn) {
    return reject(this, MESSAGES.functionExpression);
  },
  PropDef_short(name) {
    return mk('Property', this, { key: name.sourceString, value: mk('Identifier', name, { name: name.sourceString }), shorthand: true });
  },

  RejectClass(kw, _name, _extends, _base, _body) {
    return reject(this, MESSAGES.class, kw);
  },
};
