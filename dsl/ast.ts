/**
 * The currant AST: what the parser gives and the checker, interpreter and graph read.
 *
 * Takes nothing, gives types only. Every node is a tagged union member on `kind`, carries a
 * numeric `id` (unique in its program, assigned in source order, so the same text always gives
 * the same ids) and a source `span`. Interpreter state names nodes by these ids, which is why
 * ids must be a pure function of the source text.
 *
 *   parse('workflow w() { return 1 }').program.workflow.body.body[0]
 *   // => { kind: 'Return', id: 3, span: {...}, argument: { kind: 'NumberLiteral', value: 1, ... } }
 *
 * Change this file additively: saved instance states name node ids and kinds.
 */

/** A range in the source text. Offsets are 0-based UTF-16 indexes; line and col are 1-based. */
export interface Span {
  start: number;
  end: number;
  line: number;
  col: number;
}

interface NodeBase {
  id: number;
  span: Span;
}

// ---------------------------------------------------------------------------------------------
// Types (annotations). The checker turns these into its own type values.
// ---------------------------------------------------------------------------------------------

export type TypeNode =
  | PrimitiveTypeNode
  | ArrayTypeNode
  | ObjectTypeNode
  | UnionTypeNode
  | TypeRefNode
  | LiteralTypeNode
  | TupleTypeNode
  | RecordTypeNode
  | IntersectionTypeNode
  | ReadonlyTypeNode
  | PromiseTypeNode;

/**
 * `string`, `number`, `boolean`, `null`, `any`, `void`; and TypeScript's `unknown` (read as `any`),
 * `undefined` (read as `null`: there is no undefined) and `object` (any object).
 */
export interface PrimitiveTypeNode extends NodeBase {
  kind: 'PrimitiveType';
  name: 'string' | 'number' | 'boolean' | 'null' | 'any' | 'void' | 'unknown' | 'undefined' | 'object';
}
/** `T[]` (also `Array<T>`; `readonly T[]` and `ReadonlyArray<T>` are a `ReadonlyType` around it) */
export interface ArrayTypeNode extends NodeBase {
  kind: 'ArrayType';
  element: TypeNode;
}
/**
 * `{ success: boolean, paymentId?: string }` (commas or semicolons between members);
 * `readonly name: T` members, and an index signature `{ [key: string]: V }` (`index`).
 */
export interface ObjectTypeNode extends NodeBase {
  kind: 'ObjectType';
  members: { name: string; optional: boolean; type: TypeNode; span: Span; readonly?: boolean }[];
  /** The value type of an index signature `[key: string]: V` (keys are strings). */
  index?: TypeNode;
}
/** `[string, number]` */
export interface TupleTypeNode extends NodeBase {
  kind: 'TupleType';
  elements: TypeNode[];
}
/** `Record<K, V>`: K is `string`, `number` or a union of literal keys. */
export interface RecordTypeNode extends NodeBase {
  kind: 'RecordType';
  key: TypeNode;
  value: TypeNode;
}
/** `A & B` (also what `interface X extends A, B { … }` means) */
export interface IntersectionTypeNode extends NodeBase {
  kind: 'IntersectionType';
  types: TypeNode[];
}
/** `readonly T[]`, `readonly [A, B]`, `ReadonlyArray<T>`, `Readonly<T>` */
/** `Promise<T>`: a handle (a task call, `sleep`, `signal` or `Promise.*` not awaited) whose await gives T. */
export interface PromiseTypeNode extends NodeBase {
  kind: 'PromiseType';
  value: TypeNode;
}
export interface ReadonlyTypeNode extends NodeBase {
  kind: 'ReadonlyType';
  type: TypeNode;
}
/** `A | B` */
export interface UnionTypeNode extends NodeBase {
  kind: 'UnionType';
  types: TypeNode[];
}
/** `Payment` — a reference to a `type` alias */
export interface TypeRefNode extends NodeBase {
  kind: 'TypeRef';
  name: string;
}
/** `"ok"`, `42`, `true` used as a type */
export interface LiteralTypeNode extends NodeBase {
  kind: 'LiteralType';
  value: string | number | boolean;
}

