/**
 * Expression evaluation: literals, variable reads, operators (`+ - * / % **`, comparisons, `in`,
 * `===` as structural equality), templates, array and object literals with spreads, and the
 * member/index chains with `?.`. Calls in a chain go back to the host (`call`, calls.ts), so this
 * file does not import calls.ts. An expression never suspends (an await is a whole statement).
 *
 * Takes the machine as an `EvalHost` (Machine satisfies it; this file does not import machine.ts);
 * gives values. A read gives the stored value itself; `own` copies a value that may live elsewhere
 * before it is stored.
 *
 *   evaluate(m, binary)        // 3 for `1 + 2`
 *   own(m, e, evaluate(m, e))  // a value safe to store
 */
import { assertNever, type Call, type Expression, type Span } from '../ast.ts';
import { BYTES, type Meter } from './budget.ts';
import { PositionedError } from './errors.ts';
import type { Scope } from './frames.ts';
import type { ProgramIndex } from './program.ts';
import type { ExecOptions, ExecState, Value } from './types.ts';
import { copy, equals, getOwn, HANDLE_KEY, isObject, kindOf, MAX_DEPTH, measure, RuntimeError, setOwn, toText, truthy, typeOf, type ValueObject } from './values.ts';

/** What expression evaluation needs from the machine. */
export interface EvalHost {
  readonly ix: ProgramIndex;
  readonly state: ExecState;
  readonly options: ExecOptions;
  readonly meter: Meter;
  /** The scopes of the frame stack, innermost last. */
  readonly scopes: readonly Scope[];
  /** Scopes below this index are out of sight (a helper sees only its own). */
  readonly readFloor: number;
  /** A call (calls.ts); SHORT when an optional link met null. */
  call(e: Call): Chained;
}

/** Returned by an optional chain (`a?.b.c`) that met null: the whole chain is null. */
export const SHORT: unique symbol = Symbol('short');

export type Chained = Value | typeof SHORT;

/** `x!`, `x as T`, `x satisfies T` are `x` (type-level only). */
export function bare(e: Expression): Expression {
  while (e.kind === 'NonNull' || e.kind === 'As' || e.kind === 'Satisfies') e = e.expression;
  return e;
}

export function reservedKey(span: Span): PositionedError {
  return new PositionedError('CR020', `the key "${HANDLE_KEY}" is reserved for handles`, span);
}

/**
 * The value of `e` ready to be stored: a copy unless `e` certainly made a fresh value.
 * Why: reads return the stored array/object itself; storing it twice would share it.
 */
export function own(m: EvalHost, e: Expression, v: Value): Value {
  if (typeof v !== 'object' || v === null) return v;
  switch (e.kind) {
    case 'ArrayLiteral':
    case 'ObjectLiteral':
      return v;
    default:
      return copy(v, m.meter);
  }
}

