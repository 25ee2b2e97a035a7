/**
 * The currant parser: source text in, AST (dsl/ast.ts) and syntax diagnostics out. The only module
 * that imports ohm-js; the grammar lives in `grammar/currant.ohm` and is loaded once, at module init.
 *
 *   parse('workflow w() { return 1 }')
 *   // => { program: { kind: 'Program', workflow: { kind: 'WorkflowDecl', ... }, nodeCount: 5 }, diagnostics: [] }
 *   parse('workflow w() { return ) }')
 *   // => { diagnostics: [{ code: 'CS001', message: 'expected an expression, ";", "}" or a new line', ... }] }
 *
 * Two stages, as in Shopify's liquid-html-parser: ohm's match tree → our AST (semantic action `ast`),
 * then one pass that numbers the nodes in source order (pre-order), so ids are a pure function of
 * the text. `parse` never throws: a syntax error gives one CS001 at ohm's rightmost failure; rejected
 * constructs (classes, nested or async functions, switch, …) are parsed by grammar alternatives that exist only to
 * be reported as CS002 with what to do instead; literal problems are CS004; a missing or second
 * `workflow` is CS003. `program` is present only when there is no diagnostic at all.
 */
import { readFileSync } from 'node:fs';
import * as ohm from 'ohm-js';
import type * as A from './ast.ts';
import { diagnostic, type Diagnostic, type DiagnosticCode } from './diagnostics.ts';

const grammar = loadGrammar();

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
 * The grammar. Why a recipe: compiling the `.ohm` text takes ~350 ms at every process start, while
 * `ohm.makeRecipe` on the recipe that `grammar.toRecipe()` made at build time takes ~5 ms (`npm run
 * bench`, "CLI start-up"). From source (tsx, vitest) there is no recipe: the text is compiled.
 */
function loadGrammar(): ohm.Grammar {
  if (typeof CURRANT_GRAMMAR_RECIPE === 'string') return ohm.makeRecipe(CURRANT_GRAMMAR_RECIPE);
  return ohm.grammar(readFileSync(new URL('./grammar/currant.ohm', import.meta.url), 'utf8'));
}

/** The grammar as an ohm recipe, for the build to inline (see `loadGrammar`). */
export function grammarRecipe(): string {
  return grammar.toRecipe();
}

export interface ParseResult {
  /** Present only when `diagnostics` is empty. */
  program?: A.Program;
  diagnostics: Diagnostic[];
}

// ---------------------------------------------------------------------------------------------
// Messages (tests assert these exact texts)
// ---------------------------------------------------------------------------------------------

export const MESSAGES = {
  function: 'declare helper functions at the top level of the file, outside the workflow: function name(params) { … }',
  functionExpression: '`function` expressions are not supported: pass an arrow function `(x) => …` to an array method, or declare a top-level function',
  asyncFunction: 'helper functions cannot be async: await only in the workflow itself; a helper computes a value from its arguments',
  generator: 'generator functions are not supported: build an array and loop over it',
  asyncArrow: 'callbacks cannot be async: await in the workflow itself (to run a task for each item: await Promise.all(items.map(task)))',
  method: 'object literals hold data only: declare a top-level function instead of a method',
  restParam: 'rest parameters are not supported: pass an array',
  class: 'workflows have no classes: use object literals and `type` aliases, and put behaviour in tasks',
  module: 'a workflow file is self-contained: declare tasks with `task name(...)`',
  new: '`new` is not supported (`new Error(message)` is the one exception): use object and array literals, and built-ins such as `now()`',
  this: '`this` is not supported: use variables',
  var: '`var` is not supported: use `let` or `const`',
  switch: '`switch` is not supported: use `if` / `else if` / `else`',
  doWhile: '`do … while` is not supported: use `while (true) { …; if (!cond) break }`',
  forIn: '`for … in` is not supported: use `for (const key of Object.keys(obj))`',
  instanceof: '`instanceof` is not supported: use `typeof` or `Array.isArray`',
  delete: '`delete` is not supported: build a new object without the key',
  void: '`void` is not supported',
  spreadArg: 'spread arguments are not supported: pass the array itself',
  optionalCall: 'optional calls `f?.()` are not supported: check the value before calling it',
  computedKey: 'computed property keys are not supported: create the object, then set `obj[key] = value`',
  defaultValue: 'default values are not supported: use `??` on the value instead',
  multipleDeclarators: 'declare one variable per statement: `const a = 1` then `const b = 2`',
  restLast: 'a rest element must be the last one',
  restName: 'a rest element must be a plain name (`...rest`)',
  missingWorkflow: 'the file declares no workflow: add `workflow name(params) { … }`',
  tooDeep: 'the program is nested too deeply to parse',
  unterminatedTemplate: 'unterminated template string: close it with `',
} as const;

