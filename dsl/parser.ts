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
 * the text. `parse` never throws. Rejected constructs (classes, nested or async functions, …) are parsed by grammar
 * alternatives that exist only to be reported as CS002 with what to do instead; literal problems are
 * CS004; a missing or second `workflow` is CS003. `program` is present only when there is no
 * diagnostic at all.
 *
 * Syntax errors, all in one pass (recovery): when the grammar `Currant` does not match, the source
 * is matched again with `CurrantTolerant` (the same grammar plus recovery alternatives, see the end
 * of currant.ohm), which skips each broken statement (to the end of its line, a `;` or the `}` of
 * its block, brackets balanced), each broken `if`/`while`/`for`/`switch` header, case test or
 * workflow header, each broken top-level declaration (to the next line that starts one) and a
 * missing `}`. For every skipped part the parser asks `Currant` why it failed, by matching the rule
 * that failed there (a statement, a declaration) on the text from that point: that gives the same
 * "expected …" message (CS001) a file with only that error would get. Then `partial` is the
 * program of what parsed: each skipped statement is an `Invalid` node (declaring the names a broken
 * `const x = …` introduced), so the checker can report what else is wrong (dsl/index.ts `compile`).
 * At most MAX_SYNTAX_ERRORS are reported.
 */
import { readFileSync } from 'node:fs';
import * as ohm from 'ohm-js';
import type * as A from './ast.ts';
import { diagnostic, type Diagnostic, type DiagnosticCode } from './diagnostics.ts';

const { grammar, tolerant } = loadGrammars();

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

export interface ParseResult {
  /** Present only when `diagnostics` is empty. */
  program?: A.Program;
  /**
   * When there are diagnostics: the program of what parsed, with `Invalid` nodes standing for what
   * did not (or is not supported), for the checker and editors. Never run it. Absent when no
   * workflow declaration could be read, or the source is over a limit (CS005, CS006).
   */
  partial?: A.Program;
  diagnostics: Diagnostic[];
}