// ---------------------------------------------------------------------------------------------
// Declarations
// ---------------------------------------------------------------------------------------------

export interface Program extends NodeBase {
  kind: 'Program';
  /** The file name used in diagnostics (e.g. `order.workflow`). */
  file: string;
  /** The exact source text; instances are frozen to it. */
  source: string;
  types: TypeAlias[];
  tasks: TaskDecl[];
  /** Top-level `function` helpers, in source order. */
  functions: FunctionDecl[];
  /** Exactly one per file; the parser reports a diagnostic when there is none or more than one. */
  workflow: WorkflowDecl;
  /** Highest node id + 1. */
  nodeCount: number;
}

/**
 * `type Payment = { success: boolean }`, and `interface Payment { success: boolean }` (`form:
 * 'interface'`; `interface A extends B, C { … }` is the intersection `B & C & { … }`).
 */
export interface TypeAlias extends NodeBase {
  kind: 'TypeAlias';
  name: string;
  type: TypeNode;
  form?: 'interface';
}

export interface Param {
  name: string;
  type?: TypeNode;
  span: Span;
  /** `name?: T`: may be left out (then null); its type accepts null. */
  optional?: boolean;
}

/** `task chargeCard(orderId: string, amount: number): Payment with { retries: 3, timeout: "30s" }` */
export interface TaskDecl extends NodeBase {
  kind: 'TaskDecl';
  name: string;
  params: Param[];
  returnType?: TypeNode;
  /** The `with { … }` object literal; evaluated by the checker as a constant policy. */
  policy?: ObjectLiteral;
  /**
   * Set on the stand-in for a task declaration the parser could not read (a partial program, see
   * parser.ts): its name is known, its parameters and result are not (calls are not checked).
   */
  recovered?: boolean;
}

/**
 * `function total(lines: Line[]): number { … }` at the top level of a file: a pure helper the
 * workflow and other helpers call synchronously (no await, no recursion, no workflow variables).
 */
export interface FunctionDecl extends NodeBase {
  kind: 'FunctionDecl';
  name: string;
  params: FnParam[];
  returnType?: TypeNode;
  body: Block;
}

/**
 * A parameter of a helper or an arrow function: a name or a destructuring pattern (`{ sku, qty }`),
 * optional (`x?`: a missing argument is null) and typed (`x: number`) at will.
 */
export interface FnParam {
  target: Pattern;
  optional: boolean;
  type?: TypeNode;
  span: Span;
}

/** `workflow processOrder(orderId: string, amount: number): string { … }` */
export interface WorkflowDecl extends NodeBase {
  kind: 'WorkflowDecl';
  name: string;
  params: Param[];
  returnType?: TypeNode;
  body: Block;
}

// ---------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------

export type Statement =
  | VarDecl
  | Assign
  | Update
  | If
  | While
  | For
  | ForOf
  | Break
  | Continue
  | Return
  | ExprStmt
  | Block
  | Try
  | Throw
  | Switch
  | Labeled
  | Invalid;

/** `{ … }` */
export interface Block extends NodeBase {
  kind: 'Block';
  body: Statement[];
}

/** `const x: T = e`, `let y`, `const [a, b] = e`, `const { a, b: c } = e` */
export interface VarDecl extends NodeBase {
  kind: 'VarDecl';
  declKind: 'const' | 'let';
  target: Pattern;
  type?: TypeNode;
  /** Absent only for `let x` (value null). May be an `Await` node. */
  init?: Expression;
}

/**
 * `x = e`, `o.a += e`, `xs[i] -= e`, `*=`, `/=`, `%=`, `**=`; the logical `??=`, `||=`, `&&=`
 * (assign only when the target is null / falsy / truthy, and only then evaluate or await the
 * value); destructuring `[a, b] = e` and `({ a, b } = e)` (`op` is then `=`).
 */