function compoundAssignMessage(op: string): string {
  const bin = op.slice(0, -1);
  if (bin === '%' || bin === '??' || bin === '||' || bin === '&&') return `\`${op}\` is not supported: write \`x = x ${bin} y\``;
  if (bin === '**') return '`**=` is not supported: write `x = Math.pow(x, y)`';
  return `\`${op}\` is not supported: bitwise operators do not exist in workflows`;
}

// ---------------------------------------------------------------------------------------------
// Per-parse context. `parse` is synchronous and not re-entrant, so one module-level slot is enough.
// ---------------------------------------------------------------------------------------------

interface Ctx {
  source: string;
  lineStarts: number[];
  diagnostics: Diagnostic[];
}
let ctx: Ctx = { source: '', lineStarts: [0], diagnostics: [] };

function lineStartsOf(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** Like `spanOf` from diagnostics.ts, but O(log lines) with the line table of this parse. */
function span(start: number, end: number): A.Span {
  const starts = ctx.lineStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= start) lo = mid;
    else hi = mid - 1;
  }
  return { start, end, line: lo + 1, col: start - starts[lo]! + 1 };
}

function spanNode(n: ohm.Node): A.Span {
  return span(n.source.startIdx, n.source.endIdx);
}

function report(code: DiagnosticCode, s: A.Span, message: string): void {
  ctx.diagnostics.push(diagnostic(code, s, message));
}

/** Node ids are assigned afterwards, in source order (see `numberNodes`). */
function mk<K extends string, F extends object>(kind: K, n: ohm.Node, fields: F): { kind: K; id: number; span: A.Span } & F {
  return { kind, id: -1, span: spanNode(n), ...fields };
}

/** A rejected construct: reports CS002 and stands in for the node (the program is dropped anyway). */
function reject(n: ohm.Node, message: string, at: ohm.Node = n): any {
  report('CS002', spanNode(at), message);
  return mk('NullLiteral', n, {});
}

/** Ends a node's span before its statement terminator (`;` or the line break that `sc` consumed). */
function untilTerminator<T extends { span: A.Span }>(node: T, sc: ohm.Node): T {
  node.span = { ...node.span, end: sc.source.startIdx };
  return node;
}

function opt(iter: ohm.Node): any {
  return iter.children.length > 0 ? iter.children[0]!.ast() : undefined;
}

/** The case name (`Rule_case`) of a rule node such as a list item. */
function caseOf(n: ohm.Node): string {
  return n.ctorName.includes('_') ? n.ctorName : (n.children[0]?.ctorName ?? n.ctorName);
}

function list(listOf: ohm.Node): any[] {
  return listOf.asIteration().children.map((c: ohm.Node) => c.ast());
}

// ---------------------------------------------------------------------------------------------
// Literal cooking
// ---------------------------------------------------------------------------------------------