/** Syntax errors reported for one source at most (the rest are usually consequences). */
export const MAX_SYNTAX_ERRORS = 50;

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
  newDate: '`new Date()` is not supported: use `now()` (the current time as an ISO string, fixed where it stands, so it does not change on resume)',
  newCollection: '`new Map()` / `new Set()` are not supported: use an object (`{}`, `o[key] = v`, `Object.keys(o)`) or an array (`[]`, `includes`)',
  newPromise: '`new Promise` is not supported: await a task, `sleep(d)` or `signal(name)` directly',
  this: '`this` is not supported: use variables',
  var: '`var` is not supported: use `let` or `const`',
  doWhile: '`do … while` is not supported: use `while (true) { …; if (!cond) break }`',
  forAwait: '`for await` is not supported: await inside the loop body, or use `await Promise.all(xs.map(task))`',
  forIn: '`for … in` is not supported: use `for (const key of Object.keys(obj))`',
  instanceof: '`instanceof` is not supported: use `typeof` or `Array.isArray`',
  delete: '`delete` is not supported: build a new object without the key',
  void: '`void` is not supported',
  spreadArg: 'spread arguments are not supported: pass the array itself',
  computedKey: 'computed property keys are not supported: create the object, then set `obj[key] = value`',
  defaultValue: 'default values are not supported: use `??` on the value instead',
  multipleDeclarators: 'declare one variable per statement: `const a = 1` then `const b = 2`',
  restLast: 'a rest element must be the last one',
  restName: 'a rest element must be a plain name (`...rest`)',
  missingWorkflow: 'the file declares no workflow: add `workflow name(params) { … }`',
  tooDeep: 'the program is nested too deeply to parse',
  unterminatedTemplate: 'unterminated template string: close it with `',
  generics: 'generic declarations are not supported: write the types out (a task or workflow takes and gives concrete types)',
  enum: 'enums are not supported: use a union of string literals, e.g. `type Color = "red" | "green"`',
  declare: '`declare` is not needed: declare tasks with `task name(…): T` and types with `type` or `interface`',
  namespace: 'namespaces and modules are not supported: a workflow file is self-contained',
  decorator: 'decorators are not supported',
  topVar: 'variables are declared inside the workflow, not at the top of the file: move it into the workflow body (or make it a parameter)',
  localType: 'declare types at the top of the file, outside the workflow',
  debugger: '`debugger` is not supported: use `console.log(…)` and `currant status <id>` to see the variables',
  bitwise: 'bitwise operators are not supported: use arithmetic (`Math.floor(x / 2)`, `x % 2`) or a task',
  unaryPow: 'a unary operator right before `**` is ambiguous: write `(-x) ** 2` or `-(x ** 2)`',
  regex: 'regular expressions are not supported: use string methods (`includes`, `startsWith`, `split`, `replaceAll`) or a task',
  tagged: 'tagged templates are not supported: call a function on the template\'s value instead',
  objectAssign: 'wrap a destructuring assignment to an object pattern in parentheses: `({ a, b } = value)` (a `{` at the start of a statement opens a block)',
  indexedType: 'indexed access types `T["key"]` are not supported: write the field\'s type out, or give it a `type` alias',
  typeOperator: 'type operators (`keyof`, `typeof`, `infer`, `unique`) are not supported: write the type out',
  functionType: 'function types are not supported: workflows pass data, not functions (a task name is passed to `xs.map(task)` without a type)',
  templateType: 'template literal types are not supported: use `string` or a union of string literals',
  tupleRest: 'rest elements in tuple types are not supported: use an array type `T[]`',
  tupleNamed: 'named tuple members are not supported: write `[string, number]`, or use an object type',
  tupleOptional: 'optional tuple elements are not supported: use `T | null`',
  mappedType: 'mapped types are not supported: write the object type out, or use `Record<K, V>`',
  methodType: 'method signatures are not supported: object types hold data fields only',
  readonlyType: '`readonly` applies to array and tuple types: `readonly string[]`, `readonly [A, B]`',
  indexKey: 'an index signature\'s key is `string` or `number`: `{ [key: string]: V }`',
  twoIndexes: 'an object type has at most one index signature',
} as const;

function compoundAssignMessage(op: string): string {
  return `\`${op}\` is not supported: bitwise operators do not exist in workflows`;
}

/** What to write instead of a TypeScript type that has no meaning in a workflow. */
function primitiveRejected(name: string): string | undefined {
  if (name === 'never') return '`never` is not supported: a workflow type describes data (use `null` or leave the annotation out)';
  if (name === 'bigint') return '`bigint` is not supported: numbers are JSON numbers (`number`); pass big integers as strings';
  if (name === 'symbol') return '`symbol` is not supported: values are JSON (use `string`)';
  return undefined;
}

/** Generic types currant reads (`Array<T>`, `ReadonlyArray<T>`, `Record<K, V>`, `Readonly<T>`, `Promise<T>`), by type-argument count. */
const GENERIC_ARITY: Record<string, number> = { Array: 1, ReadonlyArray: 1, Record: 2, Readonly: 1, Promise: 1 };

function genericRejected(name: string): string {
  if (['Partial', 'Required', 'Pick', 'Omit', 'Exclude', 'Extract', 'NonNullable', 'ReturnType', 'Parameters', 'Awaited'].includes(name)) {
    return `the utility type \`${name}<…>\` is not supported: write the object type out (\`Array<T>\`, \`ReadonlyArray<T>\`, \`Record<K, V>\`, \`Readonly<T>\` and \`Promise<T>\` are)`;
  }
  if (name === 'Map' || name === 'Set') return `\`${name}<…>\` is not supported: values are JSON, use \`Record<string, V>\` or an array`;
  return `generic types are not supported: \`${name}<…>\` (only \`Array<T>\`, \`ReadonlyArray<T>\`, \`Record<K, V>\`, \`Readonly<T>\` and \`Promise<T>\`); write the type out`;
}