export function evaluate(m: EvalHost, e: Expression): Value {
  switch (e.kind) {
    case 'NumberLiteral':
    case 'StringLiteral':
    case 'BooleanLiteral':
      return e.value;
    case 'NullLiteral':
      return null;
    case 'Identifier': {
      const scopes = m.scopes;
      const name = e.name;
      for (let i = scopes.length - 1; i >= m.readFloor; i--) {
        const s = scopes[i]!;
        if (Object.hasOwn(s, name)) return s[name]!;
      }
      if (m.ix.functions.has(name)) throw new PositionedError('CT050', `'${name}' is a function: call it, or pass it to an array method`, e.span);
      if (name === 'instance') return instanceValue(m);
      throw new PositionedError('CT001', `undeclared variable '${name}'`, e.span);
    }
    case 'Binary': {
      const l = evaluate(m, e.left);
      const r = evaluate(m, e.right);
      switch (e.op) {
        case '+':
        case '-':
        case '*':
        case '/':
        case '%':
        case '**':
          return arith(m, e.op, l, r, e);
        case '===':
        case '==':
          return l === r || equal(m, l, r);
        case '!==':
        case '!=':
          return !(l === r || equal(m, l, r));
        case '<':
        case '<=':
        case '>':
        case '>=':
          return compare(e.op, l, r, e);
        case 'in':
          return hasKey(l, r, e);
        default:
          return assertNever(e as never, 'operator');
      }
    }
    case 'Logical': {
      const l = evaluate(m, e.left);
      switch (e.op) {
        case '&&':
          return truthy(l) ? evaluate(m, e.right) : l;
        case '||':
          return truthy(l) ? l : evaluate(m, e.right);
        case '??':
          return l === null ? evaluate(m, e.right) : l;
        default:
          return assertNever(e as never, 'operator');
      }
    }
    case 'Unary': {
      const v = evaluate(m, e.argument);
      switch (e.op) {
        case '!':
          return !truthy(v);
        case 'typeof':
          return typeOf(v);
        case '-':
        case '+':
          if (typeof v !== 'number') throw new PositionedError('CR002', `unary ${e.op} needs a number, got ${kindOf(v)}`, e.span);
          return e.op === '-' ? 0 - v : v; // 0 - v, not -v: no -0
        default:
          return assertNever(e as never, 'operator');
      }
    }
    case 'Conditional':
      return truthy(evaluate(m, e.test)) ? evaluate(m, e.consequent) : evaluate(m, e.alternate);
    case 'TemplateLiteral': {
      let out = e.quasis[0]!;
      for (let i = 0; i < e.expressions.length; i++) {
        const part = text(m, evaluate(m, e.expressions[i]!));
        const q = e.quasis[i + 1]!;
        m.meter.string(out.length + part.length + q.length);
        out += part + q;
      }
      return out;
    }
    case 'ArrayLiteral': {
      const out: Value[] = [];
      m.meter.array(e.elements.length);
      for (const el of e.elements) {
        if (el.kind === 'Spread') {
          const v = evaluate(m, el.argument);
          if (!Array.isArray(v)) throw new PositionedError('CR002', `only an array can be spread into an array, got ${kindOf(v)}`, el.span);
          m.meter.array(out.length + v.length);
          for (const x of v) out.push(copy(x, m.meter));
        } else out.push(own(m, el, evaluate(m, el)));
      }
      return out;
    }
    case 'ObjectLiteral': {
      const out: ValueObject = {};
      m.meter.alloc(BYTES.object(e.properties.length));
      for (const p of e.properties) {
        if (p.kind === 'Spread') {
          const v = evaluate(m, p.argument);
          if (v === null) continue;
          if (!isObject(v)) throw new PositionedError('CR002', `only an object can be spread into an object, got ${kindOf(v)}`, p.span);
          const keys = Object.keys(v);
          m.meter.alloc(BYTES.object(keys.length));
          for (const k of keys) setOwn(out, k, copy(v[k]!, m.meter));
        } else {
          if (p.key === HANDLE_KEY) throw reservedKey(p.span);
          setOwn(out, p.key, own(m, p.value, evaluate(m, p.value)));
        }
      }
      return out;
    }
    case 'Member':
    case 'Index':
    case 'Call': {
      const v = chain(m, e);
      return v === SHORT ? null : v;
    }
    case 'Await':
      throw new PositionedError('CT009', 'await is only allowed as a whole statement, initializer, assigned value or return value', e.span);
    case 'As':
    case 'Satisfies':
    case 'NonNull':
      // type-level only: the value is the expression's (null included, for `x!`)
      return evaluate(m, e.expression);
    case 'Invalid':
      throw new PositionedError('CS001', 'm part of the program did not parse', e.span);
    case 'ArrowFunction':
      throw new PositionedError('CT050', 'an arrow function can only be passed straight to an array method (map, filter, …)', e.span);
    default:
      return assertNever(e, 'expression');
  }
}

/** Evaluates a chain part; an optional link that met null gives SHORT for the whole chain. */
export function chain(m: EvalHost, e: Expression): Chained {
  switch (e.kind) {
    case 'Member': {
      const o = chainOf(m, e.object);
      if (o === SHORT) return SHORT;
      if (o === null) {
        if (e.optional) return SHORT;
        throw new PositionedError('CR001', `cannot read property '${e.property}' of null`, e.span);
      }
      return prop(o, e.property);
    }
    case 'Index': {
      const o = chainOf(m, e.object);
      if (o === SHORT) return SHORT;
      if (o === null) {
        if (e.optional) return SHORT;
        throw new PositionedError('CR001', `cannot read an element of null`, e.span);
      }
      return element(o, evaluate(m, e.index), e);
    }
    case 'Call':
      return m.call(e);
    default:
      return evaluate(m, e);
  }
}

export function chainOf(m: EvalHost, e: Expression): Chained {
  return e.kind === 'Member' || e.kind === 'Index' || e.kind === 'Call' ? chain(m, e) : evaluate(m, e);
}