/** Cooks the body of a string or template (without quotes), as JavaScript does. CS004 on a bad escape. */
function cook(raw: string, start: number): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const at = start + i;
    const e = raw[++i];
    switch (e) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '\n': case '\u2028': case '\u2029': break; // line continuation
      case '\r': if (raw[i + 1] === '\n') i++; break;
      case 'x': {
        const hex = raw.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
          report('CS004', span(at, at + 2 + hex.length), 'invalid escape: `\\x` needs two hex digits');
          break;
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 2;
        break;
      }
      case 'u': {
        if (raw[i + 1] === '{') {
          const close = raw.indexOf('}', i);
          const hex = close < 0 ? '' : raw.slice(i + 2, close);
          const cp = /^[0-9a-fA-F]{1,6}$/.test(hex) ? parseInt(hex, 16) : -1;
          if (cp < 0 || cp > 0x10ffff) {
            report('CS004', span(at, at + 2), 'invalid escape: `\\u{…}` needs a code point up to 10FFFF');
            break;
          }
          out += String.fromCodePoint(cp);
          i = close;
          break;
        }
        const hex = raw.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          report('CS004', span(at, at + 2 + hex.length), 'invalid escape: `\\u` needs four hex digits');
          break;
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      case '0':
        // `\0` is NUL unless a digit follows (then it is a legacy octal escape)
        if (!/[0-9]/.test(raw[i + 1] ?? '')) out += '\0';
        else report('CS004', span(at, at + 2), 'octal escapes are not supported: use `\\u` escapes');
        break;
      case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        report('CS004', span(at, at + 2), 'octal escapes are not supported: use `\\u` escapes');
        break;
      default:
        out += e ?? '';
    }
  }
  return out;
}

function numberValue(n: ohm.Node): number {
  const text = n.sourceString.replace(/_/g, '');
  const value = Number(text);
  if (/^0[0-9]/.test(text)) report('CS004', spanNode(n), 'numbers cannot start with 0 (octal is not supported)');
  else if (!Number.isFinite(value)) report('CS004', spanNode(n), 'number literal is too large');
  return value;
}

// ---------------------------------------------------------------------------------------------
// ohm tree → AST
// ---------------------------------------------------------------------------------------------

const semantics = grammar.createSemantics();

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

/** One link of a postfix chain applied to `object`; `s` spans from the chain's head to this link. */
function postfixOp(op: ohm.Node, object: A.Expression, s: A.Span): A.Expression {
  const c = op.children[0]!;
  const k = c.children;
  switch (c.ctorName) {
    case 'PostfixOp_optIndex':
      return { kind: 'Index', id: -1, span: s, object, index: k[2]!.ast(), optional: true };
    case 'PostfixOp_optCall_reject':
      report('CS002', spanNode(k[0]!), MESSAGES.optionalCall);
      return object;
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
    default:
      throw new Error(`unexpected postfix case ${c.ctorName}`);
  }
}

function param(this: ohm.Node, name: ohm.Node, type?: ohm.Node): A.Param {
  const p: A.Param = { name: name.sourceString, span: spanNode(this) };
  if (type) p.type = type.ast();
  return p;
}

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