export interface Assign extends NodeBase {
  kind: 'Assign';
  op: '=' | '+=' | '-=' | '*=' | '/=' | '%=' | '**=' | '??=' | '||=' | '&&=';
  /** An Identifier, Member or Index expression (checked by the checker), or a destructuring pattern. */
  target: Expression | AssignPattern;
  /** May be an `Await` node. */
  value: Expression;
}

/** `i++`, `--i` as a statement (also allowed as a `for` update). */
export interface Update extends NodeBase {
  kind: 'Update';
  op: '++' | '--';
  prefix: boolean;
  target: Expression;
}

/** `if (test) consequent else alternate`; `else if` is an `If` in `alternate`. */
export interface If extends NodeBase {
  kind: 'If';
  test: Expression;
  consequent: Statement;
  alternate?: Statement;
}

/** `while (test) body` */
export interface While extends NodeBase {
  kind: 'While';
  test: Expression;
  body: Statement;
}

/** `for (init; test; update) body` — init is a VarDecl or an assignment/update, update an Assign/Update. */
export interface For extends NodeBase {
  kind: 'For';
  init?: VarDecl | Assign | Update;
  test?: Expression;
  update?: Assign | Update;
  body: Statement;
}

/** `for (const x of list) body` */
export interface ForOf extends NodeBase {
  kind: 'ForOf';
  declKind: 'const' | 'let';
  target: Pattern;
  iterable: Expression;
  body: Statement;
}

/** `break` or `break label` */
export interface Break extends NodeBase {
  kind: 'Break';
  label?: string;
}
/** `continue` or `continue label` */
export interface Continue extends NodeBase {
  kind: 'Continue';
  label?: string;
}
/**
 * `switch (discriminant) { case a: …; default: … }`: the first case whose test equals the
 * discriminant (`===`, structural) runs, then the following ones (fall-through) until a `break`.
 * The cases share one block scope.
 */
export interface Switch extends NodeBase {
  kind: 'Switch';
  discriminant: Expression;
  cases: SwitchCase[];
}
/** `case test: …` or `default: …` (no test) */
export interface SwitchCase extends NodeBase {
  kind: 'SwitchCase';
  test?: Expression;
  consequent: Statement[];
}
/** `label: statement` — a target for `break label` (any statement) and `continue label` (a loop). */
export interface Labeled extends NodeBase {
  kind: 'Labeled';
  label: string;
  body: Statement;
}
/**
 * What stands in a partial program (parser.ts `ParseResult.partial`) for a statement or expression
 * that did not parse or is not supported. It is never run (a program with a syntax error has no
 * `program`); the checker reads it as "anything" and declares `declares` (the names a broken
 * `const …` / `let …` introduced) so later uses are not reported as undeclared.
 */
export interface Invalid extends NodeBase {
  kind: 'Invalid';
  declares?: string[];
}
/** `return [argument]` — argument may be an `Await` node (`return await t()`). */
export interface Return extends NodeBase {
  kind: 'Return';
  argument?: Expression;
}
/**
 * `try { block } catch (param) { handler } finally { finalizer }`: a handler, a finalizer or both.
 * Awaits may stand in any of the three blocks.
 */
export interface Try extends NodeBase {
  kind: 'Try';
  block: Block;
  /** The catch binding (`catch (e)`, `catch ({ message })`); absent for `catch { … }`. */
  param?: Pattern;
  handler?: Block;
  finalizer?: Block;
}
/** `throw argument`: any value (`throw new Error("…")` gives `{ name: "Error", message }`). */
export interface Throw extends NodeBase {
  kind: 'Throw';
  argument: Expression;
}
/** An expression used as a statement, typically `await task(x)`. */
export interface ExprStmt extends NodeBase {
  kind: 'ExprStmt';
  expression: Expression;
}