// ---------------------------------------------------------------------------------------------
// Per-parse context. `parse` is synchronous and not re-entrant, so one module-level slot is enough.
// ---------------------------------------------------------------------------------------------

/** A part the tolerant grammar skipped: where, and which `Currant` rule failed there (its message says why). */
interface Recovered {
  start: number;
  rule: 'StmtProbe' | 'TopProbe' | 'CaseProbe';
}

interface Ctx {
  source: string;
  lineStarts: number[];
  diagnostics: Diagnostic[];
  recovered: Recovered[];
  /** The (rejected) generic parameters of the declaration being read: they read as `any`. */
  typeParams: Set<string>;
}
let ctx: Ctx = { source: '', lineStarts: [0], diagnostics: [], recovered: [], typeParams: new Set() };

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

/** A rejected construct: reports CS002 and an `Invalid` node stands in for it (in the partial program). */
function reject(n: ohm.Node, message: string, at: ohm.Node = n): any {
  report('CS002', spanNode(at), message);
  return mk('Invalid', n, {});
}

/** A rejected type: reports CS002; `any` stands in for it. */
function rejectType(n: ohm.Node, message: string, at: ohm.Node = n): A.TypeNode {
  report('CS002', spanNode(at), message);
  return mk('PrimitiveType', n, { name: 'any' as const });
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

function typeArgs(iter: ohm.Node): A.TypeNode[] | undefined {
  return iter.children.length > 0 ? (iter.children[0]!.ast() as A.TypeNode[]) : undefined;
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

function param(this: ohm.Node, name: ohm.Node, type?: ohm.Node, optional = false): A.Param {
  const p: A.Param = { name: name.sourceString, span: spanNode(this) };
  if (type) p.type = type.ast();
  if (optional) p.optional = true;
  return p;
}

/**
 * Reports generic parameters of a declaration (`<T>`), which are not supported; until the next
 * declaration, a reference to one reads as `any` (no "unknown type" after the CS002).
 */
function noTypeParams(iter: ohm.Node): void {
  ctx.typeParams = new Set();
  if (iter.children.length === 0) return;
  report('CS002', spanNode(iter), MESSAGES.generics);
  for (const name of iter.children[0]!.children[1]!.asIteration().children) ctx.typeParams.add(name.sourceString);
}

/** `Array<T>`, `ReadonlyArray<T>`, `Record<K, V>`, `Readonly<T>`; any other generic is reported. */
function genericType(n: ohm.Node, name: ohm.Node, args: A.TypeNode[]): A.TypeNode {
  const id = name.sourceString;
  const want = Object.hasOwn(GENERIC_ARITY, id) ? GENERIC_ARITY[id] : undefined;
  if (want === undefined) return rejectType(n, genericRejected(id));
  if (args.length !== want) return rejectType(n, `\`${id}\` takes ${want} type argument${want === 1 ? '' : 's'}, got ${args.length}`);
  switch (id) {
    case 'Array':
      return mk('ArrayType', n, { element: args[0]! });
    case 'ReadonlyArray':
      return mk('ReadonlyType', n, { type: mk('ArrayType', n, { element: args[0]! }) });
    case 'Readonly':
      return mk('ReadonlyType', n, { type: args[0]! });
    case 'Promise':
      return mk('PromiseType', n, { value: args[0]! });
    default:
      return mk('RecordType', n, { key: args[0]!, value: args[1]! });
  }
}

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
  const saved = ctx;
  ctx = { source: text, lineStarts: [0], diagnostics: [], recovered: [], typeParams: new Set() };
  try {
    return { kind: m[1] === 'const' ? 'const' : 'let', pattern: patternNamesOf(semantics(r).ast() as A.Pattern) };
  } finally {
    ctx = saved;
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
    if (workflows.length === 0 && ctx.recovered.length === 0 && !ctx.diagnostics.some((d) => d.code === 'CS002')) {
      report('CS003', span(0, 0), MESSAGES.missingWorkflow);
    }
    return program;
  },
  PatternProbe(binding, _rest) {
    return binding.ast();
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
  TypeAlias(_type, name, tps, _eq, type, sc) {
    noTypeParams(tps);
    return untilTerminator(mk('TypeAlias', this, { name: name.sourceString, type: type.ast() }), sc);
  },
  InterfaceDecl(_kw, name, tps, ext, body) {
    noTypeParams(tps);
    const members = body.ast() as A.TypeNode;
    const bases = (opt(ext) as A.TypeNode[] | undefined) ?? [];
    const type: A.TypeNode = bases.length === 0 ? members : mk('IntersectionType', this, { types: [...bases, members] });
    return mk('TypeAlias', this, { name: name.sourceString, type, form: 'interface' as const });
  },
  InterfaceExtends(_kw, list) {
    return list.asIteration().children.map((c) => c.ast());
  },
  TypeRefType(name, args) {
    const ta = typeArgs(args);
    return ta ? genericType(this, name, ta) : mk('TypeRef', this, { name: name.sourceString });
  },
  TypeParams(_l, _names, _r) {
    return null;
  },
  RejectTsDecl_enum(kw, _name, _body) {
    return reject(this, MESSAGES.enum, kw);
  },
  RejectTsDecl_constEnum(_const, kw, _name, _body) {
    return reject(this, MESSAGES.enum, kw);
  },
  RejectTsDecl_declare(kw, _tail) {
    return reject(this, MESSAGES.declare, kw);
  },
  RejectTsDecl_namespace(kw, _name, _body) {
    return reject(this, MESSAGES.namespace, kw);
  },
  RejectTsDecl_abstract(kw, _class) {
    return reject(this, MESSAGES.class, kw);
  },
  RejectTsDecl_decorator(at, _name) {
    return reject(this, MESSAGES.decorator, at);
  },
  RejectTsDecl_topVar(kw, _tail) {
    return reject(this, MESSAGES.topVar, kw);
  },
  TaskDecl(_task, name, tps, _lp, params, _rp, ret, policy, sc) {
    noTypeParams(tps);
    const node: A.TaskDecl = mk('TaskDecl', this, { name: name.sourceString, params: params.ast() });
    const r = opt(ret);
    if (r) node.returnType = r;
    const p = opt(policy);
    if (p) node.policy = p;
    return untilTerminator(node, sc);
  },
  WorkflowDecl(_wf, name, tps, _lp, params, _rp, ret, body) {
    noTypeParams(tps);
    const node: A.WorkflowDecl = mk('WorkflowDecl', this, { name: name.sourceString, params: params.ast(), body: body.ast() });
    const r = opt(ret);
    if (r) node.returnType = r;
    return node;
  },
  Params(ps, _comma) {
    return list(ps);
  },
  Param_default_reject(name, _q, _colon, _type, eq, _value) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return { name: name.sourceString, span: spanNode(this) };
  },
  Param_rest_reject(dots, name, _colon, _type) {
    report('CS002', spanNode(dots), MESSAGES.restParam);
    return { name: name.sourceString, span: spanNode(this) };
  },
  Param_optionalTyped(name, _q, _colon, type) {
    return param.call(this, name, type, true);
  },
  Param_optional(name, _q) {
    return param.call(this, name, undefined, true);
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
  IntersectionType(_lead, members) {
    const types = members.asIteration().children.map((c) => c.ast()) as A.TypeNode[];
    if (types.length === 1) return types[0];
    return mk('IntersectionType', this, { types });
  },
  ArrayType_array(element, _l, _r) {
    return mk('ArrayType', this, { element: element.ast() });
  },
  ArrayType_indexed_reject(obj, _l, key, _r) {
    obj.ast();
    key.ast();
    return rejectType(this, MESSAGES.indexedType);
  },
  PrimaryType_paren(_l, type, _r) {
    return type.ast();
  },
  PrimaryType_readonly(kw, type) {
    const t = type.ast() as A.TypeNode;
    if (t.kind !== 'ArrayType' && t.kind !== 'TupleType') return rejectType(this, MESSAGES.readonlyType, kw);
    return mk('ReadonlyType', this, { type: t });
  },
  PrimaryType_tuple(_l, elems, _comma, _r) {
    return mk('TupleType', this, { elements: list(elems) });
  },
  TupleElem_rest_reject(dots, type) {
    type.ast();
    return rejectType(this, MESSAGES.tupleRest, dots);
  },
  TupleElem_named_reject(_name, _q, _colon, type) {
    type.ast();
    return rejectType(this, MESSAGES.tupleNamed);
  },
  TupleElem_optional_reject(type, q) {
    type.ast();
    return rejectType(this, MESSAGES.tupleOptional, q);
  },
  PrimaryType_generic(name, _l, args, _r) {
    return genericType(this, name, list(args) as A.TypeNode[]);
  },
  PrimaryType_operator_reject(kw, type) {
    type.ast();
    return rejectType(this, MESSAGES.typeOperator, kw);
  },
  PrimaryType_function_reject(_l, _ps, _comma, _r, _arrow, _ret) {
    return rejectType(this, MESSAGES.functionType);
  },
  PrimaryType_template_reject(_t) {
    return rejectType(this, MESSAGES.templateType);
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
    const rejected = primitiveRejected(p.sourceString);
    if (rejected) return rejectType(this, rejected);
    return mk('PrimitiveType', this, { name: p.sourceString as A.PrimitiveTypeNode['name'] });
  },
  PrimaryType_ref(name) {
    if (ctx.typeParams.has(name.sourceString)) return mk('PrimitiveType', this, { name: 'any' as const });
    return mk('TypeRef', this, { name: name.sourceString });
  },
  ObjectType(_l, members, _sep, _r) {
    const node: A.ObjectTypeNode = mk('ObjectType', this, { members: [] });
    for (const m of list(members) as ({ index: A.TypeNode; span: A.Span } | A.ObjectTypeNode['members'][number] | null)[]) {
      if (m === null) continue;
      if ('index' in m) {
        if (node.index) report('CS002', m.span, MESSAGES.twoIndexes);
        else node.index = m.index;
      } else node.members.push(m);
    }
    return node;
  },
  TypeMember_index(_ro, _l, _key, _colon, keyType, _r, _c, value) {
    const k = keyType.ast() as A.TypeNode;
    if (k.kind !== 'PrimitiveType' || (k.name !== 'string' && k.name !== 'number')) report('CS002', k.span, MESSAGES.indexKey);
    return { index: value.ast(), span: spanNode(this) };
  },
  TypeMember_mapped_reject(_ro, _l, _key, _in, _keys, _r, _q, _c, _value) {
    report('CS002', spanNode(this), MESSAGES.mappedType);
    return null;
  },
  TypeMember_readonly(_ro, name, q, _colon, type) {
    return { name: name.ast() as string, optional: q.children.length > 0, type: type.ast(), span: spanNode(this), readonly: true };
  },
  TypeMember_method_reject(name, _q, _lp, _ps, _comma, _rp, _colon, _ret) {
    report('CS002', spanNode(this), MESSAGES.methodType);
    return null;
  },
  TypeMember_plain(name, q, _colon, type) {
    return { name: name.ast() as string, optional: q.children.length > 0, type: type.ast(), span: spanNode(this) };
  },
  TypeArgs(_l, args, _r) {
    return args.asIteration().children.map((c) => c.ast());
  },

  // --- statements ---
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
// Recovery: the tolerant grammar's own alternatives (see the end of currant.ohm)
// ---------------------------------------------------------------------------------------------

const tolerantSemantics = tolerant.extendSemantics(semantics);

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
  '"string"', '"number"', '"boolean"', '"null"', '"any"', '"void"', '"unknown"', '"undefined"', '"object"', '"["', '"typeof"',
  '"readonly"', '"keyof"', '"unique"', '"infer"', '"never"', '"bigint"', '"symbol"', '"<"', '"`"', '"&"',
]);
/** Tokens that can start a statement (beyond the expression starts). */
const STATEMENT_STARTS = new Set([
  '"const"', '"let"', '"if"', '"while"', '"for"', '"return"', '"break"', '"continue"', '"++"', '"--"', '";"', '"type"',
  ...EXPRESSION_STARTS,
]);
/** Tokens that can continue an expression after an operand. */
const OPERATORS = new Set([
  '"("', '"["', '"."', '"?."', '"?"', '"??"', '"||"', '"&&"', '"==="', '"!=="', '"=="', '"!="', '"<="', '">="',
  '"<"', '">"', '"+"', '"-"', '"*"', '"/"', '"%"', '"with"', '"="', '"+="', '"-="', '"*="', '"/="', '"++"', '"--"',
  '"**"', '"as"', '"satisfies"', '"!"', '"**="', '"%="', '"??="', '"||="', '"&&="',
]);
/** Alternatives that exist only to be rejected: never suggest them. */
const REJECT_ONLY = new Set([
  '"export"', '"import"', '"function"', '"async"', '"class"', '"throw"', '"try"', '"switch"', '"do"', '"var"',
  '"new"', '"this"', '"delete"', '"void"', '"instanceof"', '"in"', '"=>"', '"..."',
  '"<<="', '">>>="', '">>="', '"&="', '"|="', '"^="', '"catch"', '"finally"', '"extends"',
  '"~"', '"^"', '"|"', '"&"', '"<<"', '">>"', '">>>"', '"`"', '"enum"', '"declare"', '"namespace"', '"module"',
  '"abstract"', '"@"', '"debugger"', '"keyof"', '"unique"', '"infer"', '"never"', '"bigint"', '"symbol"',
  '"interface"', '"/"', '"<"', '"readonly"', '"case"', '"default"',
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
    if (f.type === 'string' && (text === ' ' || text === '\t')) continue; // the spaces before `as`
    if (text.startsWith('not ')) continue; // negative lookaheads (keyword guards) say nothing useful
    if (f.type === 'string' && NEWLINES.has(text)) seen.add('a new line');
    else seen.add(f.type === 'string' ? JSON.stringify(text) : text);
  }
  let items = [...seen];
  if (items.length > 1) items = items.filter((t) => t !== 'end of input');
  const wanted = items.filter((t) => !REJECT_ONLY.has(t) || (t === '"void"' && items.includes('"any"')));
  if (wanted.length > 0) items = wanted;
  // Between declarations a stray `;` is allowed but not worth suggesting.
  if (items.includes('"workflow"')) items = items.filter((t) => t !== '";"' && t !== '"const"' && t !== '"let"');
  // Where a statement may end, `:` is only the label form (`name: for …`): not worth suggesting.
  if (items.includes('";"')) items = items.filter((t) => t !== '":"');
  const has = (t: string) => items.includes(t);
  const out: string[] = [];
  const used = new Set<string>();
  const group = (name: string, members: Set<string>) => {
    out.push(name);
    for (const t of items) if (members.has(t)) used.add(t);
  };
  const expression = has('an identifier') && has('a number') && (has('"!"') || has('"await"'));
  if (has('"if"') && has('"const"')) group('a statement', STATEMENT_STARTS);
  else if (has('"any"') && has('"boolean"')) {
    // a type where an expression may stand too is `a < b` tried as `f<T>(…)`: the expression is meant
    if (expression) {
      group('an expression', EXPRESSION_STARTS);
      for (const t of items) if (TYPE_STARTS.has(t)) used.add(t);
    } else group('a type', TYPE_STARTS);
  } else if (has('an identifier') && has('a number')) group('an expression', EXPRESSION_STARTS);
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

/** The syntax error of a failed match of `source` (the text from `offset` of the whole source on). */
function syntaxError(match: ohm.MatchResult, source: string, offset = 0): Diagnostic {
  const pos = (match as ohm.FailedMatchResult).getRightmostFailurePosition();
  const failures = (match as unknown as { getRightmostFailures(): OhmFailure[] }).getRightmostFailures();
  const end = Math.min(source.length, pos + Math.max(1, /^[\p{L}\p{N}_$]+/u.exec(source.slice(pos, pos + 64))?.[0].length ?? 1));
  // Inside a template ohm fails at the end of the input, wanting "`" or "${": point at the opening
  // backquote (the last one before the failure) instead.
  if (pos === source.length && failures.some((f) => f.getText() === '${')) {
    const open = Math.max(0, source.lastIndexOf('`', pos - 1));
    return diagnostic('CS001', span(offset + open, offset + open + 1), MESSAGES.unterminatedTemplate);
  }
  const expected = expectedList(failures);
  const bad = badNumberAt(source, pos, expected);
  if (bad) return diagnostic('CS004', span(offset + pos, offset + pos + bad.length), `invalid number: ${bad}`);
  const message = unterminatedAt(source, pos) ?? `expected ${joinOr(expected)}`;
  return diagnostic('CS001', span(offset + pos, offset + (pos < source.length ? end : pos)), message);
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

/** The tolerant grammar's match, or undefined when it ran out of stack. */
function tolerantMatch(source: string): ohm.MatchResult | undefined {
  try {
    return tolerant.match(source);
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}

/** Diagnostics by position, one per position and code (recovery may find one error twice). */
function sorted(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of [...ds].sort((a, b) => a.span.start - b.span.start)) {
    const key = `${d.span.start}:${d.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** A CS001 for every part the tolerant grammar skipped (at most MAX_SYNTAX_ERRORS in all). */
function explainRecovered(): void {
  const errors = ctx.diagnostics.filter((d) => d.code === 'CS001').length;
  for (const r of ctx.recovered.sort((a, b) => a.start - b.start).slice(0, Math.max(0, MAX_SYNTAX_ERRORS - errors))) {
    ctx.diagnostics.push(probe(r));
  }
}

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
  ctx = { source, lineStarts: lineStartsOf(source), diagnostics: [], recovered: [], typeParams: new Set() };
  try {
    // One match with the tolerant grammar: on a valid source it gives exactly `Currant`'s tree (its
    // recovery alternatives come last and are taken only where `Currant` has no way on), so a
    // source without syntax errors pays for one match; a broken one gets every error from it.
    let program: A.Program;
    const match = tolerantMatch(source);
    if (match?.succeeded()) {
      program = tolerantSemantics(match).ast() as A.Program;
      explainRecovered();
    } else {
      // Recovery needs more stack than `Currant` alone (brackets nested hundreds deep), or (not
      // expected) it failed: then the first error only, as the parser gave before it recovered.
      ctx.diagnostics = [];
      ctx.recovered = [];
      const strict = grammar.match(source);
      if (strict.failed()) return { diagnostics: [syntaxError(strict, source)] };
      program = semantics(strict).ast() as A.Program;
    }
    program.file = file;
    const numbered = numberNodes(program);
    if (numbered.tooDeep) {
      const at = numbered.tooDeep.span;
      return { diagnostics: [...sorted(ctx.diagnostics), diagnostic('CS006', span(at.start, Math.min(at.end, at.start + 1)), `the program is nested more than ${MAX_NESTING} levels deep here: split the expression with intermediate variables`)] };
    }
    program.nodeCount = numbered.count;
    if (ctx.diagnostics.length > 0) {
      const diagnostics = sorted(ctx.diagnostics);
      return program.workflow ? { partial: program, diagnostics } : { diagnostics };
    }
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