semantics.addOperation('ast', {
  Program(decls, _end) {
    const types: A.TypeAlias[] = [];
    const tasks: A.TaskDecl[] = [];
    const functions: A.FunctionDecl[] = [];
    const workflows: A.WorkflowDecl[] = [];
    for (const d of decls.children.map((c) => c.ast()) as (A.TypeAlias | A.TaskDecl | A.WorkflowDecl | A.FunctionDecl | A.NullLiteral)[]) {
      if (d.kind === 'TypeAlias') types.push(d);
      else if (d.kind === 'TaskDecl') tasks.push(d);
      else if (d.kind === 'FunctionDecl') functions.push(d);
      else if (d.kind === 'WorkflowDecl') workflows.push(d);
    }
    for (const extra of workflows.slice(1)) {
      const first = workflows[0]!;
      report('CS003', extra.span, `a file declares exactly one workflow: '${extra.name}' is a second one ('${first.name}' is at line ${first.span.line})`);
    }
    const program = {
      kind: 'Program',
      id: -1,
      span: span(0, ctx.source.length),
      file: '',
      source: ctx.source,
      types,
      tasks,
      functions,
      workflow: workflows[0]!,
      nodeCount: 0,
    } satisfies A.Program;
    if (workflows.length === 0 && !ctx.diagnostics.some((d) => d.code === 'CS002')) {
      report('CS003', span(0, 0), MESSAGES.missingWorkflow);
    }
    return program;
  },
  TopDecl_export_reject(kw, decl) {
    decl.ast();
    return reject(this, MESSAGES.module, kw);
  },
  TopDecl_empty(_semi) {
    return mk('NullLiteral', this, {});
  },
  TopDecl_import_reject(_kw, _tail) {
    return reject(this, MESSAGES.module);
  },
  TopDecl_async_reject(kw, _fn, _star, _rest) {
    return reject(this, MESSAGES.asyncFunction, kw);
  },
  TopDecl_generator_reject(_fn, star, _rest) {
    return reject(this, MESSAGES.generator, star);
  },
  FunctionDecl(_fn, name, _lp, params, _rp, ret, body) {
    const node: A.FunctionDecl = mk('FunctionDecl', this, { name: name.sourceString, params: params.ast(), body: body.ast() });
    const r = opt(ret);
    if (r) node.returnType = r;
    return node;
  },
  FnParams(ps, _comma) {
    return list(ps);
  },
  FnParam_default_reject(target, _q, _colon, _type, eq, _value) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return { target: target.ast(), optional: false, span: spanNode(this) } satisfies A.FnParam;
  },
  FnParam_rest_reject(dots, target, _colon, _type) {
    report('CS002', spanNode(dots), MESSAGES.restParam);
    return { target: target.ast(), optional: false, span: spanNode(this) } satisfies A.FnParam;
  },
  FnParam_plain(target, q, _colon, type) {
    const p: A.FnParam = { target: target.ast(), optional: q.children.length > 0, span: spanNode(this) };
    const t = opt(type);
    if (t) p.type = t;
    return p;
  },
  TypeAlias(_type, name, _eq, type, sc) {
    return untilTerminator(mk('TypeAlias', this, { name: name.sourceString, type: type.ast() }), sc);
  },
  TaskDecl(_task, name, _lp, params, _rp, ret, policy, sc) {
    const node: A.TaskDecl = mk('TaskDecl', this, { name: name.sourceString, params: params.ast() });
    const r = opt(ret);
    if (r) node.returnType = r;
    const p = opt(policy);
    if (p) node.policy = p;
    return untilTerminator(node, sc);
  },
  WorkflowDecl(_wf, name, _lp, params, _rp, ret, body) {
    const node: A.WorkflowDecl = mk('WorkflowDecl', this, { name: name.sourceString, params: params.ast(), body: body.ast() });
    const r = opt(ret);
    if (r) node.returnType = r;
    return node;
  },
  Params(ps, _comma) {
    return list(ps);
  },
  Param_default_reject(_name, _q, _colon, _type, eq, _value) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return { name: '', span: spanNode(this) };
  },
  Param_typed(name, _colon, type) {
    return param.call(this, name, type);
  },
  Param_plain(name) {
    return param.call(this, name);
  },
  ReturnType(_colon, type) {
    return type.ast();
  },
  Policy(_with, obj) {
    return obj.ast();
  },

  // --- types ---
  Type(_lead, members) {
    const types = members.asIteration().children.map((c) => c.ast()) as A.TypeNode[];
    if (types.length === 1) return types[0];
    return mk('UnionType', this, { types });
  },
  ArrayType_array(element, _l, _r) {
    return mk('ArrayType', this, { element: element.ast() });
  },
  PrimaryType_paren(_l, type, _r) {
    return type.ast();
  },
  PrimaryType_generic(_array, _l, type, _r) {
    return mk('ArrayType', this, { element: type.ast() });
  },
  PrimaryType_string(s) {
    return mk('LiteralType', this, { value: s.ast() as string });
  },
  PrimaryType_number(minus, n) {
    const v = numberValue(n);
    return mk('LiteralType', this, { value: minus.children.length ? -v : v });
  },
  PrimaryType_true(_t) {
    return mk('LiteralType', this, { value: true });
  },
  PrimaryType_false(_f) {
    return mk('LiteralType', this, { value: false });
  },
  PrimaryType_primitive(p) {
    return mk('PrimitiveType', this, { name: p.sourceString as A.PrimitiveTypeNode['name'] });
  },
  PrimaryType_ref(name) {
    return mk('TypeRef', this, { name: name.sourceString });
  },
  ObjectType(_l, members, _sep, _r) {
    return mk('ObjectType', this, { members: list(members) });
  },
  TypeMember(name, q, _colon, type) {
    return { name: name.ast() as string, optional: q.children.length > 0, type: type.ast(), span: spanNode(this) };
  },

  // --- statements ---
  Block(_l, items, _r) {
    const body = items.children.map((c) => c.ast()).filter((s) => s !== null) as A.Statement[];
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
  Statement_break(_b, sc) {
    return untilTerminator(mk('Break', this, {}), sc);
  },
  Statement_continue(_c, sc) {
    return untilTerminator(mk('Continue', this, {}), sc);
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
  Statement_switch_reject(kw, _lp, _e, _rp, _body) {
    return reject(this, MESSAGES.switch, kw);
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
  AssignOp_add(_op) {
    return '+=';
  },
  AssignOp_sub(_op) {
    return '-=';
  },
  AssignOp_mul(_op) {
    return '*=';
  },
  AssignOp_div(_op) {
    return '/=';
  },
  AssignOp_other_reject(op) {
    report('CS002', spanNode(this), compoundAssignMessage(op.sourceString));
    return '=';
  },
  Update_postfix(target, _sp, op) {
    return mk('Update', this, { op: op.sourceString as '++' | '--', prefix: false, target: target.ast() });
  },
  Update_prefix(op, target) {
    return mk('Update', this, { op: op.sourceString as '++' | '--', prefix: true, target: target.ast() });
  },

  // --- patterns ---
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
  ArrayPatElem_default_reject(_b, eq, _e) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return mk('IdentifierPattern', this, { name: '' });
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
  ObjPatProp_kvDefault_reject(_k, _c, _b, eq, _e) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return { key: '', value: mk('IdentifierPattern', this, { name: '' }), span: spanNode(this) };
  },
  ObjPatProp_kv(key, _colon, value) {
    return { key: key.ast(), value: value.ast(), span: spanNode(this) };
  },
  ObjPatProp_default_reject(_k, eq, _e) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return { key: '', value: mk('IdentifierPattern', this, { name: '' }), span: spanNode(this) };
  },
  ObjPatProp_short(name) {
    return { key: name.sourceString, value: mk('IdentifierPattern', name, { name: name.sourceString }), span: spanNode(this) };
  },

  // --- expressions ---
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
  Relational: foldBinary,
  Additive: foldBinary,
  Multiplicative: foldBinary,
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
  PostfixHead_new_reject(kw, _e) {
    return reject(this, MESSAGES.new, kw);
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

  // --- lexical ---
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
});