// ---------------------------------------------------------------------------------------------
// Patterns (binding targets)
// ---------------------------------------------------------------------------------------------

export type Pattern = IdentifierPattern | ArrayPattern | ObjectPattern;

/**
 * The target of a destructuring assignment: each element is any assignment target — a variable,
 * `o.p`, `xs[i]` — or a nested pattern. `[a, , b, ...rest] = e`, `({ a, b: o.c, ...rest } = e)`.
 */
export type AssignPattern = ArrayAssignPattern | ObjectAssignPattern;
export type AssignTarget = Expression | AssignPattern;
/** `[a, , o.b, ...rest]` on the left of `=`; a `null` element is a hole. */
export interface ArrayAssignPattern extends NodeBase {
  kind: 'ArrayAssignPattern';
  elements: (AssignTarget | null)[];
  rest?: Expression;
}
/** `{ a, b: o.c, ...rest }` on the left of `=` (written in parentheses as a statement). */
export interface ObjectAssignPattern extends NodeBase {
  kind: 'ObjectAssignPattern';
  properties: { key: string; value: AssignTarget; span: Span }[];
  rest?: Expression;
}

export interface IdentifierPattern extends NodeBase {
  kind: 'IdentifierPattern';
  name: string;
}
/** `[a, , b, ...rest]` — a `null` element is a hole. */
export interface ArrayPattern extends NodeBase {
  kind: 'ArrayPattern';
  elements: (Pattern | null)[];
  rest?: IdentifierPattern;
}
/** `{ a, b: c, d = 1 }` is not supported (no defaults); `{ a, b: c, ...rest }` is. */
export interface ObjectPattern extends NodeBase {
  kind: 'ObjectPattern';
  properties: { key: string; value: Pattern; span: Span }[];
  rest?: IdentifierPattern;
}

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

export type Expression =
  | NumberLiteral
  | StringLiteral
  | BooleanLiteral
  | NullLiteral
  | TemplateLiteral
  | ArrayLiteral
  | ObjectLiteral
  | Identifier
  | Member
  | Index
  | Call
  | Unary
  | Binary
  | Logical
  | Conditional
  | Await
  | As
  | Satisfies
  | NonNull
  | Invalid
  | ArrowFunction;

export interface NumberLiteral extends NodeBase {
  kind: 'NumberLiteral';
  value: number;
}
export interface StringLiteral extends NodeBase {
  kind: 'StringLiteral';
  value: string;
}
export interface BooleanLiteral extends NodeBase {
  kind: 'BooleanLiteral';
  value: boolean;
}
export interface NullLiteral extends NodeBase {
  kind: 'NullLiteral';
}
/** `` `a ${x} b` `` — `quasis.length === expressions.length + 1` (cooked strings). */
export interface TemplateLiteral extends NodeBase {
  kind: 'TemplateLiteral';
  quasis: string[];
  expressions: Expression[];
}
/** `[a, ...b, c]` */
export interface ArrayLiteral extends NodeBase {
  kind: 'ArrayLiteral';
  elements: (Expression | SpreadElement)[];
}
export interface SpreadElement extends NodeBase {
  kind: 'Spread';
  argument: Expression;
}
/** `{ a: 1, b, "c-d": 2, [k]: v is not supported, ...o }` — shorthand `b` is `{ key: 'b', value: Identifier b }`. */
export interface ObjectLiteral extends NodeBase {
  kind: 'ObjectLiteral';
  properties: (ObjectProperty | SpreadElement)[];
}
export interface ObjectProperty extends NodeBase {
  kind: 'Property';
  key: string;
  value: Expression;
  shorthand: boolean;
}
export interface Identifier extends NodeBase {
  kind: 'Identifier';
  name: string;
}
/** `object.property` and `object?.property` */
export interface Member extends NodeBase {
  kind: 'Member';
  object: Expression;
  property: string;
  optional: boolean;
}
/** `object[index]` and `object?.[index]` */
export interface Index extends NodeBase {
  kind: 'Index';
  object: Expression;
  index: Expression;
  optional: boolean;
}
/**
 * `callee(args)` — callee is an Identifier (task, built-in such as `sleep`, `now`, `String`)
 * or a Member (`Math.max`, `s.toUpperCase`, `Promise.all`, `items.map`). Spread arguments are
 * not supported.
 */
