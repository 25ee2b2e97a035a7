/**
 * Hints for the JavaScript and Node.js a TypeScript developer reaches for and a workflow does not
 * have (CT041): `Date.now()`, `Math.random()`, `setTimeout`, `fetch`, `require`, `process`, … each
 * with what to write instead.
 *
 *   jsGlobal('Date', 'now')   // => { what: '`Date.now()`', instead: 'use `now()` …' }
 *   jsGlobal('chargeCard')    // => undefined (not a JavaScript global: the usual diagnostics apply)
 *
 * Consulted only for a name that is neither declared, a task nor a built-in, so a variable or task
 * named `process` is never reported.
 */

export interface JsHint {
  /** The construct as written, for the message (`` `Date.now()` ``). */
  what: string;
  /** What to write instead (the hint). */
  instead: string;
}

const NOW = 'use `now()`: the current time as an ISO string, recorded where it stands so it stays the same when the workflow resumes (date arithmetic: `addTime`, `startOfDay`, `timeBetween`, `dayOfWeek`)';
const TASK_IO = 'a workflow does no I/O itself: declare a task (`task name(…): T`) that does it, and `await` it';
const NO_ENV = 'a workflow reads no environment: pass settings in the workflow input, or read them in a task';
const SLEEP = 'use `await sleep(ms)` or `await sleep("5m")`: a durable wait that holds no memory while it waits';
const RANDOM = 'use `uuid()` for a unique id, or a task for random numbers';
const NO_BROWSER = 'a workflow runs in the engine, not in a browser or Node.js: there is no global object; pass data in the input or use a task';
const JSON_VALUES = 'values are JSON: use objects (`o[key] = v`, `Object.keys(o)`) and arrays (`includes`, `indexOf`)';