// ---------------------------------------------------------------------------------------------
// Node ids: pre-order, children in source order
// ---------------------------------------------------------------------------------------------

function isNode(v: unknown): v is A.Node {
  return typeof v === 'object' && v !== null && 'kind' in v && 'id' in v;
}

/** The nodes directly below `value`, looking through arrays and plain objects (params, members). */
function childNodes(value: unknown, out: A.Node[]): void {
  if (Array.isArray(value)) {
    for (const v of value) childNodes(v, out);
  } else if (typeof value === 'object' && value !== null) {
    if (isNode(value)) {
      out.push(value);
      return;
    }
    for (const [k, v] of Object.entries(value)) if (k !== 'span') childNodes(v, out);
  }
}

/**
 * Numbers every node in pre-order with children sorted by their start offset; returns the count,
 * and the first node (in pre-order) deeper than `MAX_NESTING`, if any.
 */
function numberNodes(root: A.Node): { count: number; tooDeep?: A.Node } {
  let next = 0;
  let tooDeep: A.Node | undefined;
  // An explicit stack, not recursion: deep nesting must not overflow here.
  const stack: A.Node[] = [root];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const depth = depths.pop()!;
    if (depth > MAX_NESTING && !tooDeep) tooDeep = node;
    node.id = next++;
    const kids: A.Node[] = [];
    for (const [k, v] of Object.entries(node)) if (k !== 'span' && k !== 'source') childNodes(v, kids);
    kids.sort((a, b) => a.span.start - b.span.start);
    for (let i = kids.length - 1; i >= 0; i--) {
      stack.push(kids[i]!);
      depths.push(depth + 1);
    }
  }
  return { count: next, tooDeep };
}