export interface Call extends NodeBase {
  kind: 'Call';
  callee: Expression;
  args: Expression[];
  /** Per-call task policy: `await chargeCard(id) with { retries: 5 }`. */
  policy?: ObjectLiteral;
  /** Type arguments: `signal<Decision>("d")`. */
  typeArgs?: TypeNode[];
  /** `o.m?.()`: a method the receiver does not have gives null instead of an error. */
  optional?: boolean;
}
export interface Unary extends NodeBase {
  kind: 'Unary';
  op: '!' | '-' | '+' | 'typeof';
  argument: Expression;
}
export interface Binary extends NodeBase {
  kind: 'Binary';
  /** `in` is `key in object`: an own key of an object (currant has no prototypes). */
  op: '+' | '-' | '*' | '/' | '%' | '**' | '<' | '<=' | '>' | '>=' | '===' | '!==' | '==' | '!=' | 'in';
  left: Expression;
  right: Expression;
}
export interface Logical extends NodeBase {
  kind: 'Logical';
  op: '&&' | '||' | '??';
  left: Expression;
  right: Expression;
}
export interface Conditional extends NodeBase {
  kind: 'Conditional';
  test: Expression;
  consequent: Expression;
  alternate: Expression;
}
/**
 * `await e`. The parser accepts it anywhere an expression may stand; the checker allows it only
 * as an ExprStmt's expression, a VarDecl's init, an Assign's value or a Return's argument, and
 * only around a task call, `Promise.all([...])`, `Promise.all(xs.map(task), { concurrency })`,
 * `Promise.allSettled(...)` of the same two shapes, `sleep(d)` or `signal(name[, { timeout }])`.
 */
export interface Await extends NodeBase {
  kind: 'Await';
  argument: Expression;
}
/** `e as T` and `e as const`: type-level only, the value is `e`'s. `type` is absent for `as const`. */
export interface As extends NodeBase {
  kind: 'As';
  expression: Expression;
  type?: TypeNode;
}
/** `e satisfies T`: the checker checks that `e` fits `T`; the value and its type are `e`'s. */
export interface Satisfies extends NodeBase {
  kind: 'Satisfies';
  expression: Expression;
  type: TypeNode;
}
/** `e!`: type-level only (`e` without null); the value is `e`'s, null included. */
export interface NonNull extends NodeBase {
  kind: 'NonNull';
  expression: Expression;
}

/**
 * `(x, i) => x * i`, `({ qty }) => qty > 0`, `(a, b) => { … return … }`: an inline function, only as
 * the callback argument of an array method (`map`, `filter`, `find`, `findIndex`, `some`, `every`,
 * `reduce`, `flatMap`, `forEach`, `sort`). It runs to completion where it stands, never awaits,
 * reads but does not assign the variables around it, and is never stored, so no closure reaches the
 * saved state.
 */
export interface ArrowFunction extends NodeBase {
  kind: 'ArrowFunction';
  params: FnParam[];
  returnType?: TypeNode;
  /** An expression body (`x => x * 2`) or a block (`x => { … return … }`). */
  body: Expression | Block;
}

export type Node =
  | Program
  | TypeAlias
  | TaskDecl
  | WorkflowDecl
  | FunctionDecl
  | Statement
  | SwitchCase
  | Pattern
  | AssignPattern
  | Expression
  | SpreadElement
  | ObjectProperty
  | TypeNode;

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
