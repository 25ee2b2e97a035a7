/**
 * The parser's messages for constructs it rejects (CS002): `MESSAGES` (tests assert these exact
 * texts) and the helpers that say what to write instead of an operator or a TypeScript type.
 */

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

export function compoundAssignMessage(op: string): string {
  return `\`${op}\` is not supported: bitwise operators do not exist in workflows`;
}

/** What to write instead of a TypeScript type that has no meaning in a workflow. */
export function primitiveRejected(name: string): string | undefined {
  if (name === 'never') return '`never` is not supported: a workflow type describes data (use `null` or leave the annotation out)';
  if (name === 'bigint') return '`bigint` is not supported: numbers are JSON numbers (`number`); pass big integers as strings';
  if (name === 'symbol') return '`symbol` is not supported: values are JSON (use `string`)';
  return undefined;
}

/** Generic types currant reads (`Array<T>`, `ReadonlyArray<T>`, `Record<K, V>`, `Readonly<T>`, `Promise<T>`), by type-argument count. */
export const GENERIC_ARITY: Record<string, number> = { Array: 1, ReadonlyArray: 1, Record: 2, Readonly: 1, Promise: 1 };

export function genericRejected(name: string): string {
  if (['Partial', 'Required', 'Pick', 'Omit', 'Exclude', 'Extract', 'NonNullable', 'ReturnType', 'Parameters', 'Awaited'].includes(name)) {
    return `the utility type \`${name}<…>\` is not supported: write the object type out (\`Array<T>\`, \`ReadonlyArray<T>\`, \`Record<K, V>\`, \`Readonly<T>\` and \`Promise<T>\` are)`;
  }
  if (name === 'Map' || name === 'Set') return `\`${name}<…>\` is not supported: values are JSON, use \`Record<string, V>\` or an array`;
  return `generic types are not supported: \`${name}<…>\` (only \`Array<T>\`, \`ReadonlyArray<T>\`, \`Record<K, V>\`, \`Readonly<T>\` and \`Promise<T>\`); write the type out`;
}