// ---------------------------------------------------------------------------------------------
// Syntax error messages
// ---------------------------------------------------------------------------------------------

interface OhmFailure {
  getText(): string;
  type: 'description' | 'string' | 'code';
  isFluffy(): boolean;
}

const NEWLINES = new Set(['\n', '\r', '\u2028', '\u2029', '\r\n']);
/** Tokens that can start an expression (when several are expected, say "an expression"). */
const EXPRESSION_STARTS = new Set([
  'an identifier', 'a number', 'a string', '"`"', '"("', '"["', '"{"', '"!"', '"-"', '"+"',
  '"typeof"', '"await"', '"true"', '"false"', '"null"',
]);
/** Tokens that can start a type. */
const TYPE_STARTS = new Set([
  'an identifier', 'a number', 'a string', '"("', '"{"', '"-"', '"|"', '"true"', '"false"', '"Array"',
  '"string"', '"number"', '"boolean"', '"null"', '"any"', '"void"',
]);
/** Tokens that can start a statement (beyond the expression starts). */
const STATEMENT_STARTS = new Set([
  '"const"', '"let"', '"if"', '"while"', '"for"', '"return"', '"break"', '"continue"', '"++"', '"--"', '";"',
  ...EXPRESSION_STARTS,
]);
/** Tokens that can continue an expression after an operand. */
const OPERATORS = new Set([
  '"("', '"["', '"."', '"?."', '"?"', '"??"', '"||"', '"&&"', '"==="', '"!=="', '"=="', '"!="', '"<="', '">="',
  '"<"', '">"', '"+"', '"-"', '"*"', '"/"', '"%"', '"with"', '"="', '"+="', '"-="', '"*="', '"/="', '"++"', '"--"',
]);
/** Alternatives that exist only to be rejected: never suggest them. */
const REJECT_ONLY = new Set([
  '"export"', '"import"', '"function"', '"async"', '"class"', '"throw"', '"try"', '"switch"', '"do"', '"var"',
  '"new"', '"this"', '"delete"', '"void"', '"instanceof"', '"in"', '"=>"', '"..."', '"%="', '"**="', '"??="',
  '"||="', '"&&="', '"<<="', '">>>="', '">>="', '"&="', '"|="', '"^="', '"catch"', '"finally"', '"extends"',
]);

/**
 * ohm's rightmost failures as a short list: spaces and negative lookaheads dropped, reject-only
 * alternatives hidden, and families of tokens named ("an expression", "a type", "an operator").
 */