/** Globals by name, and `Name.member` for the ones whose members matter. */
const TABLE: Record<string, JsHint> = {
  Date: { what: '`Date`', instead: NOW },
  'Date.now': { what: '`Date.now()`', instead: NOW },
  'Date.parse': { what: '`Date.parse()`', instead: 'ISO time strings (what `now()` gives) compare in order as strings; `timeBetween(a, b)` gives the milliseconds between two, `addTime(t, d)` moves one' },
  'Math.random': { what: '`Math.random()`', instead: RANDOM },
  performance: { what: '`performance`', instead: NOW },
  setTimeout: { what: '`setTimeout`', instead: SLEEP },
  setInterval: { what: '`setInterval`', instead: 'loop with `await sleep(…)` in it: `while (true) { …; await sleep("1m") }`' },
  setImmediate: { what: '`setImmediate`', instead: SLEEP },
  queueMicrotask: { what: '`queueMicrotask`', instead: 'run the code in order; a workflow has no event loop of its own' },
  clearTimeout: { what: '`clearTimeout`', instead: 'race what you wait for against a timer instead of cancelling one: `await Promise.race([h, sleep("1h")])`, or `signal(name, { timeout })`' },
  clearInterval: { what: '`clearInterval`', instead: 'leave the loop with `break`' },
  fetch: { what: '`fetch`', instead: TASK_IO },
  XMLHttpRequest: { what: '`XMLHttpRequest`', instead: TASK_IO },
  WebSocket: { what: '`WebSocket`', instead: TASK_IO },
  require: { what: '`require`', instead: 'a workflow file is self-contained: declare tasks with `task name(…): T`; their code lives in the task module' },
  process: { what: '`process`', instead: NO_ENV },
  Buffer: { what: '`Buffer`', instead: 'values are JSON: pass binary data as base64 strings, and work on it in a task' },
  __dirname: { what: '`__dirname`', instead: NO_ENV },
  __filename: { what: '`__filename`', instead: NO_ENV },
  module: { what: '`module`', instead: 'a workflow file is self-contained: declare tasks with `task name(…): T`' },
  exports: { what: '`exports`', instead: 'a workflow file is self-contained: declare tasks with `task name(…): T`' },
  crypto: { what: '`crypto`', instead: RANDOM },
  'crypto.randomUUID': { what: '`crypto.randomUUID()`', instead: 'use `uuid()`: a fresh id, recorded where it stands so it stays the same when the workflow resumes' },
  undefined: { what: '`undefined`', instead: 'there is no undefined in a workflow: a missing value is `null` (compare with `x === null`)' },
  NaN: { what: '`NaN`', instead: 'numbers are always finite in a workflow (a division by zero is the runtime error CR003); use `null` for "no number"' },
  Infinity: { what: '`Infinity`', instead: 'numbers are always finite in a workflow; use a large number or `null`' },
  parseInt: { what: '`parseInt`', instead: 'use `Number(s)` (null when it is not a number) and `Math.trunc(n)`' },
  parseFloat: { what: '`parseFloat`', instead: 'use `Number(s)` (null when it is not a number)' },
  isNaN: { what: '`isNaN`', instead: 'numbers are never NaN in a workflow; `Number(s) === null` tells a string that is not a number' },
  isFinite: { what: '`isFinite`', instead: 'numbers are always finite in a workflow' },
  structuredClone: { what: '`structuredClone`', instead: 'values are copied on assignment already: `const copy = original` is a copy' },
  globalThis: { what: '`globalThis`', instead: NO_BROWSER },
  window: { what: '`window`', instead: NO_BROWSER },
  document: { what: '`document`', instead: NO_BROWSER },
  self: { what: '`self`', instead: NO_BROWSER },
  global: { what: '`global`', instead: NO_BROWSER },
  navigator: { what: '`navigator`', instead: NO_BROWSER },
  localStorage: { what: '`localStorage`', instead: 'keep state in variables: they are saved with the instance at every await' },
  sessionStorage: { what: '`sessionStorage`', instead: 'keep state in variables: they are saved with the instance at every await' },
  alert: { what: '`alert`', instead: 'use `console.log(…)` to write to the step log, or `await signal(name)` to wait for a person' },
  prompt: { what: '`prompt`', instead: 'wait for a person with `await signal(name)`' },
  Map: { what: '`Map`', instead: JSON_VALUES },
  Set: { what: '`Set`', instead: JSON_VALUES },
  WeakMap: { what: '`WeakMap`', instead: JSON_VALUES },
  WeakSet: { what: '`WeakSet`', instead: JSON_VALUES },
  Symbol: { what: '`Symbol`', instead: 'values are JSON: use strings' },
  BigInt: { what: '`BigInt`', instead: 'numbers are JSON numbers; pass big integers as strings and compute with them in a task' },
  RegExp: { what: '`RegExp`', instead: 'use string methods (`includes`, `startsWith`, `split`, `replaceAll`) or a task' },
  Intl: { what: '`Intl`', instead: 'format numbers and dates in a task (or with `toFixed`-free arithmetic and templates)' },
  Reflect: { what: '`Reflect`', instead: 'use `Object.keys`, `Object.values`, `Object.entries` and `o[key]`' },
  Proxy: { what: '`Proxy`', instead: 'values are plain JSON data' },
  encodeURIComponent: { what: '`encodeURIComponent`', instead: 'encode in the task that makes the request' },
  decodeURIComponent: { what: '`decodeURIComponent`', instead: 'decode in the task that receives the data' },
  btoa: { what: '`btoa`', instead: 'encode in a task' },
  atob: { what: '`atob`', instead: 'decode in a task' },
  'Object.assign': { what: '`Object.assign`', instead: 'use spread: `{ ...a, ...b }`' },
  'Object.freeze': { what: '`Object.freeze`', instead: 'declare the variable `const`, or give it a `readonly` / `Readonly<T>` type' },
  'Array.from': { what: '`Array.from`', instead: 'use spread `[...xs]` or a `for` loop that pushes' },
  'Array.of': { what: '`Array.of`', instead: 'use an array literal `[a, b]`' },
};

/**
 * The hint for a JavaScript global (or `Global.member`: its own entry, else the global's) a workflow
 * does not have, or undefined. `exact`: only the member's own entry (for `Math.random` next to the
 * `Math` functions that do exist).
 */
export function jsGlobal(name: string, member?: string, exact = false): JsHint | undefined {
  if (member !== undefined) {
    const key = `${name}.${member}`;
    if (Object.hasOwn(TABLE, key)) return TABLE[key];
    if (exact) return undefined;
  }
  return Object.hasOwn(TABLE, name) ? TABLE[name] : undefined;
}