/** Reading a property: objects' own keys, `length` of strings and arrays; anything else is missing (null). */
export function prop(o: Value, name: string): Value {
  if (isObject(o)) return getOwn(o, name);
  if ((typeof o === 'string' || Array.isArray(o)) && name === 'length') return o.length;
  return null;
}

export function element(o: Value, k: Value, e: { span: Span; index: Expression }): Value {
  if (Array.isArray(o) || typeof o === 'string') {
    if (typeof k !== 'number' || !Number.isInteger(k)) {
      throw new PositionedError('CR004', `an index must be an integer, got ${typeof k === 'number' ? k : kindOf(k)}`, e.span);
    }
    return k >= 0 && k < o.length ? o[k]! : null;
  }
  if (isObject(o)) {
    if (typeof k === 'string') return getOwn(o, k);
    if (typeof k === 'number') return getOwn(o, String(k));
    throw new PositionedError('CR002', `an object key must be a string or number, got ${kindOf(k)}`, e.index.span);
  }
  throw new PositionedError('CR002', `cannot index ${kindOf(o)}`, e.span);
}

/** `+ - * / % **` per dsl/README.md: numbers, or `+` with a string side concatenates. */
export function arith(m: EvalHost, op: '+' | '-' | '*' | '/' | '%' | '**', l: Value, r: Value, node: { span: Span }): Value {
  if (typeof l === 'number' && typeof r === 'number') {
    const n = op === '+' ? l + r : op === '-' ? l - r : op === '*' ? l * r : op === '/' ? l / r : op === '%' ? l % r : l ** r;
    if (n - n !== 0) {
      throw new PositionedError('CR003', `${l} ${op} ${r} is not a finite number`, node.span);
    }
    // Why: -0 would turn into 0 at the next JSON round trip, so it never exists (`0 * -1` is 0)
    return n === 0 ? 0 : n;
  }
  if (op === '+' && (typeof l === 'string' || typeof r === 'string')) {
    const a = text(m, l);
    const b = text(m, r);
    // a concatenation is a rope in V8: only its length and a small cell are new
    m.meter.string(a.length + b.length);
    return a + b;
  }
  throw new PositionedError('CR002', `cannot apply ${op} to ${kindOf(l)} and ${kindOf(r)}`, node.span);
}

/** `key in obj`: an own key of an object (values are plain data: no prototype keys). */
export function hasKey(k: Value, o: Value, node: { span: Span }): boolean {
  if (!isObject(o)) throw new PositionedError('CR002', `'in' needs an object on its right, got ${kindOf(o)}`, node.span);
  if (typeof k !== 'string' && typeof k !== 'number') throw new PositionedError('CR002', `the key of 'in' must be a string or number, got ${kindOf(k)}`, node.span);
  return Object.hasOwn(o, String(k));
}

export function compare(op: '<' | '<=' | '>' | '>=', l: Value, r: Value, node: { span: Span }): boolean {
  if ((typeof l === 'number' && typeof r === 'number') || (typeof l === 'string' && typeof r === 'string')) {
    return op === '<' ? l < r : op === '<=' ? l <= r : op === '>' ? l > r : l >= r;
  }
  throw new PositionedError('CR002', `cannot compare ${kindOf(l)} ${op} ${kindOf(r)} (two numbers or two strings)`, node.span);
}

/** `instance`: `{ id, workflow, startedAt }` of the instance m state belongs to (state.ts `i`). */
export function instanceValue(m: EvalHost): Value {
  const injected = m.options.instance;
  let i = m.state.i;
  if (!i && !injected) i = m.state.i = { id: null, at: m.options.now().toISOString() };
  let id = i ? i.id : injected!.id;
  if (id === null || id === undefined) id = injected?.id ?? (m.state.i!.id = m.options.uuid());
  return { id, workflow: m.ix.program.workflow.name, startedAt: i?.at ?? injected!.startedAt };
}

/** `toText` with a budget: an array or object is measured (and charged) before it is printed. */
export function text(m: EvalHost, v: Value): string {
  if (typeof v !== 'object' || v === null) return toText(v);
  const size = measure(v);
  if (size.depth > MAX_DEPTH) throw new RuntimeError('CR013', `value nested deeper than ${MAX_DEPTH} levels`);
  m.meter.work(size.nodes);
  m.meter.string(size.bytes);
  return JSON.stringify(v);
}

/** Structural equality, charged by the nodes it compares. */
export function equal(m: EvalHost, l: Value, r: Value): boolean {
  const work = { units: 0 };
  try {
    return equals(l, r, work);
  } finally {
    m.meter.work(work.units);
  }
}