function expectedList(failures: OhmFailure[]): string[] {
  const seen = new Set<string>();
  for (const f of failures) {
    const text = f.getText();
    if (f.type === 'description' && text === 'a space') continue;
    if (text.startsWith('not ')) continue; // negative lookaheads (keyword guards) say nothing useful
    if (f.type === 'string' && NEWLINES.has(text)) seen.add('a new line');
    else seen.add(f.type === 'string' ? JSON.stringify(text) : text);
  }
  let items = [...seen];
  if (items.length > 1) items = items.filter((t) => t !== 'end of input');
  const wanted = items.filter((t) => !REJECT_ONLY.has(t) || (t === '"void"' && items.includes('"any"')));
  if (wanted.length > 0) items = wanted;
  // Between declarations a stray `;` is allowed but not worth suggesting.
  if (items.includes('"workflow"')) items = items.filter((t) => t !== '";"');
  const has = (t: string) => items.includes(t);
  const out: string[] = [];
  const used = new Set<string>();
  const group = (name: string, members: Set<string>) => {
    out.push(name);
    for (const t of items) if (members.has(t)) used.add(t);
  };
  if (has('"any"') && has('"boolean"')) group('a type', TYPE_STARTS);
  else if (has('"if"') && has('"const"')) group('a statement', STATEMENT_STARTS);
  else if (has('an identifier') && has('a number')) group('an expression', EXPRESSION_STARTS);
  // Operators count only when some of them could not start the expected statement or expression.
  if (items.filter((t) => OPERATORS.has(t) && !EXPRESSION_STARTS.has(t) && !used.has(t)).length >= 2) group('an operator', OPERATORS);
  for (const t of items) if (!used.has(t)) out.push(t);
  // "a new line" reads best last.
  const nl = out.indexOf('a new line');
  if (nl >= 0) out.push(...out.splice(nl, 1));
  return out;
}

function joinOr(items: string[]): string {
  if (items.length <= 1) return items[0] ?? 'something else';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** An unterminated string or template at `pos` explains a failure better than the expected-list. */
function unterminatedAt(source: string, pos: number): string | undefined {
  const q = source[pos];
  if (q === '"' || q === "'") {
    for (let i = pos + 1; i < source.length; i++) {
      const c = source[i]!;
      if (c === '\\') i++;
      else if (c === q) return undefined;
      else if (c === '\n' || c === '\r') break;
    }
    return 'unterminated string: close it with ' + q + ' on the same line';
  }
  if (q === '`' && source.indexOf('`', pos + 1) < 0) return MESSAGES.unterminatedTemplate;
  if (source.startsWith('/*', pos) && source.indexOf('*/', pos + 2) < 0) return 'unterminated comment: close it with */';
  return undefined;
}

const NUMBER_TOKEN = /^(?:\d|\.\d)[\w$.]*(?:(?<=[eE])[+-][\w$]*)?/;
const VALID_NUMBER = /^(?:0[xX][0-9a-fA-F]+(?:_[0-9a-fA-F]+)*|\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?(?:[eE][+-]?\d+(?:_\d+)*)?|\.\d+(?:_\d+)*(?:[eE][+-]?\d+(?:_\d+)*)?)$/;

/** A malformed number where a number may stand (`0x`, `1__0`, `1e`, `3px`): its text, else undefined. */
function badNumberAt(source: string, pos: number, expected: string[]): string | undefined {
  if (!expected.includes('a number') && !expected.includes('an expression') && !expected.includes('a type')) return undefined;
  const token = NUMBER_TOKEN.exec(source.slice(pos, pos + 100))?.[0];
  return token && !VALID_NUMBER.test(token) ? token : undefined;
}

function syntaxError(match: ohm.MatchResult, source: string): Diagnostic {
  const pos = (match as ohm.FailedMatchResult).getRightmostFailurePosition();
  const failures = (match as unknown as { getRightmostFailures(): OhmFailure[] }).getRightmostFailures();
  const end = Math.min(source.length, pos + Math.max(1, /^[\p{L}\p{N}_$]+/u.exec(source.slice(pos, pos + 64))?.[0].length ?? 1));
  // Inside a template ohm fails at the end of the input, wanting "`" or "${": point at the opening
  // backquote (the last one before the failure) instead.
  if (pos === source.length && failures.some((f) => f.getText() === '${')) {
    const open = Math.max(0, source.lastIndexOf('`', pos - 1));
    return diagnostic('CS001', span(open, open + 1), MESSAGES.unterminatedTemplate);
  }
  const expected = expectedList(failures);
  const bad = badNumberAt(source, pos, expected);
  if (bad) return diagnostic('CS004', span(pos, pos + bad.length), `invalid number: ${bad}`);
  const message = unterminatedAt(source, pos) ?? `expected ${joinOr(expected)}`;
  return diagnostic('CS001', span(pos, pos < source.length ? end : pos), message);
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

/**
 * The largest source accepted, in UTF-16 code units (`source.length`; 64 KiB of ASCII). Checked
 * before parsing: parse time and memory grow linearly with the size but steeply (ohm's memo table:
 * ~25 ms and ~5 MB per KB of statements, twice that for long argument lists; see `npm run bench`),
 * so the largest source accepted compiles in ~4 s within ~700 MB, which the engine's 1,024 MB
 * functions hold. The largest example is under 10 KB. Over it: CS005 at 1:1.
 */
export const MAX_SOURCE_LENGTH = 64 * 1024;

/**
 * The deepest syntax tree accepted: levels of nodes from the program down (a workflow body is 3,
 * each `+` of a left-deep `a + b + c …` chain, each `.y` of `x.y.y…`, each call, `!`, bracket,
 * block or `if` one more). The checker and the interpreter walk the tree recursively; this bound
 * keeps them far from the stack limit (they survive well over 2,000 levels). A 400-term
 * concatenation fits. Over it: CS006 at the first node too deep.
 */
export const MAX_NESTING = 512;

/** Parses a `.workflow` source. Never throws. */
export function parse(source: string, file = 'workflow.workflow'): ParseResult {
  if (typeof source !== 'string') source = String(source);
  if (source.length > MAX_SOURCE_LENGTH) {
    return {
      diagnostics: [
        diagnostic('CS005', { start: 0, end: 0, line: 1, col: 1 }, `the source is ${source.length} characters long; the limit is ${MAX_SOURCE_LENGTH} (64 KiB): split the workflow or move data into its input`),
      ],
    };
  }
  const saved = ctx;
  ctx = { source, lineStarts: lineStartsOf(source), diagnostics: [] };
  try {
    const match = grammar.match(source);
    if (match.failed()) return { diagnostics: [syntaxError(match, source)] };
    const program = semantics(match).ast() as A.Program;
    program.file = file;
    if (ctx.diagnostics.length > 0) {
      return { diagnostics: ctx.diagnostics.sort((a, b) => a.span.start - b.span.start) };
    }
    const numbered = numberNodes(program);
    if (numbered.tooDeep) {
      const at = numbered.tooDeep.span;
      return { diagnostics: [diagnostic('CS006', span(at.start, Math.min(at.end, at.start + 1)), `the program is nested more than ${MAX_NESTING} levels deep here: split the expression with intermediate variables`)] };
    }
    program.nodeCount = numbered.count;
    return { program, diagnostics: [] };
  } catch (e) {
    // Deep nesting overflows ohm's recursive matcher; anything else here is a parser bug, still
    // reported as a diagnostic rather than thrown (callers rely on `parse` never throwing).
    if (e instanceof RangeError) return { diagnostics: [diagnostic('CS006', span(0, 0), MESSAGES.tooDeep)] };
    return { diagnostics: [diagnostic('CS007', span(0, 0), `internal parser error, please report: ${(e as Error)?.message ?? String(e)}`)] };
  } finally {
    ctx = saved;
  }
}
